"""How long the patient part of a PDF handout is (issue 19 §5), measured from the PDF itself for every
worked case (../shared/vignettes: public, safety, changes) in English and Spanish: with a home
programme, at most 3 A4 pages with its tick sheet; while the programme is on hold (urgent, emergency),
at most 2, with everything the patient must do now on the first page. One PDF per case and language;
a home programme's again with the clinic's follow-up link (issue 20), which must not cost a page."""
from __future__ import annotations

import html as html_lib
import io
import re
from functools import lru_cache

import pytest
from pypdf import PdfReader

import decision_core
from decision_core.adapters.reports import render
from decision_core.adapters.reports.clinic import ClinicProfile
from decision_core.adapters.reports.view import build_view

from patient_part import LANGS, practitioner_heading, worked_cases

HOME_PROGRAMME_PAGES = 3
ON_HOLD_PAGES = 2
# a clinic that names itself and links its follow-up form, and a record id: the longest line a clinic makes
FOLLOW_UP = ClinicProfile(name="Riverside Physiotherapy", follow_up_url="https://riverside-physio.example/follow-up")
RECORD_ID = "0123456789abcdef0123456789abcdef"


@lru_cache(maxsize=None)
def _pages(facts_key: tuple, lang: str, follow_up: bool = False) -> tuple[str, ...]:
    facts = dict(facts_key)
    result = decision_core.evaluate(facts).to_dict() | ({"record_id": RECORD_ID} if follow_up else {})
    pdf = render(result, "pdf", lang=lang, paper="a4", clinic=FOLLOW_UP if follow_up else None)
    return tuple(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def patient_pages(pages: tuple[str, ...], lang: str) -> int:
    """The pages the patient part takes: up to the one where the practitioner part starts, that one
    included when patient text comes before the heading on it (the parts share a page)."""
    heading = practitioner_heading(lang).upper()
    for number, text in enumerate(pages, start=1):
        if heading in text.upper():
            before = text.upper().split(heading, 1)[0]
            return number if before.strip() else number - 1
    raise AssertionError("no practitioner part found in the PDF")


def headings(facts: dict, lang: str) -> set[str]:
    """The patient part's headings (h1-h4) as words, from the same report's HTML."""
    html = render(decision_core.evaluate(facts), "html", lang=lang).decode()
    patient = html.split('<div class="practitioner">', 1)[0]
    found = re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", patient, flags=re.S)
    return {" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", h)).split()).upper() for h in found}


def last_line(page: str) -> str:
    """A page's last line of text, without the footer and the list markers the PDF keeps apart."""
    lines = [" ".join(line.split()) for line in page.splitlines()]
    lines = [line for line in lines if line and not re.fullmatch(r"[•\d.\s]*", line)]
    return lines[-2] if len(lines) > 1 else ""  # the last is the footer (the note and the page number)


def _key(facts: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in facts.items()))


def test_the_page_count_sees_a_shared_page():
    assert patient_pages(("patient", "more patient\nPRACTITIONER SUMMARY\nx"), "en") == 2
    assert patient_pages(("patient", "PRACTITIONER SUMMARY\nx"), "en") == 1
    assert last_line("text.\nTick sheet\n• \n1. \nDecision support, not a diagnosis Page 1 of 3") == "Tick sheet"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", worked_cases())
def test_the_patient_part_fits_its_pages(case, lang):
    result = decision_core.evaluate(case["facts"])
    pages = _pages(_key(case["facts"]), lang)
    used = patient_pages(pages, lang)
    if result.programme_on_hold:
        assert used <= ON_HOLD_PAGES, f"on hold: the patient part takes {used} pages"
        # what to do now (the referral, rest, emergency care) all on the first page
        first = " ".join(pages[0].split())
        view = build_view(result, lang=lang)
        assert view.do_now, "on hold, the handout says what to do now"
        for item in view.do_now:
            assert " ".join(item.name.split()) in first, f"{item.name!r} is not on page 1"
    else:
        assert used <= HOME_PROGRAMME_PAGES, f"the patient part takes {used} pages"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", worked_cases())
def test_no_heading_stands_alone_at_a_page_foot(case, lang):
    pages = _pages(_key(case["facts"]), lang)
    shown = headings(case["facts"], lang)
    for number, page in enumerate(pages[:patient_pages(pages, lang)], start=1):
        assert last_line(page).upper() not in shown, f"page {number} ends with the heading {last_line(page)!r}"


def home_programme_cases() -> list:
    """The worked cases with a home programme (on hold, a handout carries no follow-up line)."""
    return [param for param in worked_cases()
            if param.values[0] is None or not decision_core.evaluate(param.values[0]["facts"]).programme_on_hold]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", home_programme_cases())
def test_the_follow_up_link_costs_no_page(case, lang):
    pages = _pages(_key(case["facts"]), lang, follow_up=True)
    assert RECORD_ID in "".join("".join(pages).split()), "the handout carries the follow-up link"
    used = patient_pages(pages, lang)
    assert used <= HOME_PROGRAMME_PAGES, f"with the follow-up link the patient part takes {used} pages"
