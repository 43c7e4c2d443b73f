"""The record over HTTP: a record, clinicians' feedback, patients' follow-ups, erasure and analytics.

Reading a record, analytics and erasure take an admin key (ADMIN_KEYS); feedback and follow-ups take
the evaluation key that made the record (or an admin key). A server without a record answers 404.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, request
from marshmallow import RAISE, Schema, fields, validate

from decision_core.record.entry import PATIENT_REF, creator_hash
from decision_core.record.feedback import OVERRIDE_REASONS, REST_TARGETS, REST_VERDICTS, NotInRecord, cds_rows, rest_rows
from decision_core.record.followup import (COMMENT_MAX, FOLLOW_UP_ID, InvalidFollowUp, build_follow_up_questionnaire,
                                           check_follow_up, follow_up_row, read_follow_up_response)
from decision_core.record.store import StoreError

from .app import state
from .errors import HttpProblem, invalid_request
from .openapi import operation
from .payload import json_response, load_query, load_with, read_json_body

log = logging.getLogger("decision_core.adapters.http")

bp = Blueprint("records", __name__)

ADMIN_ENDPOINTS = {"records.get_record", "records.erase", "records.analytics"}
_RECORD_ID = validate.Regexp(r"^[0-9a-f]{32}$")


class ResponseSchema(Schema):
    class Meta:
        unknown = RAISE

    about = fields.String(required=True, validate=validate.OneOf(REST_TARGETS))
    id = fields.String(required=True, validate=validate.Length(min=1, max=128), metadata={
        "description": "The cause id, the recommendation id, or the triage level id, as in the result."})
    verdict = fields.String(required=True, validate=validate.OneOf(list(REST_VERDICTS)))
    reason = fields.String(validate=validate.OneOf(list(OVERRIDE_REASONS)), metadata={
        "description": "Why it was overridden (urn:hamstring-decision-core:override-reason)."})
    comment = fields.String(validate=validate.Length(max=COMMENT_MAX))


class RecordFeedbackSchema(Schema):
    class Meta:
        unknown = RAISE

    responses = fields.List(fields.Nested(ResponseSchema), required=True, validate=validate.Length(min=1, max=100))


class StoredSchema(Schema):
    stored = fields.Integer(required=True)


class ErasedSchema(Schema):
    erased = fields.Integer(required=True)


class EraseQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    patient = fields.String(required=True, validate=validate.Regexp(PATIENT_REF.pattern))


class AnalyticsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    since = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"), metadata={"description": "YYYY-MM-DD"})


FOLLOW_UP_BODY = {"oneOf": [
    {"type": "object", "additionalProperties": False, "required": ["groc"], "properties": {
        "groc": {"type": "integer", "minimum": -7, "maximum": 7, "description": "Global Rating of Change"},
        "pain": {"type": "integer", "minimum": 0, "maximum": 10, "description": "pain numeric rating"},
        "adherence": {"type": "string", "enum": ["all", "some", "none"]},
        "comment": {"type": "string", "maxLength": COMMENT_MAX}}},
    {"type": "object", "required": ["resourceType"], "description": "A QuestionnaireResponse to the follow-up "
     "Questionnaire (GET /fhir/Questionnaire/hamstring-follow-up).",
     "properties": {"resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]}}},
]}
PROBLEMS = (400, 401, 404, 413, 415, 422, 503)


def _unavailable(exc: Exception) -> HttpProblem:
    log.error("the record's database cannot be reached (%s)", type(exc).__name__)
    return HttpProblem(503, "The record's database cannot be reached; nothing was stored. Try again shortly.",
                       kind="store-unavailable", title="Record unavailable", headers={"Retry-After": "5"})


def _recorder():
    recorder = state().recorder
    if recorder is None:
        raise HttpProblem(404, "This server keeps no record (DECISION_CORE_RECORD is off).")
    return recorder


def _presented_key() -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _is_admin() -> bool:
    st = state()
    if not st.admin_auth.enabled:
        return True
    try:
        st.admin_auth.check(request)
        return True
    except HttpProblem:
        return False


@bp.before_request
def _authenticate():
    if request.method == "OPTIONS":
        return
    st = state()
    if request.endpoint in ADMIN_ENDPOINTS:
        st.admin_auth.check(request)  # 401 for anything but an admin key
    elif not _is_admin():
        st.api_auth.check(request)


def _record_for_writing(record_id: str) -> dict[str, Any]:
    """The record, when the caller may answer to it (its creator's key, or an admin key); else 404."""
    recorder = _recorder()
    if not _RECORD_ID.regex.match(record_id):
        raise HttpProblem(404, "There is no such record.")
    try:
        record = recorder.store.record(record_id)
    except StoreError as exc:
        raise _unavailable(exc) from None
    if record is None:
        if recorder.waiting(record_id):  # it may still be queued or spooled: accepted once it lands
            raise HttpProblem(503, "This record is not written yet (the database was away); try again shortly.",
                              kind="store-unavailable", title="Record not written yet", headers={"Retry-After": "5"})
        raise HttpProblem(404, "There is no such record.")
    if state().api_auth.enabled and not _is_admin() and record["creator"] != creator_hash(_presented_key()):
        raise HttpProblem(404, "There is no such record.")  # another key's record: not even its existence is told
    return record


@bp.get("/v1/records/<record_id>")
@operation(summary="A record: what was concluded, and the answers to it", tags=["record"],
           description="Ids, not words: the facts, the engine and ruleset versions, the triage, the causes with "
                       "their confidence, the recommendations, the withheld items with their policy lines, the "
                       "rules that fired, the card uuids, the feedback and the follow-ups. Admin key only.",
           responses={200: ("The record.", {"application/json": {"type": "object"}})}, problems=(401, 404, 503))
def get_record(record_id: str):
    recorder = _recorder()
    try:
        record = recorder.store.record(record_id) if _RECORD_ID.regex.match(record_id) else None
    except StoreError as exc:
        raise _unavailable(exc) from None
    if record is None:
        raise HttpProblem(404, "There is no such record.")
    record.pop("creator", None)
    return json_response(_jsonable(record))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@bp.post("/v1/records/<record_id>/feedback")
@operation(summary="A clinician's answer to a record: agree or override, per cause, recommendation or triage",
           tags=["record"], body=RecordFeedbackSchema,
           description="Each response names what it answers (about: cause, recommendation or triage, and its id "
                       "in the result), agree or override, and for an override a reason from the value set "
                       "urn:hamstring-decision-core:override-reason. Stored with the rules behind the item. "
                       "The evaluation key that made the record, or an admin key.",
           responses={201: ("Stored.", StoredSchema)}, problems=PROBLEMS)
def record_feedback(record_id: str):
    data = load_with(RecordFeedbackSchema(), read_json_body(), "feedback")
    record = _record_for_writing(record_id)
    try:
        rows = rest_rows(record, data["responses"])
    except NotInRecord as exc:
        raise invalid_request(exc.errors, "feedback") from None
    try:
        _recorder().store.add_feedback(rows)
    except StoreError as exc:
        raise _unavailable(exc) from None
    return json_response({"stored": len(rows)}, status=201)


@bp.post("/v1/records/<record_id>/follow-ups")
@operation(summary="How the patient did: a follow-up against a record", tags=["record"], body=FOLLOW_UP_BODY,
           description="The Global Rating of Change (-7..+7), the pain now (0-10), how much of the programme was "
                       "done (all, some, none) and a comment; or a QuestionnaireResponse to the follow-up "
                       "Questionnaire. The evaluation key that made the record, or an admin key.",
           responses={201: ("Stored.", StoredSchema)}, problems=PROBLEMS)
def follow_up(record_id: str):
    body = read_json_body()
    try:
        if isinstance(body, dict) and body.get("resourceType") == "QuestionnaireResponse":
            data = read_follow_up_response(body)
        elif isinstance(body, dict) and set(body) <= {"groc", "pain", "adherence", "comment"}:
            data = check_follow_up(body)
        else:
            raise InvalidFollowUp({"body": ["{groc, pain, adherence, comment} or a QuestionnaireResponse."]})
    except InvalidFollowUp as exc:
        raise invalid_request(exc.errors, "follow-up") from None
    record = _record_for_writing(record_id)
    try:
        _recorder().store.add_follow_up(follow_up_row(record["id"], data))
    except StoreError as exc:
        raise _unavailable(exc) from None
    return json_response({"stored": 1}, status=201)


@bp.delete("/v1/records")
@operation(summary="Erase a patient's records and everything attached", tags=["record"], query=EraseQuerySchema,
           description="Every record made with this patient reference, with its feedback and follow-ups; records "
                       "of theirs still waiting in the spool never land. Admin key only.",
           responses={200: ("Erased.", ErasedSchema)}, problems=(400, 401, 404, 503))
def erase():
    patient = load_query(EraseQuerySchema())["patient"]
    recorder = _recorder()
    try:
        recorder.flush()
        erased = recorder.store.erase_patient(patient)
    except StoreError as exc:
        raise _unavailable(exc) from None
    log.info("erasure: %d records erased", erased)
    return json_response({"erased": erased})


@bp.get("/v1/analytics")
@operation(summary="What the record says about the rules", tags=["record"], query=AnalyticsQuerySchema,
           description="Per rule, recommendation, cause, triage level and ruleset version: fired, shown, accepted, "
                       "overridden, the override rate (Wilson 95 % interval; no rate over 3 responses or fewer) with "
                       "the reasons, the follow-ups, improved (GROC >= +2) and adherence. Admin key only.",
           responses={200: ("The analytics.", {"application/json": {"type": "object"}})}, problems=(400, 401, 404, 503))
def analytics():
    from decision_core.record.analytics import analyse

    since = load_query(AnalyticsQuerySchema()).get("since")
    try:
        when = datetime.fromisoformat(since).replace(tzinfo=timezone.utc) if since else None
    except ValueError:
        raise HttpProblem(400, "since: not a date (YYYY-MM-DD).", kind="invalid-query", title="Invalid query",
                          errors={"since": ["Not a date (YYYY-MM-DD)."]}) from None
    try:
        report = analyse(_recorder().store, since=when, catalogue=state().backend.catalogue)
    except StoreError as exc:
        raise _unavailable(exc) from None
    return json_response(report)


@bp.get(f"/fhir/Questionnaire/{FOLLOW_UP_ID}")
@operation(summary="The follow-up questionnaire (FHIR R4)", tags=["record"],
           description="GROC, pain, adherence and a comment: answers go to POST /v1/records/{id}/follow-ups.",
           responses={200: ("The Questionnaire.", {"application/fhir+json": {"type": "object"}})}, problems=(401,))
def follow_up_questionnaire():
    response = json_response(build_follow_up_questionnaire())
    response.headers["Content-Type"] = "application/fhir+json"
    return response


def store_card_feedback(items: list[dict[str, Any]]) -> None:
    """CDS Hooks feedback entries stored against their cards' records: all, or (an unknown card) none."""
    from .record_hooks import request_creator

    recorder = state().recorder
    rows = []
    try:
        for n, item in enumerate(items):
            found = recorder.store.card(item["card"])
            record = recorder.store.record(found[0]) if found else None
            creator = request_creator()
            if record is not None and record["creator"] and creator and record["creator"] != creator:
                record = None  # another client's card
            if record is None:
                if recorder.unavailable() or recorder.waiting_any():
                    raise HttpProblem(503, "This card's record is not written yet; try again shortly.",
                                      kind="store-unavailable", title="Record not written yet",
                                      headers={"Retry-After": "5"})
                raise HttpProblem(404, f"feedback[{n}].card: this service made no card with that uuid; nothing "
                                       "was stored.")
            rows.append(cds_rows(record, found[1], item["card"], item))
        recorder.store.add_feedback(rows)
    except StoreError as exc:
        raise _unavailable(exc) from None
    log.info("feedback stored for %d cards", len(rows))

