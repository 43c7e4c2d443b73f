"""What a handout says in every installed language (issue 21 §5): no id, no English sentence (the
sources' own titles and verbatim quotes aside) and no untranslated value label, over every public
worked case and over generated cases, in the HTML and the text handout.

The patient part is checked whole. The practitioner part of the HTML handout is checked for ids
outside the columns marked as codes, in one test of its own: ids still reach it through composed texts
(why a question is asked, why an item was withheld) until those are said from codes."""
from __future__ import annotations

import html as html_lib
import json
import re
from functools import lru_cache
from typing import Any, Iterator

import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings, strategies as st

import decision_core
from decision_core.adapters.reports import render
from decision_core.i18n import translations as i18n
from decision_core.i18n.translations import available_languages, get_translator, installed_locale_dirs
from decision_core.installation import default_core

from patient_part import SHARED, practitioner_heading

LANGS = available_languages()
PUBLIC = SHARED / "vignettes" / "public.json"
FORMATS = ("html", "text")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # fact, cause, item, level ids and rule ids
# English words that are no word of the other installed languages: three of them make a sentence English
ENGLISH_WORDS = {"the", "and", "you", "your", "is", "are", "of", "with", "for", "it", "not", "or", "this", "that",
                 "if", "when", "be", "can", "does", "should", "will", "would", "what", "which", "have", "has"}


@lru_cache(maxsize=None)
def public_cases() -> tuple[dict, ...]:
    """The public worked cases (none when ../shared is not there)."""
    return tuple(json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]) if PUBLIC.is_file() else ()


@lru_cache(maxsize=None)
def _english_messages() -> tuple[str, ...]:
    """Every patient text of the installed catalogues' templates (rulesets, messages, plugins), of three
    words or more, whitespace made single."""
    out = []
    for folder in installed_locale_dirs():
        for pot in folder.glob("*.pot"):
            with open(pot, "rb") as f:
                for m in read_po(f):
                    ids = m.id if isinstance(m.id, tuple) else (m.id,)
                    out.extend(" ".join(i.split()) for i in ids if i and len(i.split()) >= 3)
    return tuple(sorted(set(out), key=len, reverse=True))


@lru_cache(maxsize=None)
def _own_words(lang: str) -> frozenset[str]:
    """The words of a language's own translations (lower case): a value id that is also one of them is a word."""
    words: set[str] = set()
    for folder in installed_locale_dirs():
        for po in i18n.catalogue_files(folder).get(lang, ()):
            with open(po, "rb") as f:
                for m in read_po(f):
                    strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
                    for s in strings:
                        words.update(w.lower() for w in re.findall(r"\w+", s or ""))
    return frozenset(words)


def _value_labels() -> list[tuple[str, str]]:
    """(value id, English label) of every choice fact of the installation."""
    return [(value, label) for fact in default_core().catalogue.facts.values() for value, label in fact.value_labels]


def _not_words(result: Any) -> list[str]:
    """What a handout quotes as it is: the sources' titles and the citations' verbatim passages."""
    quotes: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "quote" and isinstance(value, str):
                    quotes.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result.to_dict())
    titles = [s.title for s in default_core().catalogue.sources.values()]
    return sorted({" ".join(t.split()) for t in quotes + titles if t}, key=len, reverse=True)


def _text(markup: str) -> str:
    markup = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)
    markup = re.sub(r'<span class="code">[^<]*</span>', " ", markup)  # the columns marked as codes
    markup = re.sub(r"</?(p|li|h[1-6]|dt|dd|td|th|tr|br|div|section|article|aside|header|title)\b[^>]*>", "\n", markup)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", markup))


def patient_part(doc: str, fmt: str, lang: str) -> str:
    """Everything the patient reads: the HTML's body before the practitioner part, or the text handout up to
    the practitioner summary's heading; lines with single spaces."""
    if fmt == "html":
        part = _text(doc.split("<body", 1)[1].split(">", 1)[1].split('<div class="practitioner">', 1)[0])
    else:
        head = practitioner_heading(lang).upper()
        assert head in doc, "the practitioner part starts with its heading"
        part = doc.split(head, 1)[0]
    return "\n".join(" ".join(line.split()) for line in part.splitlines() if line.strip())


