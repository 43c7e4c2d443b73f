"""The practitioner's page (GET /app) in headless Chromium against a real HTTP server serving the
installed catalogue: the form comes from the Questionnaire, the triage follows the answers, the next
questions are marked, the handout downloads as a PDF, the FHIR bundle reaches the clipboard (or a
fallback box), a production server asks for the API key, and a phone-wide page does not scroll
sideways. The page runs under its CSP: a refused script or style is a console error, which fails.

APP_SCREENSHOTS=/some/folder keeps screenshots at 390 and 1280 px there (to look at)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from http_support import API_KEY, serve_app

from decision_core.adapters.http import create_app
from decision_core.adapters.reports.view import build_view
from decision_core.i18n.wording import programme_length

READY = "body[data-ready]"
SHOTS = os.environ.get("APP_SCREENSHOTS")
CASE = {"sharp_pain": False, "sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True,
        "activity_level": "sedentary"}
RED_FLAG = "leg_weakness"  # alone, it makes the triage urgent


@pytest.fixture(scope="module")
def dev_server(installed_backend):
    with serve_app(create_app({"ENV": "development"}, backend=installed_backend)) as base:
        yield base


@pytest.fixture(scope="module")
def prod_server(installed_backend):
    with serve_app(create_app({"ENV": "production", "API_KEYS": [API_KEY]}, backend=installed_backend)) as base:
        yield base


@pytest.fixture
def browser_context(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # a refused API key is logged by the browser as a failed load: expected, the page asks again
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "status of 401" not in msg.text else None)
    page.evaluations = []  # the facts of every POST /v1/evaluations the page made
    page.on("request", lambda r: page.evaluations.append(json.loads(r.post_data))
            if r.method == "POST" and r.url.split("?")[0].endswith("/v1/evaluations") else None)
    yield page
    assert not problems, problems


def expect(locator):
    # imported when used: without Playwright the browser fixture skips (fails under CI) instead
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def expected(backend, facts: dict) -> dict:
    return backend.evaluator.evaluate(facts).to_dict()


def open_page(page, base: str) -> None:
    page.goto(f"{base}/app")
    page.wait_for_selector(READY, timeout=15_000)
    expect(page.locator("#triage")).not_to_have_attribute("data-severity", "none", timeout=15_000)


def answer(page, facts: dict) -> None:
    """Answer through the form's own controls, as a user would."""
    for name, value in facts.items():
        if isinstance(value, bool):
            page.check(f"#f-{name}-{'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            page.fill(f"#f-{name}", str(value))
        else:
            page.select_option(f"#f-{name}", value)


def wait_for_triage(page, name: str) -> None:
    # the level's declared sign, then its name
    expect(page.locator("#triage .triage-name")).to_have_text(re.compile(rf"^(\S+ )?{re.escape(name)}$"),
                                                              timeout=10_000)


def wait_for_result(page, backend, facts: dict) -> dict:
    """Wait until the panel shows the triage of these facts as the page words it; the result."""
    result = expected(backend, facts)
    expect(page.locator("#triage .triage-name")).to_have_text(shown_title(backend, result), timeout=10_000)
    return result


def declared_title(backend, triage: dict) -> str:
    shown = backend.catalogue.level(triage["level"]).presentation
    mark = shown.mark_while_unconfirmed if not triage["confirmed"] and shown.mark_while_unconfirmed else shown.mark
    return f"{mark} {triage['name']}"


def shown_title(backend, result: dict) -> str:
    """The panel's triage: 'Not yet known' while red flags are open and no rule raised it, else the level."""
    if result["open_red_flags"] and not result["triage"]["reasons"]:
        return "Not yet known"
    return declared_title(backend, result["triage"])


def no_sideways_scroll(page) -> dict:
    return page.evaluate("({scroll: document.documentElement.scrollWidth, width: window.innerWidth})")


def test_the_triage_follows_the_answers_and_unknown_stays_unknown(page, dev_server, installed_backend):
    open_page(page, dev_server)
    # Every yes/no question starts at "unknown", and nothing unanswered is sent.
    booleans = page.eval_on_selector_all("fieldset.question-boolean", "els => els.length")
    unknown = page.eval_on_selector_all("input[type=radio][value='']:checked", "els => els.length")
    assert booleans > 10 and unknown == booleans
    assert page.evaluations[0] == {}

    answer(page, CASE)
    calm = expected(installed_backend, CASE)
    expect(page.locator("#triage .triage-name")).to_have_text(shown_title(installed_backend, calm), timeout=10_000)
    expect(page.locator("#result-status")).to_have_text(re.compile("^4 answers"))
    assert page.evaluations[-1] == CASE  # the debounced call carries exactly what was answered
    assert calm["triage"]["advice"] in page.inner_text("#triage")
    calm_severity = page.get_attribute("#triage", "data-severity")
    # red flags open and none reached: "not yet known", with the level so far and the red flags to ask
    assert calm["open_red_flags"] and page.inner_text("#triage .triage-name") == "Not yet known"
    assert f"So far: {declared_title(installed_backend, calm['triage'])}" in page.inner_text("#triage")
    flags = page.inner_text("#triage .red-flag-list")
    assert all(q["question"] in flags for q in calm["open_red_flags"])
    assert not any(q["question"] in flags for q in calm["open_assessment_questions"])
    if not calm["triage"]["confirmed"]:  # not a clearance: drawn neutral and dashed, never the reassuring colour
        assert page.eval_on_selector("#triage", "e => getComputedStyle(e).borderTopStyle") == "dashed"
    causes = page.inner_text(".causes")
    assert all(cause["name"] in causes for cause in calm["causes"])

    answer(page, {RED_FLAG: True})
    urgent = expected(installed_backend, {**CASE, RED_FLAG: True})
    assert urgent["triage"]["level"] == "urgent"
    wait_for_triage(page, urgent["triage"]["name"])
    assert page.inner_text("#triage .triage-name") == shown_title(installed_backend, urgent)
    assert int(page.get_attribute("#triage", "data-severity")) > int(calm_severity)
    assert urgent["triage"]["reasons"][0]["because"] in page.inner_text("#triage")
    # Back to "unknown": the fact is dropped again, not sent as false.
    page.check(f"#f-{RED_FLAG}-unknown")
    expect(page.locator("#triage .triage-name")).to_have_text(shown_title(installed_backend, calm), timeout=10_000)
    assert RED_FLAG not in page.evaluations[-1]


def test_enable_when_hides_a_question_until_it_applies(page, dev_server):
    open_page(page, dev_server)
    assert page.is_hidden("#q-previous_injury_months_ago")
    page.check("#f-previous_hamstring_injury-true")
    page.wait_for_selector("#q-previous_injury_months_ago", state="visible")
    page.fill("#f-previous_injury_months_ago", "4")
    page.check("#f-previous_hamstring_injury-false")
    page.wait_for_selector("#q-previous_injury_months_ago", state="hidden")
    page.wait_for_timeout(600)
    assert page.evaluations[-1] == {"previous_hamstring_injury": False}  # a hidden answer is not sent


def test_a_number_out_of_range_is_marked_and_not_sent(page, dev_server):
    open_page(page, dev_server)
    page.fill("#f-age", "500")
    expect(page.locator("#error-age")).to_contain_text("10–110")
    assert page.get_attribute("#f-age", "aria-invalid") is not None
    page.fill("#f-pain_level", "3")
    expect(page.locator("#result-status")).to_have_text(re.compile("^1 answer evaluated"))
    assert page.evaluations[-1] == {"pain_level": 3}
    page.fill("#f-age", "40")
    expect(page.locator("#error-age")).to_be_hidden()


def test_the_next_questions_are_marked_and_a_link_focuses_one(page, dev_server, installed_backend):
    open_page(page, dev_server)
    answer(page, CASE)
    result = wait_for_result(page, installed_backend, CASE)
    expect(page.locator("#result-status")).to_have_text(re.compile("^4 answers"))
    marked = page.eval_on_selector_all(".question.is-next", "els => els.map(e => e.id.slice(2))")
    assert sorted(marked) == sorted(q["fact"] for q in result["next_questions"])
    first = result["next_questions"][0]["fact"]
    page.click(f".next-questions a[data-fact='{first}']")
    focused = page.evaluate("document.activeElement.closest('.question')?.id")
    assert focused == f"q-{first}"


def test_print_handout_downloads_the_pdf(page, dev_server):
    from pypdf import PdfReader

    open_page(page, dev_server)
    answer(page, CASE)
    page.click(".handout-details summary")
    page.fill("#patient-name", "Ada Lovelace")
    page.select_option("#handout-lang", "es")
    with page.expect_request("**/v1/reports?format=pdf") as sent, page.expect_download() as download:
        page.click("#print-handout")
    assert json.loads(sent.value.post_data) == {"facts": CASE, "lang": "es", "patient": {"name": "Ada Lovelace"}}
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    text = " ".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Ada Lovelace" in text


def test_an_open_disclosure_stays_open_when_the_result_changes(page, dev_server):
    open_page(page, dev_server)
    answer(page, CASE)
    expect(page.locator("#result-status")).to_have_text(re.compile("^4 answers"))
    page.click(".causes details summary >> nth=0")
    page.fill("#f-age", "40")
    expect(page.locator("#result-status")).to_have_text(re.compile("^5 answers"))
    assert page.evaluate("document.querySelector('.causes details').open")


def test_copy_fhir_puts_the_bundle_on_the_clipboard(page, browser_context, dev_server):
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dev_server)
    open_page(page, dev_server)
    answer(page, CASE)
    page.click("#copy-fhir")
    expect(page.locator("#action-status")).to_contain_text("copied")
    bundle = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]
    assert page.is_hidden("#fhir-fallback")


