"""A result as a record entry: a plain, JSON-ready mapping of ids (what the spool holds and the
store writes). Made before the write, so its id can be returned whether the database is there or not."""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from decision_core.result.model import Result

SOURCES = ("rest", "report", "cds", "interview", "questionnaire", "cli")
# A pseudonymous patient reference: the client's own, short, printable; never a name.
PATIENT_REF = re.compile(r"^[A-Za-z0-9._:/-]{1,128}$")


def new_record_id() -> str:
    return uuid.uuid4().hex


def creator_hash(credential: str | None) -> str | None:
    """Who made a record, without keeping their credential: a SHA-256 of it (an API key, or 'cds:'+issuer)."""
    if not credential:
        return None
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


def patient_hash(ref: str) -> str:
    return hashlib.sha256(("patient:" + ref).encode()).hexdigest()


def _rules(evidence) -> list[str]:
    return list(dict.fromkeys(e.rule for e in evidence if not getattr(e, "against", False)))


def build_entry(result: Result, source: str, *, patient_ref: str | None = None, creator: str | None = None,
                record_id: str | None = None, cards: list[dict[str, str]] = (),
                now: datetime | None = None) -> dict[str, Any]:
    """The record of one result. ``cards``: [{uuid, kind}] of the CDS card and suggestions made for it."""
    if source not in SOURCES:
        raise ValueError(f"unknown record source {source!r}")
    if patient_ref is not None and not PATIENT_REF.match(patient_ref):
        raise ValueError("a patient reference is 1-128 letters, digits or . _ : / -")
    items: list[dict[str, Any]] = []
    for cause in result.causes:
        items.append({"kind": "cause", "item_id": cause.id, "rank": cause.rank, "confidence": cause.confidence,
                      "rules": _rules(cause.evidence)})
    for rank, rec in enumerate(result.recommendations, start=1):
        items.append({"kind": "recommendation", "item_id": rec.id, "rank": rank, "rules": _rules(rec.reasons)})
    for withheld in result.withheld:
        items.append({"kind": "withheld", "item_id": withheld.id, "policy": withheld.policy, "rules": []})
    for avoid in result.avoid:
        items.append({"kind": "avoid", "item_id": avoid.id, "rules": _rules(avoid.reasons)})
    return {
        "id": record_id or new_record_id(),
        "created_at": (now or datetime.now(timezone.utc)).isoformat(),
        "source": source,
        "patient_ref": patient_ref,
        "creator": creator,
        "engine": result.engine,
        "rulesets": {r.id: str(r.version) for r in result.rulesets},
        "facts": dict(result.facts),
        "triage": result.triage.level,
        "triage_rules": _rules(result.triage.reasons),
        "fired_rules": list(result.fired_rules),
        "items": items,
        "cards": [dict(c) for c in cards],
    }
