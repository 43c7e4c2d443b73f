"""CDS Hooks 2.0, a prefetch the request leaves out: fetched from the client's FHIR server with its
token (from allowed servers only), or 412 naming the keys that could be had neither way."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from http_support import BASE_URL, FhirServer
from test_cds import PV, bundle, call, cards_of, observation, questionnaire

from decision_core.adapters.http import prefetch as fhir_prefetch

KEYS = ["intakeObservations", "intakeResponse"]


@pytest.fixture
def fhir():
    server = FhirServer()
    yield server
    server.close()


def with_server(body, fhir, token=None, server=None):
    return dict(body, fhirServer=server or fhir.base, fhirAuthorization=fhir.authorization(token))


def assert_412(response, keys=KEYS):
    assert response.status_code == 412, response.json
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["type"] == "urn:hamstring-decision-core:problem:prefetch-unavailable" and body["status"] == 412
    assert sorted(body["missing_prefetch"]) == sorted(keys)
    for key in keys:
        assert key in body["detail"]
    return body


def test_no_prefetch_and_no_fhir_server_is_412_naming_the_keys(client):
    body = assert_412(client.post(PV, json=call()))
    assert "fhirServer" in body["detail"]
    # prefetch holding only unknown keys' nulls still says something; no prefetch object at all does not
    assert_412(client.post(PV, json=call(prefetch={})))
    assert_412(client.post(PV, json=dict(call(), fhirServer="https://ehr.example/r4", fhirAuthorization=None)))
    # facts in the context extension are intake data: the prefetch keys left out are taken as no data
    assert cards_of(client, call({"red": True}))[0]["indicator"] == "critical"


def test_prefetch_left_out_is_fetched_from_the_fhir_server_with_the_bearer_token(client, fhir):
    fhir.bundles["QuestionnaireResponse"] = bundle(questionnaire([{"linkId": "red", "answer": [{"valueBoolean": True}]}]))
    fhir.bundles["Observation"] = bundle(observation("sitting", {"valueQuantity": {"value": 9}}))
    (card,) = cards_of(client, with_server(call(), fhir))
    assert card["indicator"] == "critical"
    assert "`sitting` = 9" in card["detail"]
    paths = sorted(path for path, _ in fhir.requests)
    assert paths[0].startswith("/fhir/r4/Observation?subject=p-42&code=")
    assert paths[1].startswith("/fhir/r4/QuestionnaireResponse?subject=p-42&_sort=-authored&_count=1")
    assert {auth for _, auth in fhir.requests} == {f"Bearer {fhir.token}"}


def test_only_the_keys_left_out_are_fetched(client, fhir):
    fhir.bundles["Observation"] = bundle(observation("red", {"valueBoolean": True}))
    sent = {"intakeResponse": None}
    (card,) = cards_of(client, with_server(call(prefetch=sent), fhir))
    assert card["indicator"] == "critical"
    assert [path.split("?")[0] for path, _ in fhir.requests] == ["/fhir/r4/Observation"]


def test_fhir_server_that_refuses_the_token_is_412(client, fhir):
    assert_412(client.post(PV, json=with_server(call(), fhir, token="wrong-token")))
    assert len(fhir.requests) == 2
    # a failed fetch is 412 even with facts in the context: the client said where the data is
    assert_412(client.post(PV, json=with_server(call({"cramp": True}, prefetch={"intakeResponse": None}),
                                                  fhir, token="wrong-token")), ["intakeObservations"])


def test_fhir_server_answers_too_large_too_slow_or_redirected_are_412(client, fhir, monkeypatch):
    monkeypatch.setattr(fhir_prefetch, "MAX_BYTES", 4096)
    fhir.extra = 5000
    assert_412(client.post(PV, json=with_server(call(), fhir)))
    fhir.extra = 0
    monkeypatch.setattr(fhir_prefetch, "TIMEOUT_SECONDS", 0.3)
    fhir.delay = 1.0
    assert_412(client.post(PV, json=with_server(call(), fhir)))
    fhir.delay = 0.0
    other = FhirServer()
    try:
        fhir.redirect = other.base + "/Observation"
        assert_412(client.post(PV, json=with_server(call(), fhir)))
        assert other.requests == []  # the bearer token does not follow a redirect
    finally:
        other.close()


def test_patient_id_is_quoted_into_the_query(client, fhir):
    cards_of(client, with_server(call(patientId="a&b=c"), fhir))
    assert all("subject=a%26b%3Dc&" in path for path, _ in fhir.requests)
    fhir.requests.clear()
    body = call()
    del body["context"]["patientId"]  # a template that cannot be filled is not fetched
    assert_412(client.post(PV, json=with_server(body, fhir)))
    assert fhir.requests == []


@pytest.mark.parametrize("url, development, allowed", [
    ("https://ehr.example/r4", False, True),
    ("https://ehr.example:8443/fhir", True, True),
    ("http://127.0.0.1:8080/fhir", True, True),
    ("http://[::1]:8080/fhir", True, True),
    ("http://127.0.0.1:8080/fhir", False, False),  # production: https only
    ("http://localhost:8080/fhir", True, False),  # a name, not a loopback literal
    ("http://ehr.example/r4", True, False),
    ("http://10.0.0.1/r4", True, False),
    ("https://user:pw@ehr.example/r4", False, False),
    ("https://ehr.example:99999/r4", False, False),
    ("ftp://ehr.example/r4", True, False),
])
def test_which_fhir_servers_are_fetched_from(url, development, allowed):
    assert fhir_prefetch.server_allowed(url, development) is allowed


def test_only_the_configured_fhir_servers_are_fetched_from(make_app, fhir):
    fhir.bundles["Observation"] = bundle(observation("red", {"valueBoolean": True}))
    listed = make_app(CDS_FHIR_SERVERS=[fhir.base + "/"]).test_client()
    assert cards_of(listed, with_server(call(), fhir))[0]["indicator"] == "critical"
    assert fhir.requests, "the listed server was asked"
    fhir.requests.clear()
    other = make_app(CDS_FHIR_SERVERS=["https://ehr.example.org/fhir"]).test_client()
    body = assert_412(other.post(PV, json=with_server(call(), fhir)))
    assert "CDS_FHIR_SERVERS" in body["detail"] and fhir.requests == [], "an unlisted server is never contacted"


def test_production_does_not_fetch_from_http_fhir_servers(secure_app, signer, fhir):
    client = secure_app.test_client()
    fhir.bundles["Observation"] = bundle(observation("red", {"valueBoolean": True}))
    response = client.post(PV, json=with_server(call(), fhir),
                           headers={"Authorization": f"Bearer {signer.token(BASE_URL + PV)}"})
    body = assert_412(response)
    assert "https only" in body["detail"]
    assert fhir.requests == []


# ------------------------------------------------------- the report link's ?_format


@pytest.fixture
def report_path(client):
    (card,) = cards_of(client, call({"cramp": True, "sitting": 9}))
    return urlsplit(card["links"][0]["url"]).path


@pytest.mark.parametrize("value, fmt", [
    ("json", "fhir"), ("application/json", "fhir"), ("application/fhir+json", "fhir"),
    ("application/fhir json", "fhir"),  # a '+' left unescaped in a query is a space
    ("fhir", "fhir"), ("html", "html"), ("text/html", "html"), ("pdf", "pdf"), ("application/pdf", "pdf"),
    ("text/plain", "text"), ("shout", "shout"), ("text/x-shout", "shout"),
])
def test_report_link_honours_fhir_format(client, mini_backend, report_path, value, fmt):
    if fmt not in mini_backend.formats:
        pytest.skip(f"the {fmt} format is not registered")
    response = client.get(report_path, query_string={"_format": value})
    assert response.status_code == 200, response.json
    assert response.mimetype == mini_backend.formats[fmt].media_type.split(";")[0]
    # with ?format naming the same format: fine
    assert client.get(report_path, query_string={"_format": value, "format": fmt}).status_code == 200


def test_report_link_fhir_format_refusals(client, mini_backend, report_path):
    for value in ("xml", "application/fhir+xml", "nope", "", "JSON", "text/html; charset=utf-8"):
        response = client.get(report_path, query_string={"_format": value})
        assert response.status_code == 400, value
        assert response.json["type"].endswith(":invalid-query") and "_format" in response.json["errors"]
    # both given: ?format wins (OpenAPI cannot say "they must agree")
    both = client.get(report_path, query_string={"_format": "html", "format": "shout"})
    assert both.status_code == 200 and both.mimetype == "text/x-shout"
    assert client.get(report_path, query_string={"_format": "xml", "format": "shout"}).status_code == 400
