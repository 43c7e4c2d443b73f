"""Logs: nothing from a request body on any error path (the problem handler's own failure
included), a stored report's id redacted, and one event per line whatever the input,
in the app's log and in gunicorn's (a real server)."""
from __future__ import annotations

import json
import logging

import pytest
import requests
from http_support import MINI_DIR, ExplodingEvaluator, start_server, stop_server

from decision_core.adapters.http import errors
from decision_core.adapters.http.backend import Backend
from decision_core.adapters.http.logs import JsonFormatter, TextFormatter

CANARY = "CANARYPATIENT Jane Doe 1970-01-01"
PV = "/cds-services/hamstring-patient-view"


def cds(facts) -> dict:
    return {"hook": "patient-view", "hookInstance": "h1",
            "context": {"patientId": "p1", "extension": {"hamstring-decision-core.facts": facts}}}


def post(client, path, body):
    data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    return client.post(path, data=data, headers={"Content-Type": "application/json"})


def everything_logged(caplog) -> str:
    """What caplog saw, and what the serve formatters would write from the same records."""
    lines = [caplog.text]
    for fmt in (JsonFormatter(), TextFormatter()):
        lines += [fmt.format(record) for record in caplog.records]
    return "\n".join(lines)


ERROR_PATHS = [
    ("unknown fact", "/v1/evaluations", {CANARY: True}, 422),
    ("wrong value", "/v1/evaluations", {"sports": [CANARY, 3]}, 422),
    ("report: unknown fact", "/v1/reports?format=shout", {CANARY: 1}, 422),
    ("report: unknown member", "/v1/reports?format=shout", {"facts": {}, CANARY: 1}, 422),
    ("report: bad patient", "/v1/reports?format=shout", {"facts": {}, "patient": {"name": CANARY, "x": 1}}, 422),
    ("report: bad dose", "/v1/reports?format=shout", {"facts": {}, "doses": {CANARY: "3x12@daily"}}, 422),
    ("report: unknown format", f"/v1/reports?format={CANARY}", {"facts": {}}, 400),
    ("cds: unknown fact", PV, cds({CANARY: True}), 422),
    ("cds: bad hook", PV, dict(cds({}), hook=CANARY), 422),
    ("cds: unknown service", "/cds-services/nope", cds({CANARY: 1}), 404),
    ("feedback", PV + "/feedback", {"feedback": [{"card": CANARY, "outcome": CANARY}]}, 422),
    ("duplicate key", "/v1/evaluations", '{"%s": 1, "%s": 2}' % (CANARY, CANARY), 400),
    ("lone surrogate", "/v1/evaluations", '{"%s\\ud800": 1}' % CANARY, 400),
    ("long integer", "/v1/evaluations", '{"%s": %s}' % (CANARY, "7" * 5000), 400),
    ("not JSON", "/v1/evaluations", '{"%s": ' % CANARY, 400),
]


@pytest.mark.parametrize("name, path, body, status", ERROR_PATHS, ids=[p[0] for p in ERROR_PATHS])
def test_no_error_path_logs_the_request(client, caplog, name, path, body, status):
    with caplog.at_level(logging.DEBUG):
        assert post(client, path, body).status_code == status
    assert CANARY not in everything_logged(caplog)
    assert "CANARY" not in everything_logged(caplog)


def test_a_failing_problem_handler_logs_no_request_content(client, caplog, monkeypatch):
    # the case: the handler that writes the 422 failed, and Flask logged its traceback,
    # whose messages quoted the client's key
    def broken(exc, **extensions):
        raise UnicodeEncodeError("utf-8", str(exc.errors), 0, 1, f"cannot encode {exc}")

    monkeypatch.setattr(errors, "invalid_facts", broken)
    with caplog.at_level(logging.DEBUG):
        response = post(client, "/v1/evaluations", {CANARY: True})
    assert response.status_code == 500 and response.json["status"] == 500
    logged = everything_logged(caplog)
    assert CANARY not in logged
    assert "UnicodeEncodeError at" in logged and "during InvalidFacts at" in logged
    assert response.json["request_id"] in logged
    assert post(client, "/v1/evaluations", {"sitting": 8}).status_code == 200


