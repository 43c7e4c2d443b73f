"""The OpenAPI document and the server's validation cannot disagree: request schemas use only
what the document can express (no schema-level validators, no field with hidden checks), and
sample bodies get the same verdict from the document (JSON Schema) and from the server."""
from __future__ import annotations

import copy

import jsonschema
import pytest
from marshmallow import Schema, fields, validate

from decision_core.adapters.http import cds_schemas, schemas

# validators apispec writes into the document (minLength/maxLength, minimum/maximum, enum, pattern)
EXPRESSIBLE = (validate.Length, validate.Range, validate.OneOf, validate.Regexp)
# fields whose own checks are more than their type and format say
HIDDEN_CHECKS = (fields.Url, fields.Email, fields.IP, fields.UUID, fields.DateTime, fields.Time)


def request_schemas(app) -> list[Schema]:
    from decision_core.intake import build_intake_schema

    state = app.extensions["decision_core"]
    return [cds_schemas.CdsRequestSchema(), cds_schemas.FeedbackSchema(), schemas.ReportRequestSchema(),
            build_intake_schema(state.backend.catalogue)]


def walk(schema: Schema, seen=None):
    seen = set() if seen is None else seen
    if type(schema) in seen:
        return
    seen.add(type(schema))
    yield schema, None
    for name, field in schema.fields.items():
        stack = [field]
        while stack:
            f = stack.pop()
            yield schema, (name, f)
            if isinstance(f, fields.Nested):
                yield from walk(f.schema, seen)
            stack += [x for x in (getattr(f, "inner", None), getattr(f, "key_field", None),
                                  getattr(f, "value_field", None)) if x is not None]


def test_request_schemas_use_only_what_the_document_can_say(client):
    problems = []
    for root in request_schemas(client.application):
        for schema, item in walk(root):
            if item is None:
                hooks = [h for h in schema._hooks if h[0] == "validates_schema"] if hasattr(schema, "_hooks") else []
                if hooks or any(getattr(getattr(schema, a, None), "__marshmallow_hook__", None)
                                for a in dir(type(schema)) if not a.startswith("__")):
                    problems.append(f"{type(schema).__name__}: a schema-level validator")
                continue
            name, field = item
            if isinstance(field, HIDDEN_CHECKS):
                problems.append(f"{type(schema).__name__}.{name}: {type(field).__name__} checks more than it says")
            for v in field.validators:
                if not isinstance(v, EXPRESSIBLE):
                    problems.append(f"{type(schema).__name__}.{name}: validator {type(v).__name__}")
    assert not problems, problems


def _json_schema(node, components):
    """An OpenAPI 3.0 schema as plain JSON Schema: references inlined, nullable as a type union."""
    if isinstance(node, list):
        return [_json_schema(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(copy.deepcopy(components[node["$ref"].rsplit("/", 1)[1]]), components)
    out = {k: _json_schema(v, components) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


# the prefetch keys sent as null (no data): without them a valid call is 412 (the intake data cannot be had)
CDS = {"hook": "patient-view", "hookInstance": "h1", "context": {"patientId": "p1"},
       "prefetch": {"intakeResponse": None, "intakeObservations": None}}
FEEDBACK_ITEM = {"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2024-01-01T00:00:00Z"}
SAMPLES = [
    # (path, operation, body)
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, fhirServer="")),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, fhirServer="https://ehr.example/r4")),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, fhirServer="ftp://ehr.example")),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, fhirServer="http://")),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, context={"extension": []})),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, context={"extension": {}})),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, context=[])),
    ("/cds-services/{service_id}", "/cds-services/hamstring-patient-view", dict(CDS, hookInstance="")),
    ("/cds-services/{service_id}/feedback", "/cds-services/hamstring-patient-view/feedback",
     {"feedback": [dict(FEEDBACK_ITEM, acceptedSuggestions=[])]}),
    ("/cds-services/{service_id}/feedback", "/cds-services/hamstring-patient-view/feedback",
     {"feedback": [dict(FEEDBACK_ITEM, acceptedSuggestions=[{"id": "s1"}])]}),
    ("/cds-services/{service_id}/feedback", "/cds-services/hamstring-patient-view/feedback",
     {"feedback": [FEEDBACK_ITEM]}),
    ("/cds-services/{service_id}/feedback", "/cds-services/hamstring-patient-view/feedback",
     {"feedback": [dict(FEEDBACK_ITEM, outcome="overridden", overrideReason={"userComment": "no"})]}),
    ("/cds-services/{service_id}/feedback", "/cds-services/hamstring-patient-view/feedback", {"feedback": []}),
    ("/v1/reports", "/v1/reports?format=shout", {"facts": {"sitting": 8}, "patient": {"name": ""}}),
    ("/v1/reports", "/v1/reports?format=shout", {"facts": {"sitting": 8}, "patient": {"birth_date": "1970-01-01"}}),
    ("/v1/reports", "/v1/reports?format=shout", {"facts": {"sitting": 8}, "lang": "e"}),
    ("/v1/evaluations", "/v1/evaluations", {"sitting": 24.5}),
    ("/v1/evaluations", "/v1/evaluations", {"sitting": 24}),
    ("/v1/evaluations", "/v1/evaluations", {"mood": None}),
]


@pytest.mark.parametrize("path, url, body", SAMPLES, ids=[f"{s[0]} {i}" for i, s in enumerate(SAMPLES)])
def test_the_document_and_the_server_give_the_same_verdict(client, path, url, body):
    doc = client.get("/openapi.json").json
    components = doc["components"]["schemas"]
    media = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema.Draft7Validator(_json_schema(media, components), format_checker=jsonschema.FormatChecker())
    document_says = validator.is_valid(body)
    status = client.post(url, json=body).status_code
    assert status in (200, 422)
    assert document_says == (status == 200), (document_says, status)
