"""A real form filler as a peer: NLM's LHC-Forms (npm 'lforms', pinned; the reference renderer for SDC
questionnaires) renders our Questionnaire in headless Chromium, is filled through its own controls
(yes/no radios, a choice list, a several-choice list, whole and decimal numbers, a repeating text and
a question shown by enableWhen), and its own export of the QuestionnaireResponse, posted to
POST /v1/evaluations/from-questionnaire-response, gives exactly the result of posting the same facts
to POST /v1/evaluations.

scripts/fetch-lforms fetches the package tarball once (npm pack, SHA-256 checked) into a cache
folder; its files are served to the page from there by Playwright, so the page loads nothing from
the network. Locally a missing npm or registry skips; under CI (CI set) it fails."""
from __future__ import annotations

import json
import mimetypes
import subprocess
from pathlib import Path

import pytest
import requests
from browser_support import unavailable
from http_support import REPO_ROOT, serve_app

from decision_core.adapters.http import create_app

ORIGIN = "http://lforms.test"  # answered by Playwright from the cache folder, never the network
# The FHIR library's parser needs the page to be UTF-8 (without it: error 59627784-...); scripts last.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LHC-Forms</title>
<link rel="stylesheet" href="webcomponent/styles.css"></head><body><div id="form"></div>
<script src="webcomponent/assets/lib/zone.min.js"></script>
<script src="webcomponent/lhc-forms.js"></script>
<script src="fhir/R4/lformsFHIR.min.js"></script></body></html>"""
EXPORT = "() => LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', document.getElementById('form'))"
FACTS = {"age": 38, "activity_level": "sedentary", "sports": ["running"], "sitting_hours_per_day": 10,
         "pain_level": 2, "sharp_pain": False, "pain_locations": ["buttock"], "previous_hamstring_injury": True,
         "previous_injury_months_ago": 4, "glute_bridge_hamstring_cramp": True}


@pytest.fixture(scope="module")
def lforms_dir() -> Path:
    try:
        done = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "fetch-lforms")], capture_output=True, text=True,
                              timeout=600)
    except subprocess.TimeoutExpired:
        unavailable("fetching LHC-Forms took over 10 minutes", how="scripts/fetch-lforms")
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["(no message)"])[-1][:300]
        unavailable(f"LHC-Forms could not be fetched: {said}",
                    how="npm (Debian package npm) and the npm registry; bash scripts/fetch-lforms")
    return Path(done.stdout.strip().splitlines()[-1]) / "package" / "dist" / "lforms"


@pytest.fixture(scope="module")
def server(installed_backend):
    with serve_app(create_app({"ENV": "development"}, backend=installed_backend)) as base:
        yield base


@pytest.fixture
def lhc_page(chromium_browser, lforms_dir):
    def serve(route):
        path = route.request.url[len(ORIGIN) + 1:].split("?")[0]
        if path == "index.html":
            return route.fulfill(body=PAGE, content_type="text/html; charset=utf-8")
        file = (lforms_dir / path).resolve()
        if lforms_dir.resolve() in file.parents and file.is_file():
            return route.fulfill(path=str(file), content_type=mimetypes.guess_type(file.name)[0] or "text/plain")
        return route.fulfill(status=404, body="")

    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/*", lambda route: serve(route) if route.request.url.startswith(ORIGIN + "/") else route.abort())
    page.goto(f"{ORIGIN}/index.html")
    page.wait_for_function("() => window.LForms && LForms.Util && LForms.Util.addFormToPage", timeout=30_000)
    yield page
    page.close()
    assert not errors, errors


def by_id(element_id: str) -> str:
    return f'[id="{element_id}"]'  # LHC-Forms ids hold slashes: "age/1/1"


def field(link_id: str) -> str:
    return by_id(f"{link_id}/1/1")


def pick(page, link_id: str, text: str) -> None:
    """Choose an answer from LHC-Forms' answer list (its autocompleter), as a user does."""
    page.click(field(link_id))
    page.click(f"#lhc-tools-searchResults li:has-text('{text}')")


