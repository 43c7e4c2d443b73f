"""The small seams between the HTTP adapter and the record (decision_core.record): who asked,
about which patient, and keeping a result. The views call these; they know nothing of tables."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import g, request

from decision_core.record.entry import PATIENT_REF, build_entry, creator_hash, new_record_id
from decision_core.record.feedback import override_reasons
from decision_core.record.recorder import Recorder
from decision_core.record.settings import RecordSettings
from decision_core.result.model import Result

from .errors import HttpProblem

log = logging.getLogger("decision_core.adapters.http")

PATIENT_HEADER = "X-Patient-Reference"
RECORD_EXTENSION = "hamstring-decision-core.record-id"  # a card's extension member: the record it is kept under
# The OpenAPI header parameter of the routes that keep a record.
PATIENT_PARAMETER = {
    "in": "header", "name": PATIENT_HEADER, "required": False,
    "description": "A pseudonymous patient reference of the client's (never a name): kept with the record, so "
                   "that DELETE /v1/records?patient= can erase it. 1-128 letters, digits or . _ : / -",
    "schema": {"type": "string", "pattern": PATIENT_REF.pattern, "maxLength": 128},
}


def build_recorder(cfg: Mapping[str, Any]) -> Recorder | None:
    """The recorder the configuration asks for (RECORD on), started: tables migrated, spool drained."""
    if not cfg["RECORD"]:
        return None
    settings = RecordSettings.build(True, cfg["DATABASE_URL"], cfg["RECORD_SPOOL_DIR"], cfg["RECORD_RETENTION_DAYS"])
    recorder = Recorder(settings)
    recorder.start()
    return recorder


def _recorder() -> Recorder | None:
    from .app import state

    return state().recorder


def request_patient() -> str | None:
    """The X-Patient-Reference header, checked (422 when it is not a reference)."""
    value = request.headers.get(PATIENT_HEADER)
    if value is None:
        return None
    if not PATIENT_REF.match(value):
        raise HttpProblem(422, f"The {PATIENT_HEADER} header is not a pseudonymous reference.", kind="invalid-request",
                          title="Invalid request", errors={PATIENT_HEADER: [PATIENT_PARAMETER["description"]]})
    return value


def request_creator() -> str | None:
    """Who is asking, as the record keeps it: a hash of the API key, or of the CDS client's issuer."""
    claims = getattr(g, "cds_claims", None)
    if isinstance(claims, dict) and isinstance(claims.get("iss"), str):
        return creator_hash("cds:" + claims["iss"])
    presented = request.headers.get("X-API-Key")
    if not presented:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else None
    return creator_hash(presented)


def reserve(result: Result) -> None:
    """Give the result its record id before anything is made from it (a card, a stored report)."""
    if _recorder() is not None and result.record_id is None:
        result.record_id = new_record_id()


def keep(result: Result, source: str, *, patient_ref: str | None = None, cards: list[dict[str, str]] = ()) -> None:
    """Keep the result in the record (when the server keeps one); never fails the request."""
    recorder = _recorder()
    if recorder is None:
        return
    reserve(result)
    try:
        entry = build_entry(result, source, patient_ref=patient_ref, creator=request_creator(),
                            record_id=result.record_id, cards=cards)
    except Exception as exc:  # never fail the evaluation for the record's sake
        log.error("a record could not be made (%s)", type(exc).__name__)
        result.record_id = None
        return
    if recorder.submit(entry) == "lost":
        result.record_id = None


def card_members(card: dict[str, Any], result: Result) -> None:
    """A recorded result's card offers the override reasons and names its record (cards.build_card calls this)."""
    if result.record_id:
        card["overrideReasons"] = override_reasons()
        card["extension"] = {RECORD_EXTENSION: result.record_id}


def card_uuids(card: dict[str, Any]) -> list[dict[str, str]]:
    """The uuids of a card and its suggestions, for the record."""
    out = [{"uuid": card["uuid"], "kind": "card"}]
    out += [{"uuid": s["uuid"], "kind": "suggestion"} for s in card.get("suggestions", ()) if s.get("uuid")]
    return out
