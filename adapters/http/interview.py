"""The intake as a FHIR Questionnaire, the adaptive interview (``$next-question``), and evaluating a
QuestionnaireResponse (docs/interview.md). Authenticated as the REST API (an API key, outside development)."""
from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import RAISE, Schema, fields, validate

from decision_core.interview.adaptive import next_question
from decision_core.i18n.translations import UnknownLanguage, available_languages, get_translator
from decision_core.intake import FACT_CODE_SYSTEM, FREE_WORD_MAX, FREE_WORD_PATTERN, InvalidFacts
from decision_core.interview.flow import Interview, Step
from decision_core.interview.questionnaire import (GROUP_PREFIX, HELP_SUFFIX, QUESTIONNAIRE_ID, QUESTIONNAIRE_URL,
                                         build_questionnaire, value_system)
from decision_core.interview.questionnaire_response import STATUS_PREFIX, InvalidResponse, read_response
from decision_core.interview.screen import NONE_CODE, SCREEN_LINK_ID, SCREEN_SYSTEM, screen_facts

from . import result_schemas
from .app import state
from .errors import HttpProblem, invalid_facts
from .openapi import operation
from .payload import json_response, load_query, read_json_body, result_response
from .record_hooks import keep, request_patient

log = logging.getLogger("decision_core.adapters.http")

bp = Blueprint("interview", __name__)

FHIR_JSON = "application/fhir+json"
FORMATS = ("json", "application/json", FHIR_JSON, "application/fhir+json; fhirVersion=4.0")
PROBLEMS = (400, 401, 413, 415, 422)
# FHIR dateTime: a year, year-month, date, or date and time with a zone
DATE_TIME = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$"
RESOURCE = {"type": "object", "required": ["resourceType"], "additionalProperties": True,
            "properties": {"resourceType": {"type": "string"}}}


def _answer_schema(fact) -> dict[str, Any]:
    if fact.type == "bool":
        key, value = "valueBoolean", {"type": "boolean"}
    elif fact.type in ("int", "number"):
        key, value = ("valueInteger", {"type": "integer"}) if fact.type == "int" else ("valueDecimal", {"type": "number"})
        value.update({k: v for k, v in (("minimum", fact.min), ("maximum", fact.max)) if v is not None})
    elif fact.type in ("choice", "choices"):
        key, value = "valueCoding", {"type": "object", "required": ["code"], "additionalProperties": False,
                                     "properties": {"code": {"type": "string", "enum": list(fact.values)},
                                                    "system": {"type": "string", "enum": [value_system(fact.name)]},
                                                    "display": {"type": "string"}}}
    else:
        # the intake's one rule for a free word (REST facts are checked by the same)
        key, value = "valueString", {"type": "string", "pattern": FREE_WORD_PATTERN, "maxLength": FREE_WORD_MAX}
    return {"type": "object", "required": [key], "additionalProperties": False, "properties": {key: value}}


# What a form filler may copy from the Questionnaire into a response item (LHC-Forms sends the text).
ITEM_ECHOES = {"text": {"type": "string"}, "definition": {"type": "string"}}
# The linkIds of the Questionnaire's groups and display items: never answered, but a response may nest its
# answers in the groups, as a renderer of the whole Questionnaire does.
STRUCTURAL_LINK_ID = f"^({re.escape(GROUP_PREFIX)}|{re.escape(STATUS_PREFIX)})|{re.escape(HELP_SUFFIX)}$"


def _item_schema(fact) -> dict[str, Any]:
    return {"type": "object", "required": ["linkId"], "additionalProperties": False,
            "properties": {"linkId": {"type": "string", "enum": [fact.name]}, **ITEM_ECHOES,
                           "answer": {"type": "array", "items": _answer_schema(fact),
                                      "maxItems": fact.max_items if fact.type in ("choices", "list") else 1}}}


def _coding(codes: list[str], systems: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": ["code"], "additionalProperties": False,
            "properties": {"code": {"type": "string", "enum": codes}, "system": {"type": "string", "enum": systems},
                           "display": {"type": "string"}}}


def _screen_schema(catalogue, loose: bool = False) -> dict[str, Any]:
    """The red-flag screen's item: codes are the red flags it lists (fact code system) or "none" (the screen's
    system). ``loose`` pairs any code with either system (its errors name the code or the system)."""
    listed = list(screen_facts(catalogue))
    coding = _coding([*listed, NONE_CODE], [FACT_CODE_SYSTEM, SCREEN_SYSTEM]) if loose else {
        "anyOf": [_coding(listed, [FACT_CODE_SYSTEM]), _coding([NONE_CODE], [SCREEN_SYSTEM])]}
    answer = {"type": "object", "required": ["valueCoding"], "additionalProperties": False,
              "properties": {"valueCoding": coding}}
    return {"type": "object", "required": ["linkId"], "additionalProperties": False,
            "properties": {"linkId": {"type": "string", "enum": [SCREEN_LINK_ID]}, **ITEM_ECHOES,
                           "answer": {"type": "array", "items": answer, "maxItems": len(listed) + 1}}}


