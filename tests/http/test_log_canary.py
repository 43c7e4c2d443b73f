"""The log canary (issue 24 §3 and §5): a real `decision-core serve`, in text and JSON, at info and
debug, with a broken plugin installed and its access log on, is sent report links written every
way, a canary API key (right and wrong), canary facts, and bodies with two defects; its whole
output then holds no report id, no key and no fact, and in JSON mode every line is one JSON
record (the start-up banner, the plugin failures and gunicorn's own lines included), with the
documented INFO line "loading plugin …". The four servers start at once (about 15 s)."""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from http_support import ISSUER, REPO_ROOT, start_server, stop_server

from decision_core.testing import fake_distribution

KEY = "canary-key-7f3a9c1e5b"
WRONG_KEY = "canary-wrong-key-2d8e4f"
WORD = "canaryzebrafish"
PV = "/cds-services/hamstring-patient-view"
MODES = [("json", "info"), ("json", "debug"), ("text", "info"), ("text", "debug")]


@pytest.fixture(scope="module")
def servers(tmp_path_factory, jwks_file):
    plugins = tmp_path_factory.mktemp("plugins")
    fake_distribution(plugins, "usurper")  # a cause id already taken: a failure message of several lines
    fake_distribution(plugins, "unimportable")
    base = "http://127.0.0.1"

    def start(mode):
        log_format, level = mode
        folder = tmp_path_factory.mktemp(f"{log_format}-{level}")
        env = {"DECISION_CORE_ENGINE": "plain", "DECISION_CORE_API_KEYS": KEY, "DECISION_CORE_LOG_FORMAT": log_format,
               "DECISION_CORE_CDS_TRUSTED_ISSUERS": json.dumps({ISSUER: str(jwks_file)}),
               "DECISION_CORE_PUBLIC_BASE_URL": base,
               "PYTHONPATH": os.pathsep.join([str(plugins), str(REPO_ROOT / "tests" / "plugins"),
                                              os.environ.get("PYTHONPATH", "")]), "TMPDIR": str(folder)}
        return start_server(folder, env, workers=1, args=("--access-log", "--log-level", level))

    with ThreadPoolExecutor(len(MODES)) as pool:
        started = dict(zip(MODES, pool.map(start, MODES)))
    yield started
    for server in started.values():
        stop_server(server)


def exercise(server, signer) -> list[str]:
    """Every request of the canary; the report ids it made."""
    api = {"X-API-Key": KEY}
    call = {"hook": "patient-view", "hookInstance": "h1", "context": {"patientId": "p1", "extension": {
        "hamstring-decision-core.facts": {"sharp_pain": True, "sports": [WORD]}}}}
    made = requests.post(f"{server.base}{PV}", json=call, timeout=30,
                         headers={"Authorization": f"Bearer {signer.token('http://127.0.0.1' + PV)}"})
    assert made.status_code == 200, made.text
    report_id = made.json()["cards"][0]["links"][0]["url"].rsplit("/", 1)[1]
    for written in ("/v1/reports/{id}", "/v1//reports/{id}", "/v1/reports//{id}", "/v1/./reports/{id}",
                    "//v1/reports/{id}", "/v1/%72eports/{id}", "/V1/reports/{id}", "/v1/reports/{id}?format=text"):
        response = requests.get(server.base + written.format(id=report_id), timeout=30, allow_redirects=False)
        assert response.status_code in (200, 404), (written, response.status_code)
    facts = {"sports": [WORD], "sitting_hours_per_day": 9}
    assert requests.post(f"{server.base}/v1/evaluations", json=facts, headers=api, timeout=30).status_code == 200
    assert requests.post(f"{server.base}/v1/evaluations", json={WORD: 1}, headers=api, timeout=30).status_code == 422
    assert requests.post(f"{server.base}/v1/evaluations", json=facts, timeout=30,
                         headers={"X-API-Key": WRONG_KEY}).status_code == 401
    assert requests.post(f"{server.base}/v1/evaluations", json=facts, timeout=30,
                         headers={"Authorization": f"Bearer {WRONG_KEY}"}).status_code == 401
    two_defects = '{"%s": %s, "%s": 1}x' % (WORD, "9" * 4400, WORD)
    assert requests.post(f"{server.base}/v1/evaluations", data=two_defects, timeout=30,
                         headers={**api, "Content-Type": "application/json"}).status_code == 400
    return [report_id]


@pytest.mark.parametrize("mode", MODES, ids=["-".join(m) for m in MODES])
def test_no_report_id_key_or_fact_in_any_log_line_and_json_lines_only_in_json_mode(servers, signer, mode):
    server = servers[mode]
    report_ids = exercise(server, signer)
    stop_server(server)  # its shutdown lines too
    log = server.log()
    for secret in (*report_ids, KEY, WRONG_KEY, WORD):
        assert secret not in log, f"{secret} in the {mode} log"
    lines = [line for line in log.splitlines() if line.strip()]
    assert "Traceback" not in log
    assert any("loading plugin usurper" in line for line in lines), "the documented INFO line"
    assert any("decision-core serving on" in line for line in lines)
    assert sum("/v1/reports/<redacted>" in line for line in lines) >= 2
    if mode[0] == "json":
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a JSON line in JSON mode: {line[:200]}")
        failures = [r for r in records if r["level"] == "ERROR" and "usurper" in r["message"]]
        assert failures and "\n" in failures[0]["message"], "the several-line plugin failure is one record"
        assert {r["logger"] for r in records} >= {"gunicorn.error", "gunicorn.access", "decision_core.plugins.registry"}
        if mode[1] == "debug":
            assert any(r["level"] == "DEBUG" and r["logger"].startswith("gunicorn") for r in records)
