"""The handout in another language: every text the templates and the report code write, and every
ruleset text, comes out in Spanish; ids, quotes and numbers do not change; the language comes from
--lang or the clinic profile."""
from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

import decision_core
from decision_core.adapters.reports import ReportError, render
from decision_core.cli.main import main
from decision_core.i18n.translations import get_translator
from patient_part import worked_cases

LOCALE = Path(decision_core.__file__).parent / "locale"
PUBLIC = worked_cases(("public",))  # one skipped case when ../shared is not there
FORMATS = ("html", "markdown", "text")


def report_messages() -> dict[str, str]:
    """The report code's and templates' own texts (long enough to find verbatim) with their Spanish."""
    with open(LOCALE / "es/LC_MESSAGES/decision_core.po", "rb") as f:
        catalogue = read_po(f)
    out = {}
    for m in catalogue:
        if not m.id or isinstance(m.id, tuple) or "%(" in m.id or "{" in m.id or len(m.id) < 14:
            continue
        if any("adapters/reports" in path for path, _line in m.locations):
            out[m.id] = m.string
    return out


def visible(fmt: str, data: bytes) -> str:
    text = data.decode()
    if fmt == "html":
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", text.split("<body", 1)[1]))
    return " ".join(text.replace("\\", "").split())


def test_the_report_texts_are_found_by_the_test():
    messages = report_messages()
    assert len(messages) > 40 and all(messages.values()), "every report text has its Spanish"
    english = visible("html", render(decision_core.evaluate({"sitting_hours_per_day": 10}), "html"))
    assert sum(msgid in english for msgid in messages) > 10, "the check below would find English if it were left"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", PUBLIC)
def test_a_spanish_handout_has_no_english_report_text(case, fmt):
    result = decision_core.evaluate(case["facts"])
    spanish = visible(fmt, render(result, fmt, lang="es"))
    left = [msgid for msgid, msgstr in report_messages().items() if msgid != msgstr and msgid in spanish]
    assert not left, f"untranslated in {fmt}: {left[:3]}"
    tr = get_translator("es")
    level = tr.gettext(result.triage.name)
    assert level != result.triage.name and (level in spanish or level.upper() in spanish), "the level, in Spanish"
    for rec in result.recommendations:
        assert tr.gettext(rec.name) in spanish


def test_the_html_says_its_language():
    result = decision_core.evaluate({"sitting_hours_per_day": 10})
    assert '<html lang="es">' in render(result, "html", lang="es").decode()
    assert '<html lang="en">' in render(result, "html").decode()


def test_an_unknown_language_is_a_clear_error(tmp_path):
    with pytest.raises(ReportError, match="unknown language 'xx'"):
        render(decision_core.evaluate({}), "html", lang="xx")
    facts = tmp_path / "facts.json"
    facts.write_text("{}", encoding="utf-8")
    res = CliRunner().invoke(main, ["report", str(facts), "-f", "text", "--lang", "xx"])
    assert res.exit_code == 2 and "unknown language 'xx'" in res.output and "Traceback" not in res.output


def test_the_language_comes_from_lang_or_the_clinic_profile(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"sitting_hours_per_day": 10}), encoding="utf-8")
    profile = tmp_path / "clinic.yaml"
    profile.write_text("name: Clínica Río\nlanguage: es\n", encoding="utf-8")
    by_profile = CliRunner().invoke(main, ["report", str(facts), "-f", "text", "--clinic-profile", str(profile)])
    by_flag = CliRunner().invoke(main, ["report", str(facts), "-f", "text", "--lang", "es"])
    english = CliRunner().invoke(main, ["report", str(facts), "-f", "text", "--clinic-profile", str(profile),
                                        "--lang", "en"])
    assert "SUS EJERCICIOS" in by_profile.output or "QUÉ HAY PROBABLEMENTE" in by_profile.output
    assert "QUÉ HAY PROBABLEMENTE DETRÁS DE SU TENSIÓN" in by_flag.output
    assert "WHAT IS LIKELY BEHIND YOUR TIGHTNESS" in english.output, "--lang wins over the profile"


def test_a_missing_shared_folder_skips_instead_of_breaking_collection(tmp_path):
    """The cases above come from ../shared, read at collection: without the folder, one skipped case."""
    params = worked_cases(("public",), shared=tmp_path / "no-shared")
    assert [p.id for p in params] == ["shared-missing"]
    assert [m.name for m in params[0].marks] == ["skip"] and "no-shared" in params[0].marks[0].kwargs["reason"]
    (tmp_path / "shared" / "vignettes").mkdir(parents=True)
    (tmp_path / "shared" / "vignettes" / "public.json").write_text('{"cases": [{"id": "c1", "facts": {}}]}')
    assert [p.id for p in worked_cases(("public",), shared=tmp_path / "shared")] == ["c1"]