def _questions(catalogue) -> list[dict[str, Any]]:
    """The schemas of the question items: one per fact, and the screen when the catalogue has red flags."""
    return [_item_schema(fact) for fact in catalogue.facts.values()] + (
        [_screen_schema(catalogue)] if screen_facts(catalogue) else [])


def _group_schema(inner: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["linkId"], "additionalProperties": False,
            "properties": {"linkId": {"type": "string", "pattern": STRUCTURAL_LINK_ID}, **ITEM_ECHOES,
                           "item": {"type": "array", "items": inner}}}


def questionnaire_response_schema(backend) -> dict[str, Any]:
    """A QuestionnaireResponse this service reads: one item per fact (linkId = fact name; no answer: skipped),
    and the red-flag screen's."""
    questions = _questions(backend.catalogue)
    # groups hold questions, as in the Questionnaire (one level: its groups are not nested)
    items = questions + [_group_schema({"anyOf": questions})]
    contained = {"type": "array", "items": {
        "type": "object", "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"},
                       "item": {"type": "array", "items": {"type": "object",
                                                           "properties": {"linkId": {"type": "string"}}}}}}}
    return {"type": "object", "required": ["resourceType"], "additionalProperties": True,
            "description": "A QuestionnaireResponse to the hamstring-intake Questionnaire (linkId = fact name; an "
                           "item with no answer is a skipped question). Groups may nest the items.",
            "properties": {"resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]},
                           "id": {"type": "string", "pattern": "^[A-Za-z0-9\\-.]{1,64}$"},
                           "status": {"type": "string", "enum": ["in-progress", "completed", "amended"]},
                           "questionnaire": {"type": "string",
                                             "pattern": f"^({re.escape(QUESTIONNAIRE_URL)}(\\|.*)?|#.+)$"},
                           "contained": contained,
                           "extension": {"type": "array", "items": {"type": "object"}},
                           "language": {"type": "string", "enum": available_languages(backend.core)},
                           "authored": {"type": "string", "pattern": DATE_TIME},
                           "item": {"type": "array", "items": {"anyOf": items}}}}


def next_question_schema(backend) -> dict[str, Any]:
    return {"description": "A Parameters resource with a 'questionnaire-response' parameter, or a "
                           "QuestionnaireResponse (its contained Questionnaire holds the questions asked so far).",
            "anyOf": [questionnaire_response_schema(backend), parameters_schema(backend)]}


def parameters_schema(backend) -> dict[str, Any]:
    qr = questionnaire_response_schema(backend)
    return {"type": "object", "required": ["resourceType", "parameter"], "additionalProperties": False,
                           "properties": {"resourceType": {"type": "string", "enum": ["Parameters"]},
                                          "parameter": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
                                              "type": "object", "required": ["name", "resource"],
                                              "additionalProperties": False,
                                              "properties": {"name": {"type": "string",
                                                                      "enum": ["questionnaire-response"]},
                                                             "resource": qr}}}}}


