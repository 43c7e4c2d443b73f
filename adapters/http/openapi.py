"""The OpenAPI 3.0 document, generated from the routes and their marshmallow schemas.

A view declares its contract with :func:`operation`; the document is built from
the app's URL map, so a route without a declaration is not published, and a
declared schema is the one that validates the request.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import fields

from decision_core import __version__
from decision_core.intake import StrictBoolean, StrictNumber, Word, build_intake_schema

from . import schemas
from .errors import PROBLEM_MEDIA_TYPE

OPENAPI_VERSION = "3.0.3"
REST_SECURITY = [{"ApiKey": []}, {"BearerApiKey": []}]
CDS_SECURITY = [{"CdsJwt": []}]
PUBLIC: list = []

TAGS = [
    {"name": "evaluations", "x-title": "Evaluations", "description": "Facts in, an explained decision out."},
    {"name": "reports", "x-title": "Reports", "description": "The result rendered by a registered output format."},
    {"name": "catalogue", "x-title": "Catalogue", "description": "The vocabulary and rulesets being served."},
    {"name": "interview", "x-title": "Interview (FHIR)",
     "description": "The intake as a FHIR Questionnaire, and the adaptive interview (SDC $next-question)."},
    {"name": "cds-hooks", "x-title": "CDS Hooks 2.0",
     "description": "For EHRs: discovery, the services (cards) and feedback; authenticated by signed JWTs."},
    {"name": "record", "x-title": "The record",
     "description": "Every evaluation kept; clinicians' feedback, patients' follow-ups, analytics and erasure."},
    {"name": "meta", "x-title": "About the service", "description": "Health, this document and this page."},
]

PROBLEM_DESCRIPTIONS = {
    400: "Malformed request: not JSON, not UTF-8, nested too deeply, duplicate keys, or a bad query parameter.",
    401: "Missing or invalid credentials.",
    403: "Credentials understood, but this call is refused (a replayed JWT).",
    404: "Not found (or expired).",
    412: "CDS Hooks: the intake data can be had neither from the request's prefetch nor from its fhirServer; "
         "'missing_prefetch' names the prefetch keys.",
    413: "The request body is too large.",
    415: "The request body is not JSON (Content-Type: application/json).",
    422: "The JSON is well-formed but not valid; 'errors' names each field and why.",
    503: "The shared state store (Redis, with several servers), or the record's database, cannot be reached; "
         "try again (Retry-After).",
}


def operation(*, summary: str, tags: list[str], description: str = "", body: Any = None,
              query: Any = None, responses: dict[int, Any], problems: tuple[int, ...] = (),
              security: list | None = None, headers: tuple[dict, ...] = ()) -> Callable:
    """Declare a view's contract.

    ``body``/``query``: a Schema class, or a name the builder resolves for the
    app (``"Facts"``, ``"ReportQuery"``, ``"StoredReportQuery"``). ``responses``:
    status -> (description, schema or None) or (description, {media type: JSON schema}).
    """

    def deco(func):
        func.openapi = {"summary": summary, "tags": tags, "description": description, "body": body, "query": query,
                        "responses": responses, "problems": problems, "security": security, "headers": headers}
        return func

    return deco


def _intake_attributes(catalogue):
    """Types for the intake's strict fields, and what an intake form needs beyond JSON Schema."""

    def attribute(converter, field, **kwargs) -> dict:
        ret: dict[str, Any] = {}
        if isinstance(field, StrictBoolean):
            ret["type"] = "boolean"
        elif isinstance(field, StrictNumber):
            ret["type"] = "integer" if field.integer else "number"
        elif isinstance(field, Word):
            ret["type"] = "string"
        fact = catalogue.facts.get(field.name or "")
        if fact is not None and field.parent is not None and field.parent.__class__.__name__ == "IntakeSchema":
            ret["title"] = fact.label
            ret["x-fact-type"] = fact.type
            ret["x-question"] = fact.question
            ret["x-red-flag"] = fact.red_flag
            if fact.unit:
                ret["x-unit"] = fact.unit
            if fact.help:
                ret["x-help"] = fact.help
        return ret

    return attribute


