"""Test support: the worked cases of ../shared/vignettes (skipped cleanly when the folder is not there),
and the patient part of a rendered handout (everything before the practitioner part) as sentences."""
from __future__ import annotations

import html as html_lib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from decision_core.i18n.translations import available_languages, get_translator

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SETS = ("public", "safety", "changes")
LANGS = tuple(available_languages())  # every installed language: a new catalogue is tested as it lands


def worked_cases(sets: tuple[str, ...] = SETS, shared: Path = SHARED) -> list:
    """Every worked case of ``sets`` as pytest params (id: the case's id); one skipped param when
    ``shared`` (../shared) is missing, so that collection never breaks on it."""
    out = []
    for name in sets:
        path = shared / "vignettes" / f"{name}.json"
        if path.is_file():
            out.extend(pytest.param(c, id=c["id"]) for c in json.loads(path.read_text(encoding="utf-8"))["cases"])
    if not out:
        reason = f"{shared / 'vignettes'} is not there: the shared folder must sit next to the repository"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="shared-missing")]
    return out


def practitioner_heading(lang: str) -> str:
    return get_translator(lang).gettext("Practitioner summary")


def patient_markdown(text: str, lang: str) -> str:
    """The markdown handout up to the practitioner summary's heading."""
    head = f"\n# {practitioner_heading(lang)}"
    assert head in text, "the practitioner part starts with its heading"
    return text.split(head, 1)[0]


def patient_html_text(text: str) -> str:
    """The HTML handout's patient part as text, a line per block (paragraph, list item, cell)."""
    body = text.split("<body", 1)[1].split('<div class="practitioner">', 1)[0]
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</?(p|li|h[1-6]|dt|dd|td|th|tr|br|div|section|article|aside|header)\b[^>]*>", "\n", body)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def sentences(text: str) -> list[str]:
    """The sentences of a text (a line or a part of one ending in . ! or ?, of four words or more), with
    markup, source numbers and list numbering taken off; a label without a full stop is not one."""
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>])", r"\1", text)  # markdown escapes
    text = re.sub(r"\[\d+(?:,\s*\d+)*\]", " ", text)  # [1, 3]
    out = []
    for line in text.splitlines():
        line = re.sub(r"^[\s>*_#|-]*(\d+[.)]\s+)?", "", line).replace("**", "").strip(" _*|")
        for part in re.split(r"(?<=[.!?])\s+", line):
            part = " ".join(part.split()).strip(" _*")
            if part[-1:] in ".!?" and len(part.split()) >= 4:
                out.append(part)
    return out


def repeated(text: str) -> list[str]:
    return [s for s, n in Counter(sentences(text)).items() if n > 1]
