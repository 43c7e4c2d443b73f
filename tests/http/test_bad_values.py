"""Values that JSON allows but nothing downstream can use, on every JSON route: a lone
surrogate, an integer too long to read, a number past its fact's maximum; and error
bodies that stay small however many fields are wrong. Each is a 4xx problem naming
the field, and the app answers normally afterwards."""
from __future__ import annotations

import json

import pytest
from test_errors import assert_problem

SURROGATE = '"\\ud800"'  # the JSON escape: UTF-8 itself cannot carry a lone surrogate
FEEDBACK = '{"feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2024-01-01T00:00:00Z"%s}]}'
QR = '{"resourceType": "QuestionnaireResponse", "item": [{"linkId": "sitting", "answer": [{"valueDecimal": 8}]}]%s}'
# the prefetch keys sent as null (no data): a call with no intake data at all is 412
CDS = ('{"hook": "patient-view", "hookInstance": "h1", "prefetch": {"intakeResponse": null, '
       '"intakeObservations": null}, "context": {"patientId": "p1"%s}}')

# route -> a valid body with a slot (%s) where one more member goes, and the path that member gets
ROUTES = {
    "/v1/evaluations": ('{"sitting": 8%s}', ""),
    "/v1/reports?format=shout": ('{"facts": {"sitting": 8}%s}', ""),
    "/cds-services/hamstring-patient-view": (CDS, "context."),
    "/cds-services/hamstring-encounter-start": (CDS.replace("patient-view", "encounter-start"), "context."),
    "/cds-services/hamstring-patient-view/feedback": (FEEDBACK, "feedback[0]."),
    "/v1/echo": ('{"sitting": 8%s}', ""),
    "/v1/evaluations/from-questionnaire-response": (QR, ""),
    "/fhir/Questionnaire/$next-question": (QR, ""),
}


@pytest.fixture
def echo_client(make_app):
    return make_app(BENCHMARK_ECHO=True).test_client()


def post(client, path, body: str):
    return client.post(path, data=body.encode("utf-8"), headers={"Content-Type": "application/json"})


def test_the_probes_cover_every_json_route(echo_client):
    posts = {r.rule for r in echo_client.application.url_map.iter_rules() if "POST" in r.methods}
    probed = {path.split("?")[0].replace("hamstring-patient-view", "<service_id>")
              .replace("hamstring-encounter-start", "<service_id>") for path in ROUTES}
    assert posts == probed


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("where", ["key", "value", "nested key", "nested value", "list item"])
def test_a_lone_surrogate_is_a_400_naming_where(echo_client, path, where):
    template, prefix = ROUTES[path]
    member, named = {
        "key": (f", {SURROGATE}: 1", "\\ud800"),
        "value": (f', "note": {SURROGATE}', "note"),
        "nested key": (f', "x": {{"y": {{{SURROGATE}: true}}}}', "x.y.\\ud800"),
        "nested value": (f', "x": {{"y": [1, {{"z": {SURROGATE}}}]}}', "x.y[1].z"),
        "list item": (f', "sports": ["ok", {SURROGATE}]', "sports[1]"),
    }[where]
    body = assert_problem(post(echo_client, path, template % member), 400)
    assert body["type"].endswith(":malformed-json")
    assert list(body["errors"]) == [prefix + named]
    assert "lone surrogate" in body["errors"][prefix + named][0]
    assert prefix + named in body["detail"]
    # and the app is fine afterwards
    assert post(echo_client, path, template % "").status_code == 200


def test_escaped_pairs_and_escaped_backslashes_are_fine(echo_client):
    response = post(echo_client, "/v1/echo", '{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}')
    assert response.status_code == 200 and response.json == {"a": "\U0001F600", "b": "\\ud800"}


@pytest.mark.parametrize("path", ROUTES)
def test_an_integer_too_long_to_read_is_a_400_naming_where(echo_client, path):
    template, prefix = ROUTES[path]
    digits = "9" * 4301
    body = assert_problem(post(echo_client, path, template % f', "x": [0, -{digits}]'), 400)
    assert body["errors"] == {prefix + "x[1]": ["The number has 4301 digits; at most 4300 can be read."]}
    ok = post(echo_client, path, template % f', "x": {"9" * 4300}')
    assert ok.status_code in (200, 422)  # readable: the route's own validation decides


def test_big_integers_the_schemas_let_through_are_echoed_not_500(echo_client):
    response = post(echo_client, "/v1/echo", '{"big": %d}' % 2**64)
    assert response.status_code == 200 and json.loads(response.data) == {"big": 2**64}


@pytest.mark.parametrize("name, maximum", [("tightness_duration_weeks", 5720), ("previous_injury_months_ago", 1320)])
@pytest.mark.parametrize("value", ["18446744073709551616", "1e300", "5720.5"])
def test_a_number_past_its_facts_maximum_is_a_422_naming_it(make_app, installed_backend, name, maximum, value):
    client = make_app(backend=installed_backend).test_client()
    body = assert_problem(post(client, "/v1/evaluations", '{"%s": %s}' % (name, value)), 422)
    assert list(body["errors"]) == [name] and name in body["detail"]
    assert f"less than or equal to {float(maximum)}" in body["errors"][name][0]
    cds = CDS % (', "extension": {"hamstring-decision-core.facts": {"%s": %s}}' % (name, value))
    body = assert_problem(post(client, "/cds-services/hamstring-patient-view", cds), 422)
    assert list(body["errors"]) == [name]
    ok = post(client, "/v1/evaluations", '{"%s": %d}' % (name, maximum))
    assert ok.status_code == 200 and ok.json["facts"][name] == maximum


def test_error_bodies_are_capped(make_app):
    client = make_app(MAX_CONTENT_LENGTH=300_000).test_client()
    facts = {f"u{i:05d}": 1 for i in range(24_000)}
    body_text = json.dumps(facts, separators=(",", ":"))
    assert len(body_text) > 252_000  # the body: 1.6 MB of errors before
    response = post(client, "/v1/evaluations", body_text)
    body = assert_problem(response, 422)
    assert len(response.data) < 20_000, len(response.data)
    assert len(body["errors"]) == 50 and body["errors_omitted"] == 24_000 - 50
    assert list(body["errors"])[0] == "u00000"
    assert "and 23990 more" in body["detail"]
    # the same on the other validators
    report = post(client, "/v1/reports?format=shout", json.dumps({"facts": {}, **facts}, separators=(",", ":")))
    assert len(report.data) < 20_000 and assert_problem(report, 422)["errors_omitted"] == 24_000 - 50
    cds = post(client, "/cds-services/hamstring-patient-view",
               CDS % (', "extension": {"hamstring-decision-core.facts": %s}' % body_text))
    body = assert_problem(cds, 422)
    assert len(cds.data) < 20_000 and body["errors_omitted"] == 24_000 - 50


def test_long_field_names_are_shortened_in_problems(client):
    name = "n" * 5000
    body = assert_problem(post(client, "/v1/evaluations", json.dumps({name: 1})), 422)
    assert list(body["errors"]) == ["n" * 100 + "…"]
    assert len(body["detail"]) < 400