def problems(text: str, lang: str, result: Any) -> Iterator[str]:
    """Each id, English sentence and untranslated value label in ``text``, the handout of ``result`` in ``lang``."""
    for quoted in _not_words(result):
        text = text.replace(quoted, " ")
    for match in SNAKE.finditer(text):
        yield f"id {match.group()!r} in: {_around(text, match)}"
    if lang == i18n.SOURCE_LANGUAGE:
        return
    flat = " ".join(text.split())
    for message in _english_messages():
        if message in flat and get_translator(lang).gettext(message) != message:
            yield f"English text: {message!r}"
    for line in text.splitlines():
        for sentence in re.split(r"(?<=[.!?:;])\s+", line):
            english = {w for w in re.findall(r"[A-Za-z']+", sentence.lower()) if w in ENGLISH_WORDS}
            if len(english) >= 3:
                yield f"English sentence ({', '.join(sorted(english))}): {sentence!r}"
    tr = get_translator(lang)
    for value, label in _value_labels():
        if tr.gettext(label) != label and re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text):
            yield f"untranslated value label {label!r}"
        if value not in _own_words(lang) and re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text):
            yield f"value id {value!r}"


def _around(text: str, match: re.Match) -> str:
    return " ".join(text[max(0, match.start() - 50):match.end() + 30].split())


@lru_cache(maxsize=None)
def _handout(case_id: str, fmt: str, lang: str) -> str:
    case = next(c for c in public_cases() if c["id"] == case_id)
    return render(decision_core.evaluate(case["facts"]), fmt, lang=lang).decode()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case_id", [c["id"] for c in public_cases()] or
                         [pytest.param("", marks=pytest.mark.skip(reason="../shared/vignettes is not there"))])
def test_the_patient_part_has_no_id_no_english_and_no_raw_value(case_id, lang, fmt):
    case = next(c for c in public_cases() if c["id"] == case_id)
    result = decision_core.evaluate(case["facts"])
    found = sorted(set(problems(patient_part(_handout(case_id, fmt, lang), fmt, lang), lang, result)))
    assert not found, "\n".join(found)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_cases_have_no_id_no_english_and_no_raw_value(data, builtin_catalogue, valid_facts):
    facts = data.draw(valid_facts(builtin_catalogue))
    lang = data.draw(st.sampled_from(LANGS))
    fmt = data.draw(st.sampled_from(FORMATS))
    result = decision_core.evaluate(facts)
    found = sorted(set(problems(patient_part(render(result, fmt, lang=lang).decode(), fmt, lang), lang, result)))
    assert not found, "\n".join(found)


def test_the_checks_find_what_they_look_for():
    """The checks are not blind: an id, an English sentence and a raw value label are each found."""
    result = decision_core.evaluate({"sitting_hours_per_day": 10})
    de = "de" if "de" in LANGS else next(lang for lang in LANGS if lang != i18n.SOURCE_LANGUAGE)
    assert any("underactive_glutes" in p for p in problems("Ursache: underactive_glutes", de, result))
    assert any(p.startswith("English") for p in problems("Stop if you feel sharp pain, and do not push.", de, result))
    assert any("Mostly sitting" in p for p in problems("Aktivität: Mostly sitting", de, result))
    assert any("sedentary" in p for p in problems("Aktivität: sedentary", de, result))
    assert not list(problems(patient_part(_handout(public_cases()[0]["id"], "text", de), "text", de), de, result))
    title = default_core().catalogue.sources["000"].title
    assert not list(problems(f"[1] {title}, Aaptiv Magazine", de, result))  # a source's title is its own


def test_the_whole_html_handout_has_no_id_outside_the_code_columns():
    levels = [lv.id for lv in default_core().catalogue.levels if "_" in lv.id]
    found = []
    assert public_cases(), "../shared/vignettes/public.json is there"
    for case in public_cases():
        for lang in LANGS:
            doc = _handout(case["id"], "html", lang)
            text = _text(doc)
            found += [f"{lang} {case['id']}: {m.group()}" for m in SNAKE.finditer(text)]
            found += [f"{lang} {case['id']}: {lv}" for lv in levels if lv.replace("_", " ").upper() in text]
    assert not found, "\n".join(sorted(set(found))[:40])
