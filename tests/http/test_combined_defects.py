"""Two defects in one body never make a 500 (issue 24 §2).

Each defect class alone was a clear 400 or 422; together some were not: an integer of more
than 4,300 digits followed by a syntax error, a duplicate key or deep nesting made the
reader's second parse raise outside its handlers, and a QuestionnaireResponse nested
490-511 levels deep failed in ``copy.deepcopy`` behind ``$next-question``. The property
test combines every defect class in pairs on every JSON POST route, through the Flask
test client, and asserts that every answer is below 500 and every error a problem.
"""
from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_errors import assert_problem

from decision_core.adapters.http.payload import MAX_JSON_DEPTH

QR = {"resourceType": "QuestionnaireResponse", "status": "in-progress",
      "item": [{"linkId": "sitting", "answer": [{"valueDecimal": 8}]}]}
CDS = {"hook": "patient-view", "hookInstance": "h1", "context": {"patientId": "p1"},
       "prefetch": {"intakeResponse": QR, "intakeObservations": None}}
FEEDBACK = {"feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2024-01-01T00:00:00Z"}]}

# route -> a valid body (each defect is added to it)
ROUTES = {
    "/v1/evaluations": {"sitting": 8, "sports": ["yoga"]},
    "/v1/reports?format=shout": {"facts": {"sitting": 8}},
    "/v1/evaluations/from-questionnaire-response": QR,
    "/fhir/Questionnaire/$next-question": QR,
    "/cds-services/hamstring-patient-view": CDS,
    "/cds-services/hamstring-encounter-start": dict(CDS, hook="encounter-start"),
    "/cds-services/hamstring-patient-view/feedback": FEEDBACK,
}
FHIR_ROUTES = ("/v1/evaluations/from-questionnaire-response", "/fhir/Questionnaire/$next-question")
DEFECTS = ("huge integer", "duplicate key", "depth", "lone surrogate", "nan or infinity", "syntax error",
           "wrong type", "deep fhir nesting")
PAIRS = list(itertools.combinations(DEFECTS, 2))
MARK = '"\\u0000slot": 0'  # where a defect's members go: a placeholder member, replaced in the text


def test_the_routes_are_every_json_post_route(client):
    posts = {r.rule for r in client.application.url_map.iter_rules() if "POST" in r.methods}
    probed = {path.split("?")[0].replace("hamstring-patient-view", "<service_id>")
              .replace("hamstring-encounter-start", "<service_id>") for path in ROUTES}
    assert posts == probed


def nested_items(depth: int) -> dict:
    """A QuestionnaireResponse nested ``depth`` JSON levels (or one less) by its groups."""
    item: dict = {"linkId": "sitting", "answer": [{"valueDecimal": 8}]}  # 5 levels with the body and its item list
    for level in range(max(0, depth - 5) // 2):  # each group: an object and its item list
        item = {"linkId": f"group-{level}", "item": [item]}
    return {"resourceType": "QuestionnaireResponse", "item": [item]}


def json_values():
    return st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                        max_leaves=6)