def test_copy_fhir_without_a_clipboard_shows_the_bundle(page, dev_server):
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    open_page(page, dev_server)
    page.click("#copy-fhir")
    page.wait_for_selector("#fhir-fallback", state="visible")
    bundle = json.loads(page.input_value("#fhir-text"))
    assert bundle["resourceType"] == "Bundle"
    assert page.evaluate("document.activeElement.id") == "fhir-text"


def test_production_asks_for_the_key_once_per_session(page, prod_server, installed_backend):
    page.goto(f"{prod_server}/app")  # the page itself needs no key
    page.wait_for_selector("#key-prompt", state="visible")
    assert page.evaluate("document.activeElement.id") == "key-input"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / "app-key-prompt.png"))
    page.fill("#key-input", "not-the-key")
    page.keyboard.press("Enter")
    expect(page.locator("#key-message")).to_contain_text("not accepted")
    assert page.is_visible("#key-prompt")
    page.fill("#key-input", API_KEY)
    page.keyboard.press("Enter")
    page.wait_for_selector(READY, timeout=15_000)
    assert page.is_hidden("#key-prompt")
    answer(page, {RED_FLAG: True})
    wait_for_result(page, installed_backend, {RED_FLAG: True})
    assert page.evaluate("sessionStorage.getItem('decision-core-api-key')") == API_KEY
    page.reload()
    page.wait_for_selector(READY, timeout=15_000)
    assert page.is_hidden("#key-prompt")


