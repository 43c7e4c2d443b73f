"""The HTML handout in a real browser: Debian's Chromium, driven by Playwright, for
every public case at a phone width (390 px) and a desktop width (1280 px). The page
must not scroll sideways, every table row and every line of text must lie inside
the page, and what a table cell holds must stay inside that cell. The checks read whatever the page holds (all tables, all rows, all
text), not today's markup.

Every installed language is checked. One browser and one tab serve the whole session. Locally the tests skip when Playwright
or Chromium is missing; under CI (CI set) that is a failure, as .ci/run installs both."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import decision_core
from decision_core.adapters.reports import render

from test_reports import PUBLIC, WHEN

REPO_ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (390, 1280)
TOLERANCE = 0.5  # px: sub-pixel rounding of boxes

# Everything measured in one round trip. Text is measured by line boxes (Range rects), so a line
# clipped by an overflow: hidden box still counts as outside.
MEASURE = """() => {
  const width = window.innerWidth, tol = %s;
  const outside = r => r.width > 0 && (r.left < -tol || r.right > width + tol);
  const label = el => (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 70);
  const rows = [...document.querySelectorAll('tr')];
  const wideRows = rows.filter(tr => outside(tr.getBoundingClientRect()))
    .map(tr => ({text: label(tr), right: Math.round(tr.getBoundingClientRect().right)}));
  // Content drawn past its own cell (over the next column, or off the table's edge).
  const spills = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const box = cell.getBoundingClientRect();
    for (const el of cell.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.left < box.left - tol || r.right > box.right + tol) && spills.length < 5)
        spills.push({cell: label(cell), element: el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''),
                     overBy: Math.round(Math.max(box.left - r.left, r.right - box.right))});
    }
  }
  const wideText = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()) && wideText.length < 5;) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(outside);
    if (rects.length) wideText.push({text: node.textContent.trim().slice(0, 70),
                                     right: Math.round(Math.max(...rects.map(r => r.right)))});
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, rows: rows.length,
          wideRows: wideRows.slice(0, 5), wideText: wideText, spills: spills,
          textLength: document.body.innerText.trim().length};
}""" % TOLERANCE


@pytest.fixture(scope="session")
def browser_page(chromium_browser):
    """One tab for the session, which may fetch nothing (the handout is self-contained)."""
    page = chromium_browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
    page.route("**/*", lambda route: route.abort())
    yield page
    page.close()


def measure(page, html: str, width: int) -> dict:
    page.set_viewport_size({"width": width, "height": 900})
    page.set_content(html, wait_until="load")
    return page.evaluate(MEASURE)


def public_cases() -> list:
    if not PUBLIC.is_file():
        return [pytest.param(None, id="no-public-cases",
                             marks=pytest.mark.skip(reason=f"{PUBLIC} is absent (shared/ sits next to the repository)"))]
    return [pytest.param(case, id=case["id"]) for case in json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]]


def assert_fits(m: dict, where: str) -> None:
    assert m["innerWidth"] > 0 and m["textLength"] > 200, f"{where}: the page did not render ({m})"
    assert m["scrollWidth"] <= m["innerWidth"], \
        f"{where}: scrolls sideways, {m['scrollWidth']} px wide; rows {m['wideRows']}, text {m['wideText']}"
    assert not m["wideRows"], f"{where}: table rows outside the page: {m['wideRows']}"
    assert not m["wideText"], f"{where}: text outside the page: {m['wideText']}"
    assert not m["spills"], f"{where}: content runs out of its table cell: {m['spills']}"


def languages() -> list[str]:
    """Every installed handout language (longer words in some, so each gets its own check)."""
    from decision_core.i18n.translations import available_languages

    return available_languages() or ["en"]


@pytest.mark.parametrize("case", public_cases())
def test_the_html_handout_fits_phone_and_desktop_widths(browser_page, case):
    result = decision_core.evaluate(case["facts"]).to_dict()
    for lang in languages():
        html = render(result, "html", generated_at=WHEN, lang=lang).decode("utf-8")
        rows = set()
        for width in WIDTHS:
            m = measure(browser_page, html, width)
            assert m["innerWidth"] == width, m
            assert_fits(m, f"{case['id']} ({lang}) at {width} px")
            rows.add(m["rows"])
        assert len(rows) == 1 and rows.pop() > 0, f"{case['id']}: the practitioner tables have rows to check"


def test_the_measurements_can_fail(browser_page):
    """A row and a line that cannot wrap are reported, so the checks above are not vacuous."""
    wide = "x" * 400
    html = ("<!doctype html><html lang='en'><title>t</title><body><p>" + "words " * 60 + "</p>"
            f"<table><tr><td style='white-space: nowrap'>{wide}</td></tr></table></body></html>")
    m = measure(browser_page, html, 390)
    assert m["scrollWidth"] > 390 and m["wideRows"] and m["wideText"]
    spilling = ("<!doctype html><html lang='en'><title>t</title><body><table style='width: 100%; table-layout: fixed'><tr><td>a</td>"
                "<td><span style='display: inline-block; width: 150px'>&nbsp;</span></td><td>c</td></tr></table>"
                "<p>" + "words " * 60 + "</p></body></html>")
    m = measure(browser_page, spilling, 390)
    assert m["spills"] and m["scrollWidth"] <= 390, m
    clipped = html.replace("<body>", "<body style='overflow-x: hidden'>")
    m = measure(browser_page, clipped, 390)
    assert m["wideRows"] and m["wideText"], "clipping the overflow does not hide it from the checks"


def test_the_handout_with_a_clinic_and_a_patient_fits(browser_page):
    """The header the clinic profile and patient details fill: a logo far wider than a phone,
    a long clinic address, a long patient name and an identifier without spaces."""
    import base64
    from datetime import date

    from decision_core.adapters.reports.clinic import Patient, load_clinic_profile


    clinic = load_clinic_profile(REPO_ROOT / "examples" / "clinic-profile.yaml")
    logo = ("<svg xmlns='http://www.w3.org/2000/svg' width='2400' height='300'>"
            "<rect width='2400' height='300' fill='#1e6b34'/></svg>")
    clinic = type(clinic)(**{**clinic.__dict__, "address": "Unit 4, The Old Tannery, 12 Mill Lane, Bristol BS1 4QA",
                             "logo": "data:image/svg+xml;base64," + base64.b64encode(logo.encode()).decode()})
    patient = Patient(name="Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh",
                      birth_date=date(1987, 6, 5), identifier="NHS-943-476-5919-ZZ-0000000000000000000001")
    facts = json.loads((REPO_ROOT / "examples" / "desk-worker.json").read_text(encoding="utf-8"))
    html = render(decision_core.evaluate(facts).to_dict(), "html", generated_at=WHEN, clinic=clinic, patient=patient,
                  clinician="Dr Alexandra Montgomery-Richardson").decode("utf-8")
    assert patient.name in html and "Riverside Physiotherapy" in html
    for width in WIDTHS:
        assert_fits(measure(browser_page, html, width), f"desk worker with a clinic and a patient at {width} px")