@st.composite
def defect(draw, kind: str, route: str) -> tuple[str, str]:
    """(members to add to the body's top-level object, a whole-text change: '' or 'truncate' / 'append')."""
    if kind == "huge integer":
        digits = draw(st.integers(4301, 6000))
        return f'"n": {"-" if draw(st.booleans()) else ""}{"7" * digits}', ""
    if kind == "duplicate key":
        key = draw(st.sampled_from(["sitting", "facts", "item", "context", "dup"]))
        return f'"{key}": 1, "{key}": 2', ""
    if kind == "depth":
        depth = draw(st.sampled_from([MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 490, 511, 5000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return f'"deep": {opener * depth}1{closer * depth}', ""
    if kind == "lone surrogate":
        return draw(st.sampled_from(['"s": "\\ud800"', '"\\udfff": 1', '"s": ["ok", "\\udbff"]'])), ""
    if kind == "nan or infinity":
        return f'"x": {draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))}', ""
    if kind == "syntax error":
        return "", draw(st.sampled_from(["truncate", "append"]))
    if kind == "wrong type":
        key = draw(st.sampled_from(["sitting", "facts", "item", "context", "hook", "feedback", "resourceType",
                                    "prefetch", "status"]))
        return f'"{key}": {json.dumps(draw(json_values()))}', ""
    # deep FHIR nesting: a QuestionnaireResponse nested around the reader's limit, where the route reads one
    depth = draw(st.sampled_from([MAX_JSON_DEPTH - 3, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH + 2, 495, 505]))
    nested = nested_items(depth)
    if route in FHIR_ROUTES:
        return f'"item": {json.dumps(nested["item"])}', ""
    if route.startswith("/cds-services/") and not route.endswith("feedback"):
        return f'"prefetch": {json.dumps({"intakeResponse": nested, "intakeObservations": None})}', ""
    return f'"qr": {json.dumps(nested)}', ""


def body_with(route: str, parts: list[tuple[str, str]], cut: float) -> bytes:
    base = {"\u0000slot": 0, **{k: v for k, v in ROUTES[route].items()}}
    text = json.dumps(base)
    members = [m for m, _ in parts if m]
    text = text.replace(MARK, ", ".join(members) if members else '"pad": 0')
    for _, change in parts:
        if change == "truncate":
            text = text[:max(1, int(len(text) * cut))]
        elif change == "append":
            text += draw_garbage(cut)
    return text.encode("utf-8")


def draw_garbage(cut: float) -> str:
    return ["x", "}", ",", "]]", " {", '"'][int(cut * 6) % 6]


@pytest.fixture(scope="module")
def routes_client(mini_backend):
    from decision_core.adapters.http import create_app

    return create_app({"ENV": "development"}, backend=mini_backend).test_client()


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_two_defects_in_one_body_are_never_a_5xx(routes_client, pair, data):
    route = data.draw(st.sampled_from(list(ROUTES)), label="route")
    parts = [data.draw(defect(kind, route), label=kind) for kind in pair]
    body = body_with(route, parts, data.draw(st.floats(0.05, 0.95), label="cut"))
    response = routes_client.post(route, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (route, body[:300], response.data[:500])
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("second", [
    ("syntax error after it", lambda body: body[:-1] + b"x"),
    ("a duplicate key", lambda body: body[:-1] + b', "dup": 1, "dup": 2}'),
    ("deep nesting", lambda body: body[:-1] + b', "deep": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("a syntax error before it", lambda body: b"{," + body[1:]),
], ids=lambda s: s[0] if isinstance(s, tuple) else s)
def test_a_huge_integer_and_a_second_defect_are_a_400(routes_client, route, second):
    """The reproductions of the issue: every one was a 500 from the second json.loads."""
    valid = json.dumps(ROUTES[route]).encode()
    body = second[1](valid[:-1] + b', "n": ' + b"9" * 4301 + b"}")
    problem = assert_problem(routes_client.post(route, data=body, headers={"Content-Type": "application/json"}), 400)
    assert problem["type"].endswith(":malformed-json")


def deep_extension(depth: int) -> dict:
    """A QuestionnaireResponse ``depth`` levels deep, its schema satisfied: the nesting is in an extension."""
    deep = json.loads("[" * (depth - 3) + "]" * (depth - 3))
    return dict(QR, extension=[{"url": "urn:x", "valueString": "x", "x": deep}])


@pytest.mark.parametrize("route", FHIR_ROUTES)
@pytest.mark.parametrize("depth", [200, 480, 490, 500, 505, 511])
def test_a_questionnaire_response_nested_490_to_511_levels_is_a_400(routes_client, route, depth):
    body = json.dumps(deep_extension(depth)).encode()
    problem = assert_problem(routes_client.post(route, data=body, headers={"Content-Type": "application/json"}), 400)
    assert "nested too deeply" in problem["detail"]


@pytest.mark.parametrize("route", FHIR_ROUTES)
def test_a_questionnaire_response_nested_to_the_limit_is_read(routes_client, route):
    """At the reader's limit the route itself reads the nested groups: no 500."""
    body = json.dumps(nested_items(MAX_JSON_DEPTH)).encode()
    response = routes_client.post(route, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.data[:300]


def test_the_next_question_of_a_deep_extension_is_answered(routes_client):
    """Nesting the schema lets through (an extension) reaches the interview: answered, not a deepcopy 500."""
    for route in FHIR_ROUTES:
        response = routes_client.post(route, json=deep_extension(MAX_JSON_DEPTH))
        assert response.status_code == 200, response.data[:300]