def test_failing_engines_and_renderers_log_no_request_content(make_app, mini_backend, caplog):
    def render(result, **options):
        raise ValueError(f"cannot render {options}")

    exploding = ExplodingEvaluator(mini_backend.evaluator)
    client = make_app(backend=Backend(mini_backend.catalogue, exploding, {}, [])).test_client()
    failing = Backend(mini_backend.catalogue, mini_backend.evaluator, {}, [])
    failing.add_format("boom", "text/plain", "txt", render)
    reports = make_app(backend=failing).test_client()
    with caplog.at_level(logging.DEBUG):
        assert post(client, "/v1/evaluations", {"sports": [CANARY]}).status_code == 500
        body = {"facts": {"sitting": 8}, "patient": {"name": CANARY}, "clinician": CANARY}
        assert post(reports, "/v1/reports?format=boom", body).status_code == 500
    assert CANARY not in everything_logged(caplog)
    assert "RuntimeError" in caplog.text and "ValueError" in caplog.text


def test_the_stored_report_id_is_redacted_in_the_request_log(client, caplog):
    card = post(client, PV, cds({"red": True})).json["cards"][0]
    report_id = card["links"][0]["url"].rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO):
        assert client.get(f"/v1/reports/{report_id}?format=shout").status_code == 200
        assert client.get("/v1/reports/some-guess").status_code == 404
    logged = everything_logged(caplog)
    assert report_id not in logged and "some-guess" not in logged
    assert "GET /v1/reports/<redacted> 200" in caplog.text and "GET /v1/reports/<redacted> 404" in caplog.text


def test_a_forged_line_stays_inside_its_event(client, caplog):
    with caplog.at_level(logging.INFO):
        client.get("/healthz%0d%0aERROR%20forged%E2%80%A8line%0a")
    records = [r for r in caplog.records if "forged" in r.getMessage()]
    assert records, "the request was logged"
    for record in records:
        for fmt in (JsonFormatter(), TextFormatter()):
            line = fmt.format(record)
            assert "\n" not in line and "\r" not in line and "\u2028" not in line
        event = json.loads(JsonFormatter().format(record))
        assert "\r\nERROR forged" in event["message"] and event["request_id"]
        assert "\\x0d\\x0aERROR forged\\u2028line\\x0a" in TextFormatter().format(record)


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_gunicorn_and_app_logs_cannot_be_forged_and_hide_report_ids(tmp_path, log_format):
    server = start_server(tmp_path, {"DECISION_CORE_CATALOGUE_DIRS": str(MINI_DIR), "DECISION_CORE_ENGINE": "plain",
                                     "DECISION_CORE_ENV": "development", "DECISION_CORE_LOG_FORMAT": log_format},
                          workers=1, args=("--access-log", "--log-level", "info"))
    try:
        card = requests.post(f"{server.base}{PV}", json=cds({"red": True}), timeout=10).json()["cards"][0]
        report_id = card["links"][0]["url"].rsplit("/", 1)[1]
        assert requests.get(f"{server.base}/v1/reports/{report_id}", timeout=10).status_code == 200
        forged = requests.get(f"{server.base}/healthz%0d%0aERROR%20forged%0a%1b[31m", timeout=10)
        assert forged.status_code == 404
        assert requests.post(f"{server.base}/v1/evaluations", json={CANARY: 1}, timeout=10).status_code == 422
    finally:
        stop_server(server)
    log = server.log()
    assert report_id not in log and CANARY not in log and "\x1b" not in log
    lines = log.splitlines()
    assert not [ln for ln in lines if ln.startswith("ERROR forged")]
    assert sum("/v1/reports/<redacted>" in ln for ln in lines) == 2  # the app's line and gunicorn's
    if log_format == "json":
        other = [ln for ln in lines if not ln.startswith("{")]
        assert not other, other  # the start-up banner is a record too
        events = [json.loads(ln) for ln in lines if ln.startswith("{")]
        access = [e for e in events if e["logger"] == "gunicorn.access"]
        assert all("id=" in e["message"] for e in access)
        assert [e["message"].split('"')[1] for e in access if "forged" in e["message"]] == [
            "GET /healthz\\x0d\\x0aERROR forged\\x0a\\x1b[31m"]
        app = [e for e in events if "forged" in e.get("path", "")]
        assert len(app) == 1 and app[0]["request_id"] and app[0]["status"] == 404
        assert app[0]["path"] == "/healthz\r\nERROR forged\n\x1b[31m"  # kept whole, inside its JSON string
