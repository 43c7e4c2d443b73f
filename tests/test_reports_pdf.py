"""The PDF handout: rendered once per public case (module fixture), read back with
pypdf. The text must be extractable and carry the triage banner first, the cause
names, and no exercise at urgent or emergency."""
from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

import decision_core
from decision_core.adapters.reports import render

from test_reports import PUBLIC, WHEN

ACUTE = ("urgent", "emergency")
A4 = (595, 842)
LETTER = (612, 792)


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rendered():
    """{case id: (result, [page texts], reader)} for every public case, each PDF made once."""
    if not PUBLIC.is_file():
        pytest.skip(f"{PUBLIC} is absent (shared/ sits next to the repository)")
    out = {}
    for case in json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]:
        result = decision_core.evaluate(case["facts"]).to_dict()
        reader = PdfReader(io.BytesIO(render(result, "pdf", generated_at=WHEN)))
        out[case["id"]] = (result, [words(p.extract_text()) for p in reader.pages], reader)
    return out


def test_every_public_case_is_a_pdf_with_extractable_text(rendered):
    for case_id, (result, pages, reader) in rendered.items():
        assert reader.pdf_header.startswith("%PDF-"), case_id
        assert len(pages) >= 2, f"{case_id}: the handout and the practitioner summary"
        assert all(pages), f"{case_id}: every page has text"


def test_the_triage_banner_leads_page_one(rendered):
    for case_id, (result, pages, _reader) in rendered.items():
        label = words(result["triage"]["name"])
        first = pages[0]
        assert label in first, case_id
        advice_start = words(result["triage"]["advice"])[:60]
        assert first.index(label) < first.index(advice_start) < 400, f"{case_id}: banner first"


def test_cause_names_and_programme_are_in_the_pdf(rendered):
    for case_id, (result, pages, _reader) in rendered.items():
        text = " ".join(pages)
        for cause in result["causes"]:
            assert cause["name"] in text, f"{case_id}: {cause['name']}"
        for rec in result["recommendations"]:
            assert words(rec["name"]) in text, f"{case_id}: {rec['name']}"
        assert "not a diagnosis" in text
        for ruleset in result["rulesets"]:
            assert ruleset["id"] in text


def test_urgent_and_emergency_pdfs_have_no_exercise_programme(rendered):
    acute = {k: v for k, v in rendered.items() if v[0]["triage"]["level"] in ACUTE}
    assert acute, "the public cases include urgent and emergency ones"
    for case_id, (result, pages, _reader) in acute.items():
        text = " ".join(pages)
        assert not [r for r in result["recommendations"] if r["kind"] == "exercise"]
        assert "Your programme" not in text
        assert "Exercises are on hold" in text
        for item in result["withheld"]:
            assert item["name"] not in text, f"{case_id}: withheld {item['name']} is named"


def test_pdf_defaults_to_a4_and_can_be_letter(rendered):
    _result, _pages, reader = next(iter(rendered.values()))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    result = decision_core.evaluate({"sitting_hours_per_day": 10}).to_dict()
    letter = PdfReader(io.BytesIO(render(result, "pdf", paper="letter",
                                        generated_at=datetime(2025, 1, 1, tzinfo=timezone.utc))))
    box = letter.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == LETTER
    assert "Page 1 of" in words(letter.pages[0].extract_text())