def test_keyboard_labels_and_live_region(page, dev_server):
    open_page(page, dev_server)
    unlabelled = page.eval_on_selector_all(
        "#intake input, #intake select, #intake textarea",
        "els => els.filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)")
    assert unlabelled == []
    assert page.get_attribute("#result-live", "aria-live") == "polite"
    page.focus("#f-age")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-activity_level"  # the form's order
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused control shows no focus ring"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_fits_phone_and_desktop_widths(page, dev_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, dev_server)
    answer(page, {**CASE, RED_FLAG: True})
    expect(page.locator("#result-status")).to_have_text(re.compile("^5 answers"))
    size = no_sideways_scroll(page)
    assert size["scroll"] <= size["width"] == width, size
    page.locator("#q-pain_locations").scroll_into_view_if_needed()
    if width < 900:  # on a phone the triage stays in sight at the bottom while the form is filled
        expect(page.locator("#triage-bar")).to_be_visible()
        expect(page.locator("#triage-bar")).to_contain_text(page.inner_text("#triage .triage-name"))
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator("#triage-bar")).to_be_hidden()  # the triage box itself is in sight (or a wide screen)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"app-{width}.png"))
        page.screenshot(path=str(Path(SHOTS) / f"app-{width}-full.png"), full_page=True)
        page.locator("#q-pain_locations").scroll_into_view_if_needed()
        if width < 900:
            expect(page.locator("#triage-bar")).to_be_visible()
        page.screenshot(path=str(Path(SHOTS) / f"app-{width}-form.png"))