class QuestionnaireQuery(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(data_key="_format", validate=validate.OneOf(FORMATS),
                           metadata={"description": "FHIR's _format: JSON is the only one served."})
    lang = fields.String(validate=validate.OneOf(available_languages()),
                         metadata={"description": "The language of the question texts (default: English)."})


@bp.before_request
def _authenticate():
    if request.method == "OPTIONS":
        return
    state().api_auth.check(request)


_validators: dict[tuple[int, str], Any] = {}
_validators_lock = threading.Lock()


def check_body(body: Any, which) -> None:
    """The body against the JSON schema the OpenAPI document shows for it: a 422 naming each bad place."""
    from jsonschema import Draft4Validator

    backend = state().backend
    key = (id(backend), which.__name__)
    validator = _validators.get(key)
    if validator is None:
        with _validators_lock:
            validator = _validators.setdefault(key, Draft4Validator(which(backend)))
    errors: dict[str, list[str]] = {}
    _collect(validator.iter_errors(body), (), errors, backend)
    if errors:
        raise HttpProblem(422, "The request body is not a resource this operation reads: " + ", ".join(sorted(errors))
                      + ". See 'errors' for each place.", kind="invalid-questionnaire-response",
                      title="Invalid QuestionnaireResponse", errors=dict(sorted(errors.items())[:20]))


def _collect(found, prefix: tuple, errors: dict[str, list[str]], backend) -> None:
    from jsonschema import Draft4Validator

    for error in found:
        path = prefix + tuple(error.absolute_path)
        instance = error.instance
        if error.validator == "anyOf" and isinstance(instance, dict) and isinstance(instance.get("linkId"), str) \
                and instance["linkId"] in backend.catalogue.facts:
            # an item: judged by its own question's schema, so the error names the answer's field
            fact = backend.catalogue.facts[instance["linkId"]]
            _collect(Draft4Validator(_item_schema(fact)).iter_errors(instance), path, errors, backend)
            continue
        if error.validator == "anyOf" and isinstance(instance, dict) and instance.get("linkId") == SCREEN_LINK_ID:
            # the screen: a wrong code or system named as such first; else a code in the other's system
            found_loose = list(Draft4Validator(_screen_schema(backend.catalogue, loose=True)).iter_errors(instance))
            strict = Draft4Validator(_screen_schema(backend.catalogue)).iter_errors(instance)
            _collect(found_loose or strict, path, errors, backend)
            continue
        if error.validator == "anyOf" and isinstance(instance, dict) and isinstance(instance.get("linkId"), str) \
                and re.search(STRUCTURAL_LINK_ID, instance["linkId"]):
            # a group: judged as one, so an error inside names the item within it
            group = _group_schema({"anyOf": _questions(backend.catalogue)})
            _collect(Draft4Validator(group).iter_errors(instance), path, errors, backend)
            continue
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "resourceType"
        errors.setdefault(where, []).append(_message(error))


def _message(error) -> str:
    if error.validator == "anyOf" and isinstance(error.instance, dict) and "linkId" in error.instance:
        return f"linkId {str(error.instance['linkId'])[:60]!r} is not a question of this questionnaire."
    return error.message[:300]


def _interview() -> Interview:
    backend = state().backend
    found = getattr(backend, "_interview", None)
    if found is None or found.evaluator is not backend.evaluator:
        found = backend._interview = Interview(backend.evaluator)
    return found


def _translator(lang: Any, where: str):
    try:
        return get_translator(lang, state().backend.core)
    except UnknownLanguage as exc:
        raise HttpProblem(422, f"{where}: {exc}", kind="invalid-request", title="Invalid request",
                      errors={where: [str(exc)]}) from None


def fhir_response(resource: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=FHIR_JSON)


def _invalid_response(exc: InvalidResponse, what: str) -> HttpProblem:
    names = ", ".join(sorted(exc.errors))
    return HttpProblem(422, f"The {what} cannot be read: {names}. See 'errors' for each item.",
                   kind="invalid-questionnaire-response", title="Invalid QuestionnaireResponse", errors=exc.errors)


@bp.get(f"/fhir/Questionnaire/{QUESTIONNAIRE_ID}")
@operation(summary="The intake as a FHIR R4 Questionnaire", tags=["interview"], query=QuestionnaireQuery,
           description="Generated from the fact catalogue (plugins included): first the red-flag screen (linkId "
                       "'red-flag-screen': one option per yes/no red flag and an exclusive 'None of these'), then "
                       "one item per fact (linkId = fact name, coded in the fact code system), grouped, with "
                       "enableWhen and answer options.",
           responses={200: ("The Questionnaire.", {FHIR_JSON: RESOURCE})}, problems=(400, 401, 422))
def questionnaire():
    query = load_query(QuestionnaireQuery())
    translator = _translator(query.get("lang"), "lang")
    return fhir_response(build_questionnaire(state().backend.catalogue, translator))


@bp.post("/fhir/Questionnaire/$next-question")
@operation(summary="Adaptive interview: the next question (SDC $next-question)", tags=["interview"],
           body=next_question_schema,
           description="Stateless: the answers so far are in the QuestionnaireResponse. Returns it with the next "
                       "question added to its contained Questionnaire and display items with the triage and likely "
                       "causes so far; when the interview stops (docs/interview.md), status 'completed' with the "
                       "report link and the GuidanceResponse. A question left unanswered is skipped.",
           # 503: the final step stores the report behind its link, in Redis with several servers
           responses={200: ("The QuestionnaireResponse.", {FHIR_JSON: RESOURCE})}, problems=(*PROBLEMS, 503))
def next_question_view():
    body = read_json_body()
    check_body(body, parameters_schema if isinstance(body, dict) and body.get("resourceType") == "Parameters"
               else questionnaire_response_schema)
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
    keep(step.result, "interview", patient_ref=request_patient())  # the completed interview is kept
    stored = {"result": step.result.to_dict(), "options": {}}
    report_url = st.public_url(f"/v1/reports/{st.store.put_report(stored)}")
    bundle = json.loads(render_fhir(step.result, core=st.backend.core))
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
           body=questionnaire_response_schema,
           description="The answers are read as facts (linkId = fact name; an item with no answer is unknown) and "
                       "evaluated exactly as POST /v1/evaluations evaluates them.",
           responses={200: ("The result.", result_schemas.ResultSchema)}, problems=PROBLEMS)
def from_questionnaire_response():
    body = read_json_body()
    check_body(body, questionnaire_response_schema)
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
    result = backend.evaluator.evaluate_valid(facts)
    keep(result, "questionnaire", patient_ref=request_patient())
    return result_response(result)
