"""One error shape for every error (RFC 9457 problem details), through the test client."""
from __future__ import annotations

import json
import logging

import pytest
from http_support import ExplodingEvaluator

from decision_core.adapters.http.backend import Backend
from decision_core.adapters.http.schemas import ProblemSchema

SECRET = "zebrafish-secret-word"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.data[:400]
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert ProblemSchema().validate(body) == {}
    assert body["status"] == status
    assert body["type"] == "about:blank" or body["type"].startswith("urn:hamstring-decision-core:problem:")
    assert body["detail"] and body["title"] and body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def post(client, data, content_type="application/json", path="/v1/evaluations"):
    return client.post(path, data=data, headers={"Content-Type": content_type} if content_type else {})


@pytest.mark.parametrize("data, why", [
    (b'{"sitting": 8', "not valid JSON"),
    (b"", "empty"),
    (b"   ", "empty"),
    (b'{"sitting": 8}\xff', "not valid UTF-8"),
    (b'\xc3\x28{}', "not valid UTF-8"),
    (b'{"sitting": NaN}', "NaN is not a JSON value"),
    (b'{"sitting": Infinity}', "Infinity is not a JSON value"),
    (b'{"sitting": 8, "sitting": 9}', "twice"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b'{"a":' * 3000 + b"1" + b"}" * 3000, "nested too deeply"),
])
def test_malformed_bodies_are_400(client, data, why):
    body = assert_problem(post(client, data), 400)
    assert why in body["detail"]
    assert body["type"].endswith(":malformed-json")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/json; charset=latin-1"])
def test_wrong_or_missing_content_type_is_415(client, content_type):
    assert_problem(post(client, b'{"sitting": 8}', content_type), 415)


def test_json_variants_are_accepted(client):
    assert post(client, b'{"sitting": 8}', "application/json; charset=UTF-8").status_code == 200
    assert post(client, '\ufeff{"sitting": 8}'.encode(), "application/json").status_code == 200
    assert post(client, b'{"sitting": 8}', "application/merge-patch+json").status_code == 200


def test_too_large_is_413(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    body = json.dumps({"sports": ["x" * 30] * 40}).encode()
    assert len(body) > 1000
    problem = assert_problem(post(client, body), 413)
    assert "1000 bytes" in problem["detail"]
    assert post(client, b'{"sitting": 8}').status_code == 200


def test_invalid_facts_are_422_naming_each_field(client):
    facts = {"sitting": 99, "cramp": "yes", "places": ["a", "z"], "mood": 3, "sports": [""], "height": 180}
    body = assert_problem(post(client, json.dumps(facts).encode()), 422)
    assert body["type"].endswith(":invalid-facts")
    assert set(body["errors"]) == {"sitting", "cramp", "places[1]", "mood", "sports[0]", "height"}
    assert "greater than or equal to 0" in body["errors"]["sitting"][0]
    assert body["errors"]["cramp"] == ["Not a boolean: must be true or false."]
    assert "not a fact" in body["errors"]["height"][0]
    for field in body["errors"]:
        assert field.split("[")[0] in body["detail"]


@pytest.mark.parametrize("payload", [[], [1, 2], "text", 42, True, None])
def test_facts_that_are_not_an_object_are_422(client, payload):
    body = assert_problem(post(client, json.dumps(payload).encode()), 422)
    assert list(body["errors"]) == ["_schema"]


def test_404_and_405(client):
    assert_problem(client.get("/v2/evaluations"), 404)
    assert_problem(client.get("/v1/reports/not-a-report-id"), 404)
    for method in ("get", "put", "delete", "patch"):
        problem = getattr(client, method)("/v1/evaluations")
        body = assert_problem(problem, 405)
        assert method.upper() in body["detail"]
        assert set(problem.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert_problem(client.post("/v1/facts", json={}), 405)


def test_500_says_nothing_of_the_internals_and_logs_no_patient_data(make_app, mini_backend, caplog):
    backend = Backend(mini_backend.catalogue, ExplodingEvaluator(mini_backend.evaluator), {}, [])
    client = make_app(backend=backend).test_client()
    with caplog.at_level(logging.DEBUG):
        response = post(client, json.dumps({"sports": [SECRET]}).encode())
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    assert SECRET not in text and "RuntimeError" not in text and "engine state" not in text
    assert SECRET not in caplog.text and "engine state dump" not in caplog.text
    assert "RuntimeError" in caplog.text and body["request_id"] in caplog.text


def test_logs_hold_no_patient_data(client, caplog):
    with caplog.at_level(logging.DEBUG):
        assert post(client, json.dumps({"sports": [SECRET], "sitting": 7}).encode()).status_code == 200
        assert post(client, json.dumps({"sports": [SECRET], "sitting": 99}).encode()).status_code == 422
        client.post(f"/v1/reports?format=shout&note={SECRET}", json={"sports": [SECRET]})
    assert "POST /v1/evaluations 200" in caplog.text
    assert SECRET not in caplog.text


def test_every_error_has_the_same_shape_on_cds_routes_too(client):
    assert_problem(client.post("/cds-services/nope", json={"hook": "x", "hookInstance": "1", "context": {}}), 404)
    assert_problem(client.get("/cds-services/hamstring-patient-view"), 405)
    assert_problem(post(client, b"{", path="/cds-services/hamstring-patient-view"), 400)
    assert_problem(post(client, b"{}", "text/plain", path="/cds-services/hamstring-patient-view"), 415)
    body = assert_problem(client.post("/cds-services/hamstring-patient-view", json={"hook": "patient-view"}), 422)
    assert set(body["errors"]) == {"hookInstance", "context"}