def test_the_panel_shows_the_programme_and_a_dosed_alternative_goes_to_the_handout(page, dev_server,
                                                                                  installed_backend):
    open_page(page, dev_server)
    answer(page, CASE)
    expect(page.locator("#result-status")).to_have_text(re.compile("^4 answers"))
    result = wait_for_result(page, installed_backend, CASE)
    programme = result["programme"]
    names = {r["id"]: r["name"] for r in result["recommendations"]}
    chosen = [i["id"] for p in programme["phases"] for i in p["items"]] + [i["id"] for i in programme["lifestyle"]]
    alternatives = [a["id"] for a in programme["alternatives"]]
    assert chosen and alternatives
    shown = page.inner_text("section[aria-labelledby=programme-title]")
    for phase in programme["phases"]:
        assert phase["name"] in shown
    assert all(names[i] in shown for i in chosen)
    assert not any(names[a] in shown for a in alternatives), "an alternative is not part of the programme"
    length = programme_length(programme["weeks"], programme["review_in_weeks"])  # as the handout says it
    assert length[0].upper() + length[1:] in shown
    # the page words nothing itself: doses as the handout says them, and no id anywhere in the panel
    view = build_view(result)
    assert all(f"{i.name} — {i.dose_text}" in shown for i in view.exercises if i.dose_text)
    panel = page.inner_text("#result-body") + page.inner_text("#triage")
    assert not re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", panel), "an id reached the page"
    practitioner = page.inner_text("section[aria-labelledby=practitioner-title]")
    assert all(names[a] in practitioner for a in alternatives)
    questions = page.inner_text("section[aria-labelledby=practitioner-title] .assessment")
    assert all(q["question"] in questions for q in result["open_assessment_questions"])
    # a dose typed for an alternative goes with the handout request, and survives the next evaluation
    swap = alternatives[0]
    page.fill(f"#swap-{swap}", "3x10@daily")
    answer(page, {"age": 40})
    expect(page.locator("#result-status")).to_have_text(re.compile("^5 answers"))
    assert page.input_value(f"#swap-{swap}") == "3x10@daily"
    with page.expect_request(lambda r: "/reports" in r.url) as sent:
        page.click("#print-handout")
    assert json.loads(sent.value.post_data)["doses"] == {swap: "3x10@daily"}
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert no_sideways_scroll(page)["scroll"] <= width
            page.evaluate("document.querySelector('section[aria-labelledby=programme-title]').scrollIntoView()")
            page.screenshot(path=str(Path(SHOTS) / f"app-programme-{width}.png"))


SCREEN = "red-flag-screen"


