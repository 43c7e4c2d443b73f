"""The intake as a FHIR Questionnaire, the adaptive interview (``$next-question``), and evaluating a
QuestionnaireResponse (docs/interview.md). Authenticated as the REST API (an API key, outside development)."""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import RAISE, Schema, fields, validate

from decision_core.adaptive import next_question
from decision_core.i18n import UnknownLanguage, get_translator
from decision_core.intake import InvalidFacts
from decision_core.interview import Interview, Step
from decision_core.questionnaire import QUESTIONNAIRE_ID, build_questionnaire
from decision_core.questionnaire_response import InvalidResponse, read_response

from . import schemas
from .app import state
from .errors import Problem, invalid_facts
from .openapi import operation
from .payload import json_response, load_query, read_json_body

log = logging.getLogger("decision_core.adapters.http")

bp = Blueprint("interview", __name__)

FHIR_JSON = "application/fhir+json"
FORMATS = ("json", "application/json", FHIR_JSON, "application/fhir+json; fhirVersion=4.0")
PROBLEMS = (400, 401, 413, 415, 422)
RESOURCE = {"type": "object", "required": ["resourceType"], "additionalProperties": True,
            "properties": {"resourceType": {"type": "string"}}}
NEXT_QUESTION_BODY = {"type": "object", "required": ["resourceType"], "additionalProperties": True,
                      "properties": {"resourceType": {"type": "string", "enum": ["Parameters", "QuestionnaireResponse"]}},
                      "description": "A Parameters resource with a 'questionnaire-response' parameter, or a "
                                     "QuestionnaireResponse."}
QR_BODY = {"type": "object", "required": ["resourceType"], "additionalProperties": True,
           "properties": {"resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]}},
           "description": "A QuestionnaireResponse to the hamstring-intake Questionnaire (linkId = fact name)."}


class QuestionnaireQuery(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(data_key="_format", validate=validate.OneOf(FORMATS),
                           metadata={"description": "FHIR's _format: JSON is the only one served."})
    lang = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"),
                         metadata={"description": "The language of the question texts (default: English)."})


@bp.before_request
def _authenticate():
    if request.method == "OPTIONS":
        return
    state().api_auth.check(request)


def _interview() -> Interview:
    backend = state().backend
    found = getattr(backend, "_interview", None)
    if found is None or found.evaluator is not backend.evaluator:
        found = backend._interview = Interview(backend.evaluator)
    return found


def _translator(lang: Any, where: str):
    try:
        return get_translator(lang)
    except UnknownLanguage as exc:
        raise Problem(422, f"{where}: {exc}", kind="invalid-request", title="Invalid request",
                      errors={where: [str(exc)]}) from None


def fhir_response(resource: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=FHIR_JSON)


def _invalid_response(exc: InvalidResponse, what: str) -> Problem:
    names = ", ".join(sorted(exc.errors))
    return Problem(422, f"The {what} cannot be read: {names}. See 'errors' for each item.",
                   kind="invalid-questionnaire-response", title="Invalid QuestionnaireResponse", errors=exc.errors)


@bp.get(f"/fhir/Questionnaire/{QUESTIONNAIRE_ID}")
@operation(summary="The intake as a FHIR R4 Questionnaire", tags=["interview"], query=QuestionnaireQuery,
           description="Generated from the fact catalogue (plugins included): one item per fact (linkId = fact "
                       "name, coded in the fact code system), grouped, with enableWhen and answer options.",
           responses={200: ("The Questionnaire.", {FHIR_JSON: RESOURCE})}, problems=(400, 401, 422))
def questionnaire():
    query = load_query(QuestionnaireQuery())
    translator = _translator(query.get("lang"), "lang")
    return fhir_response(build_questionnaire(state().backend.catalogue, translator))


@bp.post("/fhir/Questionnaire/$next-question")
@operation(summary="Adaptive interview: the next question (SDC $next-question)", tags=["interview"],
           body=NEXT_QUESTION_BODY,
           description="Stateless: the answers so far are in the QuestionnaireResponse. Returns it with the next "
                       "question added to its contained Questionnaire and display items with the triage and likely "
                       "causes so far; when the interview stops (docs/interview.md), status 'completed' with the "
                       "report link and the GuidanceResponse. A question left unanswered is skipped.",
           responses={200: ("The QuestionnaireResponse.", {FHIR_JSON: RESOURCE})}, problems=PROBLEMS)
def next_question_view():
    body = read_json_body()
    lang = None
    if isinstance(body, dict):
        inner = body
        if body.get("resourceType") == "Parameters" and isinstance(body.get("parameter"), list):
            inner = next((p.get("resource") for p in body["parameter"] if isinstance(p, dict)
                          and isinstance(p.get("resource"), dict)), {}) or {}
        lang = inner.get("language") if isinstance(inner.get("language"), str) else None
    translator = _translator(lang, "language")
    try:
        qr, step = next_question(body, _interview(), translator, finish=_finish)
    except InvalidResponse as exc:
        raise _invalid_response(exc, "$next-question request") from None
    except InvalidFacts as exc:
        raise invalid_facts(exc) from None
    return fhir_response(qr)


def _finish(step: Step) -> tuple[list[dict], list[dict]]:
    """The final result, linked: the stored report's URL, and the GuidanceResponse (contained)."""
    from decision_core.adapters.reports.fhir import render_fhir

    st = state()
    stored = {"result": step.result.to_dict(), "options": {}}
    report_url = st.public_url(f"/v1/reports/{st.store.put_report(stored)}")
    bundle = json.loads(render_fhir(step.result))
    guidance = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "GuidanceResponse")
    # contained: nothing that points outside it (the bundle's references stay in the bundle behind the link)
    guidance = {k: v for k, v in guidance.items() if k not in ("reasonReference", "outputParameters", "result",
                                                               "subject", "performer")}
    guidance["id"] = "guidance"
    extensions = [{"url": REPORT_EXTENSION, "valueUrl": report_url},
                  {"url": GUIDANCE_EXTENSION, "valueReference": {"reference": "#guidance"}}]
    return extensions, [guidance]


REPORT_EXTENSION = "urn:hamstring-decision-core:extension:report"
GUIDANCE_EXTENSION = "urn:hamstring-decision-core:extension:guidance-response"


@bp.post("/v1/evaluations/from-questionnaire-response")
@operation(summary="Evaluate a QuestionnaireResponse to the intake Questionnaire", tags=["evaluations"],
           body=QR_BODY,
           description="The answers are read as facts (linkId = fact name; an item with no answer is unknown) and "
                       "evaluated exactly as POST /v1/evaluations evaluates them.",
           responses={200: ("The result.", schemas.ResultSchema)}, problems=PROBLEMS)
def from_questionnaire_response():
    body = read_json_body()
    backend = state().backend
    try:
        answers = read_response(body, backend.catalogue)
    except InvalidResponse as exc:
        raise _invalid_response(exc, "QuestionnaireResponse") from None
    try:
        facts = backend.evaluator.validate(answers.facts)
    except InvalidFacts as exc:
        raise invalid_facts(exc, items={name: answers.paths[name.split(".")[0].split("[")[0]]
                                        for name in exc.errors if name.split(".")[0].split("[")[0] in answers.paths}) from None
    return json_response(backend.evaluator.evaluate_valid(facts).to_dict())
