"""The practitioner's page's agree / override controls (issue 20), in headless Chromium against a real
server keeping its record on SQLite: an override with a reason reaches the record against the right
item, a sent answer shows as sent and is not sent twice, an error is said in words, and a server
without a record shows no controls.

APP_SCREENSHOTS=/some/folder keeps screenshots at 1280 and 390 px there (to look at)."""
from __future__ import annotations

import json
from urllib.parse import urlsplit
import re
from pathlib import Path

import pytest
from http_support import API_KEY, serve_app
from test_app_page import CASE, SHOTS, answer, browser_context, expect, expected, open_page, page  # noqa: F401

from decision_core.adapters.http import create_app

ADMIN = "admin-key-verdicts"


@pytest.fixture(scope="module")
def recording_server(installed_backend, tmp_path_factory):
    folder = tmp_path_factory.mktemp("record")
    app = create_app({"ENV": "production", "API_KEYS": [API_KEY], "ADMIN_KEYS": [ADMIN], "RECORD": True,
                      "DATABASE_URL": f"sqlite:///{folder}/record.sqlite3", "RECORD_SPOOL_DIR": str(folder / "spool")},
                     backend=installed_backend)
    with serve_app(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def plain_server(installed_backend):
    with serve_app(create_app({"ENV": "development"}, backend=installed_backend)) as base:
        yield base


@pytest.fixture
def refusing_page(browser_context):
    """A page whose refused feedback the browser logs as a failed load (expected here); a script error fails."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, errors


def open_with_key(page, base):
    page.goto(f"{base}/app")
    page.wait_for_selector("#key-prompt", state="visible")
    page.fill("#key-input", API_KEY)
    page.keyboard.press("Enter")
    open_page(page, base)


def shown_result(page, facts: dict) -> dict:
    """The result the page shows for these answers (its record id included), read from the page's own call."""
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith("/v1/evaluations") and r.request.method == "POST"
                              and json.loads(r.request.post_data) == facts) as answered:
        answer(page, facts)
    result = answered.value.json()
    expect(page.locator("#result-status")).to_have_text(re.compile(f"^{len(facts)} answers"))
    return result


def feedback_of(app, base, record_id: str) -> list[dict]:
    import urllib.request

    assert app.extensions["decision_core"].recorder.settle()
    request = urllib.request.Request(f"{base}/v1/records/{record_id}", headers={"X-API-Key": ADMIN})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["feedback"]


def test_override_a_cause_with_a_reason_reaches_the_record(page, recording_server, installed_backend):
    base, app = recording_server
    open_with_key(page, base)
    result = shown_result(page, CASE)
    rid, cause = result["record_id"], result["causes"][0]
    assert cause["name"] == expected(installed_backend, CASE)["causes"][0]["name"]
    group = page.get_by_role("group", name=f"Your view: {cause['name']}")
    override = group.get_by_role("button", name=f"Override: {cause['name']}")
    expect(override).to_have_attribute("aria-expanded", "false")
    # keyboard only: open the form, a reason is required, then choose one and send
    override.focus()
    page.keyboard.press("Enter")
    expect(override).to_have_attribute("aria-expanded", "true")
    reason = group.get_by_label("Reason")
    expect(reason).to_be_focused()
    labels = reason.locator("option").all_inner_texts()
    assert "Disagree with the cause" in labels and "Disagree with the triage" not in labels
    assert not any(re.fullmatch(r"[a-z_-]+", label) for label in labels), labels  # words, not codes
    group.get_by_role("button", name="Send override").click()
    expect(group.get_by_role("status")).to_have_text("Choose a reason for the override.")
    assert feedback_of(app, base, rid) == []
    reason.select_option(label="Disagree with the cause")
    group.get_by_label("Comment (optional)").fill("desk job ended")
    with page.expect_response(f"**/v1/records/{rid}/feedback") as posted:
        group.get_by_label("Comment (optional)").press("Enter")
    assert posted.value.status == 201
    expect(group).to_contain_text("Sent: you override this (Disagree with the cause).")
    expect(group.get_by_role("button")).to_have_count(0)  # sent: nothing left to send it twice
    assert page.evaluate("document.activeElement.classList.contains('verdict-sent')")

    stored = feedback_of(app, base, rid)
    assert len(stored) == 1, stored
    row = stored[0]
    assert (row["channel"], row["target_kind"], row["target_id"]) == ("rest", "cause", cause["id"])
    assert (row["outcome"], row["reason"], row["comment"]) == ("overridden", "disagree-cause", "desk job ended")
    assert row["rules"] and set(row["rules"]) <= set(result["fired_rules"])

    # agree with the triage and the first item of the programme: each stored against its own item
    triage = page.locator("#triage-verdict").get_by_role("button", name=re.compile("^Agree: Triage"))
    with page.expect_response(f"**/v1/records/{rid}/feedback"):
        triage.click()
    chosen = result["programme"]["phases"][0]["items"][0]["id"]
    name = next(r["name"] for r in result["recommendations"] if r["id"] == chosen)
    item = page.locator(f".programme-item[data-id='{chosen}']").first
    with page.expect_response(f"**/v1/records/{rid}/feedback"):
        item.get_by_role("button", name=f"Agree: {name}").click()
    expect(item).to_contain_text("Sent: you agree.")
    stored = feedback_of(app, base, rid)
    assert sorted((r["target_kind"], r["target_id"], r["outcome"]) for r in stored) == sorted([
        ("cause", cause["id"], "overridden"), ("triage", result["triage"]["level"], "accepted"),
        ("recommendation", chosen, "accepted")])

    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        second = result["causes"][1]["name"] if len(result["causes"]) > 1 else None
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            size = page.evaluate("({scroll: document.documentElement.scrollWidth, width: window.innerWidth})")
            assert size["scroll"] <= size["width"], size
            if second:
                page.get_by_role("button", name=f"Override: {second}").evaluate(
                    "b => b.getAttribute('aria-expanded') === 'false' && b.click()")
            page.evaluate("document.querySelector('.causes').scrollIntoView()")
            page.screenshot(path=str(Path(SHOTS) / f"app-verdicts-{width}.png"))
            page.screenshot(path=str(Path(SHOTS) / f"app-verdicts-{width}-full.png"), full_page=True)