def test_the_red_flag_screen_comes_first_and_answers_its_red_flags(page, dev_server, installed_backend):
    from decision_core.interview.screen import screen_facts

    listed = screen_facts(installed_backend.catalogue)
    open_page(page, dev_server)
    first = page.eval_on_selector("#intake .question", "e => e.id")
    assert first == f"q-{SCREEN}"  # asked before anything else
    assert page.is_visible("#q-fever_or_unwell")  # each red flag's own question, while the screen is unanswered
    page.check(f"#f-{SCREEN}-fever_or_unwell")
    page.wait_for_selector("#q-fever_or_unwell", state="hidden")  # asked once: on the screen
    expect(page.locator("#result-status")).to_have_text(re.compile("^1 answer"))
    assert page.evaluations[-1] == {"fever_or_unwell": True}  # ticked: yes; unticked: unknown, not sent
    wait_for_result(page, installed_backend, {"fever_or_unwell": True})
    # a red flag the result asks next is marked on the screen, and its link focuses its box there
    result = expected(installed_backend, {"fever_or_unwell": True})
    flag = next(q["fact"] for q in result["next_questions"] if q["fact"] in listed)
    expect(page.locator(f"#q-{SCREEN}")).to_have_class(re.compile("is-next"))
    page.click(f".next-questions a[data-fact='{flag}']")
    assert page.evaluate("document.activeElement.id") == f"f-{SCREEN}-{flag}"

    page.check(f"#f-{SCREEN}-none")  # exclusive: unticks the fever
    assert not page.is_checked(f"#f-{SCREEN}-fever_or_unwell")
    page.wait_for_timeout(600)
    assert page.evaluations[-1] == {name: False for name in listed}  # "None of these": each one no
    page.check(f"#f-{SCREEN}-leg_weakness")  # and a red flag unticks "None of these"
    assert not page.is_checked(f"#f-{SCREEN}-none")
    wait_for_result(page, installed_backend, {"leg_weakness": True})
    assert page.evaluations[-1] == {"leg_weakness": True}
    page.uncheck(f"#f-{SCREEN}-leg_weakness")  # nothing ticked: unanswered again, the questions come back
    page.wait_for_selector("#q-leg_weakness", state="visible")
    page.wait_for_timeout(600)
    assert page.evaluations[-1] == {}


def test_each_exercise_of_the_programme_shows_its_picture(page, dev_server, installed_backend):
    """The panel's programme shows each exercise's start and end position (GET /app/figures/ID.svg),
    named by the exercise's name, loaded, and inside a phone-wide page."""
    page.set_viewport_size({"width": 390, "height": 900})
    open_page(page, dev_server)
    answer(page, CASE)
    result = wait_for_result(page, installed_backend, CASE)
    recs = {r["id"]: r for r in result["recommendations"]}
    exercises = [i["id"] for p in result["programme"]["phases"] for i in p["items"] if recs[i["id"]]["kind"] == "exercise"]
    assert exercises
    for item_id in exercises:
        picture = page.locator(f"li.programme-item[data-id={item_id}] img.exercise-figure")
        expect(picture).to_have_attribute("alt", recs[item_id]["name"])
        expect(picture).to_be_visible()
        box = picture.bounding_box()
        loaded = picture.evaluate("img => img.complete && img.naturalWidth")
        assert loaded > 0 and 0 <= box["x"] and box["x"] + box["width"] <= 390, (item_id, loaded, box)
    lifestyle = [i["id"] for i in result["programme"]["lifestyle"]]
    for item_id in lifestyle:  # everyday changes have no picture
        assert page.locator(f"li.programme-item[data-id={item_id}] img").count() == 0
    assert no_sideways_scroll(page)["scroll"] <= 390
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.evaluate("document.querySelector('section[aria-labelledby=programme-title]').scrollIntoView()")
        page.screenshot(path=str(Path(SHOTS) / "app-figures-390.png"))
