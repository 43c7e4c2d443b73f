"""No id reaches a person (issue 21): in every installed language, over the public worked cases and generated
ones, the handout (HTML and text), the CDS card's summary and detail, the CLI summary and the interview's
texts name causes, levels and values in words, never by a ``snake_case`` id, outside what is marked as a
code (HTML ``class="code"``, markdown backticks, ``[brackets]`` in plain text)."""
from __future__ import annotations

import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import decision_core
from decision_core.adapters.http.cards import detail, summary
from decision_core.adapters.reports.page import page_view
from decision_core.adapters.reports import render
from decision_core.cli.summary import summarise
from decision_core.i18n.translations import available_languages, get_translator, translate_result
from decision_core.installation import default_core
from decision_core.interview.adaptive import status_items
from decision_core.interview.flow import Interview
from decision_core.interview.questionnaire import fact_item
from decision_core.testing import random_facts

PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "vignettes" / "public.json"
ID = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
GENERATED = 12


def cases() -> list[tuple[str, dict]]:
    out = [(c["id"], c["facts"]) for c in json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]] \
        if PUBLIC.is_file() else []
    rng = random.Random(21)
    catalogue = default_core().catalogue
    for i in range(GENERATED):
        out.append((f"generated-{i}", random_facts(catalogue, rng, known=rng.choice([0.2, 0.5, 0.8]),
                                                     red_flag_known=0.1)))
    return out


CASES = cases()
LANGUAGES = available_languages()  # read from the installation: a language added as catalogues is covered


class _Visible(HTMLParser):
    """The text a reader sees in an HTML page, without what is marked as a code or never shown."""

    HIDDEN = {"style", "script", "title", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip: list[str | None] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("br", "img", "meta", "link", "input", "hr", "col", "source", "wbr"):
            return
        self.skip.append(tag if (tag in self.HIDDEN or "code" in classes or tag == "code"
                                 or (self.skip and self.skip[-1])) else None)

    def handle_endtag(self, tag):
        if tag in ("br", "img", "meta", "link", "input", "hr", "col", "source", "wbr"):
            return
        if self.skip:
            self.skip.pop()

    def handle_data(self, data):
        if not (self.skip and self.skip[-1]):
            self.parts.append(data)


def html_words(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def plain_words(text: str) -> str:
    """Plain text without its codes: ``[brackets]`` and ``backticks``."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    return " ".join(text.split())


def ids_in(text: str) -> list[str]:
    return sorted(set(ID.findall(text)))


@pytest.fixture(scope="module")
def catalogue():
    return default_core().catalogue


@pytest.fixture(scope="module", params=[(c, lang) for c in CASES for lang in LANGUAGES],
                ids=[f"{c[0]}-{lang}" for c in CASES for lang in LANGUAGES])
def case(request):
    (name, facts), lang = request.param
    result = decision_core.evaluate(facts)
    return name, lang, result


def test_the_check_finds_an_id_where_there_is_one():
    assert ids_in(plain_words("would help confirm or rule out anterior_pelvic_tilt [glute_bridge]")) \
        == ["anterior_pelvic_tilt"]
    assert ids_in(html_words('<p>Level <span class="code">self_care</span> and self_care</p>')) == ["self_care"]
    assert {"en", "es"} <= set(LANGUAGES) and len(CASES) >= 10 + GENERATED


def test_handouts_name_things_in_words(case):
    name, lang, result = case
    page = render(result, "html", lang=lang).decode()
    assert not ids_in(html_words(page)), f"{name} {lang} html"
    text = render(result, "text", lang=lang).decode()
    assert not ids_in(plain_words(text)), f"{name} {lang} text"


def test_cds_cards_and_cli_summaries_name_things_in_words(case, catalogue):
    name, lang, result = case
    tr = get_translator(lang)
    shown = translate_result(result, tr, catalogue)
    assert not ids_in(summary(shown, catalogue, tr.gettext)), f"{name} {lang} card summary"
    assert not ids_in(plain_words(detail(shown, catalogue, tr.gettext))), f"{name} {lang} card detail"
    assert not ids_in(plain_words(summarise(shown, catalogue, tr.gettext))), f"{name} {lang} CLI summary"


def test_interview_texts_name_things_in_words(case, catalogue):
    name, lang, result = case
    tr = get_translator(lang)
    interview = Interview(default_core().evaluator())
    facts = {k: v for k, v in result.facts.items()}
    step = interview.next_step(facts)
    step.result = translate_result(step.result, tr, catalogue)
    for item in status_items(step, tr.gettext):
        assert not ids_in(item["text"]), f"{name} {lang} interview status: {item['text']}"
    if step.question is not None and step.question.fact in catalogue.facts:
        asked = fact_item(catalogue.facts[step.question.fact], tr.gettext, catalogue)
        shown = json.dumps([asked.get("text"), [o.get("valueCoding", {}).get("display")
                                                for o in asked.get("answerOption", ())]], ensure_ascii=False)
        assert not ids_in(shown), f"{name} {lang} interview question: {shown}"


def _said(node, key=None):
    """Every text of the page's view, but its codes (``id``, ``fact``)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in ("id", "fact"):
                yield from _said(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _said(v, key)
    elif isinstance(node, str):
        yield node


def test_the_pages_words_name_things_in_words(case):
    name, lang, result = case
    texts = " | ".join(_said(page_view(result, lang)))
    assert texts and not ids_in(texts), f"{name} {lang} page view"