def test_a_new_evaluation_is_a_new_record_with_fresh_controls(page, recording_server):
    base, app = recording_server
    open_with_key(page, base)
    first = shown_result(page, CASE)
    triage = page.locator("#triage-verdict")
    with page.expect_response(f"**/v1/records/{first['record_id']}/feedback"):
        triage.get_by_role("button", name=re.compile("^Agree")).click()
    expect(triage).to_have_text("Sent, your view of the triage: you agree.")
    second = shown_result(page, {**CASE, "age": 40})
    assert second["record_id"] != first["record_id"]
    expect(triage.get_by_role("button", name=re.compile("^Agree"))).to_be_visible()  # about the new answers
    assert feedback_of(app, base, second["record_id"]) == []
    if SHOTS:
        page.set_viewport_size({"width": 390, "height": 900})
        page.evaluate("document.getElementById('triage-verdict').scrollIntoView({block: 'center'})")
        page.screenshot(path=str(Path(SHOTS) / "app-verdicts-triage-390.png"))


def test_an_error_is_said_in_words_and_the_answer_can_be_sent_again(refusing_page, recording_server):
    base, app = recording_server
    page = refusing_page
    open_with_key(page, base)
    result = shown_result(page, CASE)
    cause = result["causes"][0]
    group = page.get_by_role("group", name=f"Your view: {cause['name']}")
    url = f"**/v1/records/{result['record_id']}/feedback"
    page.route(url, lambda route: route.fulfill(
        status=422, content_type="application/problem+json",
        body=json.dumps({"title": "Invalid feedback", "detail": "The feedback could not be stored."})))
    group.get_by_role("button", name=f"Agree: {cause['name']}").click()
    expect(group.get_by_role("status")).to_have_text("Not sent: The feedback could not be stored.")
    page.unroute(url)
    with page.expect_response(url):
        group.get_by_role("button", name=f"Agree: {cause['name']}").click()
    expect(group).to_contain_text("Sent: you agree.")
    assert [r["outcome"] for r in feedback_of(app, base, result["record_id"])] == ["accepted"]


def test_no_controls_without_a_record(page, plain_server):
    open_page(page, plain_server)
    with page.expect_response("**/v1/evaluations?*") as answered:
        answer(page, CASE)
    expect(page.locator("#result-status")).to_have_text(re.compile("^4 answers"))
    assert "record_id" not in answered.value.json()
    expect(page.locator(".causes li").first).to_be_visible()
    assert page.locator(".verdict").count() == 0
    assert page.get_by_role("button", name=re.compile("^(Agree|Override)")).count() == 0