def test_lhc_forms_fills_our_questionnaire_and_we_read_its_response(lhc_page, server):
    page = lhc_page
    questionnaire = requests.get(f"{server}/fhir/Questionnaire/hamstring-intake", timeout=10).json()
    outcome = page.evaluate("q => LForms.Util.addFormToPage(q, 'form', {fhirVersion: 'R4'})"
                            ".then(() => 'rendered', e => 'refused: ' + e)", questionnaire)
    assert outcome == "rendered"
    page.wait_for_selector(field("age"))
    assert page.locator(field("previous_injury_months_ago")).count() == 0  # enableWhen: not shown yet

    # Our maxValue extension: LHC-Forms flags the answer but still exports it; we refuse it, naming the place.
    page.fill(field("age"), "500")
    page.keyboard.press("Tab")
    problems = page.evaluate("() => LForms.Util.checkValidity(document.getElementById('form'))")
    assert problems and "110" in " ".join(problems)
    refused = requests.post(f"{server}/v1/evaluations/from-questionnaire-response", json=page.evaluate(EXPORT),
                            timeout=30)
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["item[0].item[0].answer[0].valueInteger"], refused.json()
    page.fill(field("age"), "38")
    page.fill(field("pain_level"), "2")
    page.fill(field("sitting_hours_per_day"), "10")
    page.fill(field("sports"), "running")
    page.click(by_id("sharp_pain/1/1|false"))
    page.click(by_id("glute_bridge_hamstring_cramp/1/1|true"))
    page.click(by_id("previous_hamstring_injury/1/1|true"))
    page.fill(field("previous_injury_months_ago"), "4")  # shown now
    page.click(field("activity_level"))
    page.keyboard.type("Mostly")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    pick(page, "pain_locations", "The buttock")
    page.keyboard.press("Escape")

    response = page.evaluate(EXPORT)
    assert page.evaluate("() => LForms.Util.checkValidity(document.getElementById('form'))") is None
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["questionnaire"].split("|")[0] == questionnaire["url"]
    answered = [item["linkId"] for group in response["item"] for item in group.get("item", []) if "answer" in item]
    assert sorted(answered) == sorted(FACTS)  # the questions left "Not Answered" are not in it: unknown, not "no"

    via_response = requests.post(f"{server}/v1/evaluations/from-questionnaire-response", json=response, timeout=30)
    assert via_response.status_code == 200, via_response.text
    direct = requests.post(f"{server}/v1/evaluations", json=FACTS, timeout=30).json()
    assert via_response.json() == direct
    assert direct["facts"] == json.loads(json.dumps(FACTS))


SCREEN = "red-flag-screen"


def screen_box(option_system: str, code: str) -> str:
    return by_id(f"{SCREEN}/1|{option_system}|{code}")  # LHC-Forms' label of a check box: "linkId/1|system|code"


def test_lhc_forms_renders_and_exports_the_red_flag_screen(lhc_page, server):
    from decision_core.intake import FACT_CODE_SYSTEM
    from decision_core.interview.screen import NONE_CODE, SCREEN_SYSTEM

    page = lhc_page
    questionnaire = requests.get(f"{server}/fhir/Questionnaire/hamstring-intake", timeout=10).json()
    listed = [o["valueCoding"]["code"] for o in questionnaire["item"][0]["answerOption"]][:-1]
    assert page.evaluate("q => LForms.Util.addFormToPage(q, 'form', {fhirVersion: 'R4'})"
                         ".then(() => 'rendered', e => 'refused: ' + e)", questionnaire) == "rendered"
    page.wait_for_selector(screen_box(SCREEN_SYSTEM, NONE_CODE))
    assert all(page.locator(screen_box(FACT_CODE_SYSTEM, name)).count() == 1 for name in listed)  # a box each
    assert page.locator(by_id("fever_or_unwell/1/1|true")).count() == 1  # its own question, while unanswered

    # A ticked red flag: its own question goes (enableWhen "exists"), the follow-up is answered as usual.
    page.click(screen_box(FACT_CODE_SYSTEM, "fever_or_unwell"))
    expect_gone = page.locator(by_id("fever_or_unwell/1/1|true"))
    expect_gone.wait_for(state="detached")
    page.fill(field("pain_level"), "2")
    response = page.evaluate(EXPORT)
    screen = next(item for item in response["item"] if item["linkId"] == SCREEN)
    assert [a["valueCoding"]["code"] for a in screen["answer"]] == ["fever_or_unwell"]
    via_response = requests.post(f"{server}/v1/evaluations/from-questionnaire-response", json=response, timeout=30)
    assert via_response.status_code == 200, via_response.text
    facts = {"fever_or_unwell": True, "pain_level": 2}
    assert via_response.json() == requests.post(f"{server}/v1/evaluations", json=facts, timeout=30).json()

    # LHC-Forms 40.1.3 does not honour optionExclusive: "None of these" stays ticked beside the fever and both are
    # exported. A red flag's "yes" wins: the fever counts, and the others are not known to be "no".
    page.click(screen_box(SCREEN_SYSTEM, NONE_CODE))
    both = page.evaluate(EXPORT)
    assert {a["valueCoding"]["code"] for a in next(i for i in both["item"] if i["linkId"] == SCREEN)["answer"]} \
        == {"fever_or_unwell", NONE_CODE}
    read = requests.post(f"{server}/v1/evaluations/from-questionnaire-response", json=both, timeout=30)
    assert read.status_code == 200, read.text
    assert read.json() == requests.post(f"{server}/v1/evaluations", json=facts, timeout=30).json()

    # "None of these" alone: every red flag it lists is "no".
    page.click(screen_box(FACT_CODE_SYSTEM, "fever_or_unwell"))
    none = page.evaluate(EXPORT)
    via_response = requests.post(f"{server}/v1/evaluations/from-questionnaire-response", json=none, timeout=30)
    assert via_response.status_code == 200, via_response.text
    facts = {**{name: False for name in listed}, "pain_level": 2}
    assert via_response.json() == requests.post(f"{server}/v1/evaluations", json=facts, timeout=30).json()
