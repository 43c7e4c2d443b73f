"""The REST API through the Flask test client: every route, with real evaluations."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from decision_core.adapters.http import result_schemas, schemas
from decision_core.catalogue.levels import ShownLevels
from decision_core.plugins.registry import PluginInfo

from http_support import TEST_FORMAT, shout

GLUTES = {"sitting": 8, "cramp": True, "sports": ["Running"], "mood": "bad"}


def test_evaluation_is_the_core_result(client, mini_backend):
    response = client.post("/v1/evaluations", json=GLUTES)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == mini_backend.evaluator.evaluate(GLUTES).to_dict()
    assert response.json["causes"][0]["id"] == "glutes_cause"
    assert result_schemas.ResultSchema().validate(response.json) == {}


def test_red_flag_wins_over_everything(client):
    result = client.post("/v1/evaluations", json=dict(GLUTES, red=True)).json
    assert result["triage"]["level"] == "emergency"
    assert not [r for r in result["recommendations"] if r["kind"] == "exercise"]


def test_unknown_is_not_no(client):
    # null and absent are both unknown; the red flag is then asked about, not assumed absent
    result = client.post("/v1/evaluations", json={"red": None, "cramp": True}).json
    assert "red" not in result["facts"]
    assert "red" in [q["fact"] for q in result["next_questions"]]


def test_the_installed_catalogue_over_http_equals_the_python_api(make_app, installed_backend, shared_dir):
    client = make_app(backend=installed_backend).test_client()
    cases = json.loads((shared_dir / "vignettes" / "public.json").read_text())["cases"]
    for case in cases:
        response = client.post("/v1/evaluations", json=case["facts"])
        assert response.status_code == 200, case["id"]
        assert response.json == installed_backend.evaluator.evaluate(case["facts"]).to_dict(), case["id"]
        assert result_schemas.ResultSchema().validate(response.json) == {}


@pytest.mark.parametrize("name", sorted(["shout", "json", "html", "markdown", "text", "pdf", "fhir"]))
def test_reports_in_every_registered_format(client, mini_backend, name):
    if name not in mini_backend.formats:
        pytest.skip(f"format {name} is not registered in this installation")
    fmt = mini_backend.formats[name]
    response = client.post(f"/v1/reports?format={name}", json=GLUTES)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == fmt.media_type.split(";")[0]
    assert response.headers["Content-Disposition"] == f'inline; filename="hamstring-report.{fmt.extension}"'
    # rendered with the served catalogue's triage levels (their marks and colours)
    expected = fmt.render(mini_backend.evaluator.evaluate(GLUTES), levels=ShownLevels(mini_backend.catalogue.levels))
    if fmt.binary:
        assert response.data[:4] == expected[:4] and len(response.data) > 100
    else:
        assert "charset=utf-8" in response.content_type
        # identical apart from anything time-stamped
        assert _without_timestamps(response.get_data(as_text=True)) == _without_timestamps(
            expected if isinstance(expected, str) else expected.decode())


def _without_timestamps(text: str) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?", "<time>", text)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)


def test_report_with_the_test_format_holds_this_patients_result(client):
    assert client.post(f"/v1/reports?format={TEST_FORMAT}", json=GLUTES).get_data(as_text=True) == \
        "SELF_CARE GLUTES_CAUSE SITTING_CAUSE"
    assert client.post(f"/v1/reports?format={TEST_FORMAT}", json={"red": True}).get_data(as_text=True) == "EMERGENCY"


def test_html_reports_carry_a_content_security_policy_they_satisfy(make_app, tmp_path):
    from decision_core.adapters.http.api import HTML_REPORT_CSP

    logo = tmp_path / "logo.png"
    logo.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                                   "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"))
    (tmp_path / "clinic.yaml").write_text("name: Test Clinic\nlogo: logo.png\n")
    client = make_app(CLINIC_PROFILE=str(tmp_path / "clinic.yaml")).test_client()
    response = client.post("/v1/reports?format=html", json={"facts": {"sitting": 8}, "patient": {"name": "A"}})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == HTML_REPORT_CSP
    assert "default-src 'none'" in HTML_REPORT_CSP and "script-src" not in HTML_REPORT_CSP
    html = response.get_data(as_text=True)
    # what the policy allows is all the report needs: no script, inline style, data: images only
    assert "<script" not in html.lower() and "<style>" in html
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith("data:") or s.startswith("#") for s in sources), sources
    assert "Content-Security-Policy" not in client.post("/v1/reports?format=shout", json={}).headers


def test_report_format_is_checked(client):
    response = client.post("/v1/reports?format=nope", json=GLUTES)
    assert response.status_code == 400
    assert response.json["errors"]["format"][0].startswith("Must be one of")
    missing = client.post("/v1/reports", json=GLUTES)
    assert missing.status_code == 400 and "format" in missing.json["errors"]


def test_report_renderer_failure_is_a_clean_500(make_app, mini_backend):
    from decision_core.adapters.http.backend import Backend

    backend = Backend(mini_backend.catalogue, mini_backend.evaluator, {}, [])
    backend.add_format("broken", "text/plain", "txt", lambda result: 1 / 0)
    response = make_app(backend=backend).test_client().post("/v1/reports?format=broken", json=GLUTES)
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "ZeroDivision" not in response.get_data(as_text=True)


def test_facts_listing_is_enough_for_an_intake_form(client, mini_backend):
    facts = {f["name"]: f for f in client.get("/v1/facts").json["facts"]}
    assert set(facts) == set(mini_backend.catalogue.facts)
    assert facts["sitting"]["type"] == "number" and facts["sitting"]["min"] == 0 and facts["sitting"]["max"] == 24
    assert facts["mood"]["values"] == ["good", "bad"]
    assert facts["red"]["red_flag"] is True
    assert all(f["question"] and f["label"] for f in facts.values())
    assert schemas.FactListSchema().validate({"facts": list(facts.values())}) == {}


def test_causes_formats_and_rulesets(client, mini_backend):
    causes = client.get("/v1/causes").json["causes"]
    assert {c["id"]: c["rules"] for c in causes} == {"glutes_cause": 3, "sitting_cause": 1}
    formats = {f["name"]: f for f in client.get("/v1/formats").json["formats"]}
    assert formats[TEST_FORMAT] == {"name": TEST_FORMAT, "media_type": "text/x-shout", "extension": "txt",
                                    "description": "test format", "binary": False, "plugin": "local"}
    assert set(formats) == set(mini_backend.formats)
    listing = client.get("/v1/rulesets").json
    assert {(r["id"], r["version"], r["plugin"]) for r in listing["rulesets"]} >= {("mini_glutes", "1.2.0", "local")}
    assert all("file" not in r for r in listing["rulesets"])
    assert listing["fingerprint"] == mini_backend.catalogue.fingerprint()


def test_sources_list_the_registry(client, mini_backend, make_app, installed_backend):
    listing = client.get("/v1/sources").json
    assert schemas.SourceListSchema().validate(listing) == {}
    assert [s["id"] for s in listing["sources"]] == ["000", "002", "004", "policy"]
    assert listing["sources"][-1] == {"id": "policy", "title": "Mini policy", "publisher": "Test", "kind": "policy",
                                      "description": "A fixture policy.", "quotes_required": False,
                                      "ruleset": "mini_sources", "plugin": "local", "author": None,
                                      "patient_title": None}
    installed = make_app(backend=installed_backend).test_client().get("/v1/sources").json["sources"]
    assert {s["id"]: s["kind"] for s in installed} == {"000": "article", "001": "article", "002": "article",
                                                      "003": "article", "004": "article", "policy": "policy",
                                                      "defaults": "policy"}  # the product's starting doses
    assert all(s["plugin"] == "decision_core" and s["ruleset"] == "sources" for s in installed)


def test_failed_plugins_are_listed(make_app, mini_backend):
    from decision_core.adapters.http.backend import Backend

    failed = PluginInfo("broken-plugin", "0.1", False, status="failed", error="plugin broken-plugin failed to import")
    backend = Backend(mini_backend.catalogue, mini_backend.evaluator, dict(mini_backend.formats),
                      [PluginInfo("decision_core.plugins.builtin", "0.1.0", True), failed])
    listing = make_app(backend=backend).test_client().get("/v1/rulesets").json
    assert [p["name"] for p in listing["failed_plugins"]] == ["broken-plugin"]
    assert listing["failed_plugins"][0]["error"] == "plugin broken-plugin failed to import"
    assert [p["status"] for p in listing["plugins"]] == ["ok", "failed"]
    health = make_app(backend=backend).test_client().get("/healthz")
    assert health.status_code == 200  # load balancers keep routing; strict mode refuses to start instead
    assert health.json["status"] == "degraded" and health.json["failed_plugins"] == ["broken-plugin"]
    assert schemas.HealthSchema().validate(health.json) == {}


def test_healthz(client, mini_backend):
    assert client.get("/healthz").json == {"status": "ok", "version": "0.1.0", "engine": "plain",
                                           "catalogue": mini_backend.catalogue.fingerprint()}


def test_openapi_document_describes_every_published_route(client, make_app):
    spec = client.get("/openapi.json").json
    assert spec["openapi"] == "3.0.3"
    assert set(spec["paths"]) == {"/v1/evaluations", "/v1/reports", "/v1/reports/{report_id}", "/v1/facts",
                                  "/v1/causes", "/v1/sources", "/v1/formats", "/v1/rulesets", "/healthz", "/openapi.json", "/docs",
                                  "/app", "/app/figures/{item_id}.svg", "/cds-services", "/cds-services/{service_id}", "/cds-services/{service_id}/feedback",
                                  "/fhir/Questionnaire/hamstring-intake", "/fhir/Questionnaire/$next-question",
                                  "/v1/evaluations/from-questionnaire-response"}
    facts = spec["components"]["schemas"]["Facts"]
    assert facts["additionalProperties"] is False
    assert facts["properties"]["sitting"] == {
        "description": "How many hours do you sit?", "nullable": True, "type": "number", "title": "Sitting",
        "x-fact-type": "number", "x-question": "How many hours do you sit?", "x-red-flag": False,
        "minimum": 0.0, "maximum": 24.0}
    assert facts["properties"]["places"]["items"] == {"enum": ["a", "b", "c"], "type": "string"}
    body = spec["paths"]["/v1/evaluations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Facts"}
    report_query = spec["paths"]["/v1/reports"]["post"]["parameters"][0]
    assert TEST_FORMAT in report_query["schema"]["enum"] and report_query["required"] is True
    # the benchmark echo route exists only when enabled, and is never published
    echo_app = make_app(BENCHMARK_ECHO=True).test_client()
    assert echo_app.post("/v1/echo", json={"a": [1, 2]}).json == {"a": [1, 2]}
    assert "/v1/echo" not in echo_app.get("/openapi.json").json["paths"]
    assert client.post("/v1/echo", json={}).status_code == 404


def test_the_facts_schema_in_the_document_is_the_one_that_validates(client, mini_backend):
    """Every property and constraint the document shows for Facts is enforced by the evaluator's intake."""
    spec = client.get("/openapi.json").json
    props = spec["components"]["schemas"]["Facts"]["properties"]
    assert set(props) == set(mini_backend.evaluator.intake.schema.fields)
    for name, prop in props.items():
        if "maximum" in prop:
            assert client.post("/v1/evaluations", json={name: prop["maximum"] + 1}).status_code == 422
            assert client.post("/v1/evaluations", json={name: prop["maximum"]}).status_code == 200
        if "enum" in prop:
            assert client.post("/v1/evaluations", json={name: "not-a-value"}).status_code == 422
        if prop["type"] == "boolean":
            assert client.post("/v1/evaluations", json={name: 1}).status_code == 422


def test_api_page_is_self_contained_and_lists_everything(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for path in client.get("/openapi.json").json["paths"]:
        assert path in html
    assert "How many hours do you sit?" in html and "red flag" in html
    # no network fetches: no scripts, stylesheets, images or fonts from anywhere
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "@import" not in html and "url(" not in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert client.get("/").headers["Location"].endswith("docs")


def test_responses_carry_a_request_id(client):
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["X-Request-ID"])
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    # a request id that could forge log lines is replaced
    assert client.get("/healthz", headers={"X-Request-ID": "a b;c"}).headers["X-Request-ID"] != "a b;c"


def test_result_schema_rejects_a_result_without_its_contract():
    with pytest.raises(ValidationError):
        result_schemas.ResultSchema().load({"causes": []})
    assert shout(SimpleNamespace(triage=SimpleNamespace(level="urgent"), causes=[SimpleNamespace(id="x")])) == "URGENT X"