def _fix_ranges(node: Any) -> None:
    """apispec writes x-minimum/x-maximum when it cannot see a numeric type; ours are numeric."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for bound in ("minimum", "maximum"):
                if f"x-{bound}" in node:
                    node[bound] = node.pop(f"x-{bound}")
        for value in node.values():
            _fix_ranges(value)
    elif isinstance(node, list):
        for value in node:
            _fix_ranges(value)


_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_spec(app: Flask) -> dict[str, Any]:
    state = app.extensions["decision_core"]
    backend = state.backend
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Hamstring decision support API",
        version=__version__,
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": (
            "Facts about a patient's tight hamstrings in; likely causes with their evidence, a triage level, "
            "a programme and the next questions out. Decision support for a practitioner, not a diagnosis. "
            "Errors are RFC 9457 problem details (application/problem+json). Authentication is off only when "
            "the server runs with DECISION_CORE_ENV=development.")},
    )
    plugin.converter.add_attribute_function(_intake_attributes(backend.catalogue))
    for tag in TAGS:
        spec.tag(tag)
    spec.components.security_scheme("ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    spec.components.security_scheme("BearerApiKey", {"type": "http", "scheme": "bearer",
                                                     "description": "The API key as a bearer token."})
    spec.components.security_scheme("CdsJwt", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                               "description": "CDS Hooks: a JWT signed by a trusted CDS client."})
    spec.components.schema("Problem", schema=schemas.ProblemSchema)
    facts_schema = build_intake_schema(backend.catalogue)
    spec.components.schema("Facts", schema=facts_schema, description=(
        "Intake facts: every one optional; absent or null means unknown, never 'no'. "
        "Unknown names are rejected. x-question is the question to ask, x-red-flag marks answers that can raise the triage."))
    report_request = type("ReportRequestSchema", (state.report_request,),
                          {"facts": fields.Nested(facts_schema, required=True)})
    spec.components.schema("ReportRequest", schema=report_request)
    named: dict[str, Any] = {
        "Facts": facts_schema,
        "ReportBody": {"oneOf": [{"$ref": "#/components/schemas/ReportRequest"},
                                 {"$ref": "#/components/schemas/Facts"}]},
        "ReportQuery": state.report_query,
        "StoredReportQuery": state.stored_report_query,
    }

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        doc = getattr(view, "openapi", None)
        if doc is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        operations: dict[str, Any] = {}
        for method in sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS")):
            op: dict[str, Any] = {"summary": doc["summary"], "tags": doc["tags"],
                                  "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}"}
            if doc["description"]:
                op["description"] = doc["description"]
            params = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                      for name in sorted(rule.arguments)]
            if doc["query"] is not None:
                query = named.get(doc["query"], doc["query"]) if isinstance(doc["query"], str) else doc["query"]
                params.append({"in": "query", "schema": query})
            params.extend(doc.get("headers", ()))
            if params:
                op["parameters"] = params
            if doc["body"] is not None:
                body = named.get(doc["body"], doc["body"]) if isinstance(doc["body"], str) else doc["body"]
                if callable(body) and not isinstance(body, type):
                    body = body(backend)  # a JSON schema made from what is served (the interview's resources)
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            responses: dict[str, Any] = {}
            for status, (description, content) in doc["responses"].items():
                entry: dict[str, Any] = {"description": description}
                if isinstance(content, dict):
                    entry["content"] = {mt: {"schema": s} for mt, s in content.items()}
                elif callable(content) and not isinstance(content, type):
                    entry["content"] = {mt: {"schema": s} for mt, s in content(backend).items()}
                elif content is not None:
                    entry["content"] = {"application/json": {"schema": content}}
                responses[str(status)] = entry
            for status in doc["problems"]:
                responses[str(status)] = {"description": PROBLEM_DESCRIPTIONS[status],
                                          "content": {PROBLEM_MEDIA_TYPE: {"schema": "Problem"}}}
            op["responses"] = responses
            security = doc["security"]
            op["security"] = security if security is not None else REST_SECURITY
            operations[method.lower()] = op
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _fix_ranges(document)
    return document


def report_media_types(backend) -> dict[str, dict]:
    """The 200 response of the report routes: one media type per registered format."""
    out: dict[str, dict] = {}
    for fmt in backend.formats.values():
        media_type = fmt.media_type.split(";", 1)[0].strip()
        out.setdefault(media_type, {"type": "string", "format": "binary"} if fmt.binary else {"type": "string"})
        if media_type == "application/json" or media_type.endswith("+json"):
            out[media_type] = {}
    return out or {"text/plain": {"type": "string"}}
