"""Clinicians' answers to a record, mapped to the rules behind what they answered.

CDS Hooks 2.0 feedback is about a card (or its suggestions); the REST feedback is about one
cause, one recommendation or the triage. Either way each answer is stored as ``accepted`` or
``overridden``, with a coded reason, and with the ids of the rules it is about, so analytics
can count per rule.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

OVERRIDE_REASON_SYSTEM = "urn:hamstring-decision-core:override-reason"
# The cards' overrideReasons (CDS Hooks 2.0): a small value set; its displays are what an EHR shows.
OVERRIDE_REASONS = {
    "not-relevant": "Not clinically relevant",
    "already-done": "Already done",
    "patient-declined": "Patient declined",
    "disagree-cause": "Disagree with the cause",
    "disagree-triage": "Disagree with the triage",
    "other": "Other",
}
REST_VERDICTS = {"agree": "accepted", "override": "overridden"}
REST_TARGETS = ("triage", "cause", "recommendation")
# The reasons that fit an answer about each kind of item (what a form offers; the API accepts any):
# disagreeing with the triage is no reason to override a cause, nor the cause one to override the triage.
REASONS_FOR = {
    "triage": tuple(code for code in OVERRIDE_REASONS if code != "disagree-cause"),
    "cause": tuple(code for code in OVERRIDE_REASONS if code != "disagree-triage"),
    "recommendation": tuple(code for code in OVERRIDE_REASONS if code != "disagree-triage"),
}


def override_reasons() -> list[dict[str, str]]:
    """The card's overrideReasons: Codings of the value set."""
    return [{"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": display}
            for code, display in OVERRIDE_REASONS.items()]


def _rules_of(record: dict[str, Any], kind: str, item_id: str | None = None) -> list[str]:
    rules: list[str] = []
    for item in record["items"]:
        if item["kind"] == kind and (item_id is None or item["item_id"] == item_id):
            rules.extend(item["rules"])
    return rules


def card_rules(record: dict[str, Any], kind: str, outcome: str, reason: str | None) -> list[str]:
    """The rules a card answer is about. A card shows the triage, the causes and the programme: an
    override that disagrees with the cause is about the causes' rules, one with the triage about the
    triage's; any other answer is about all of them. A suggestion (the referral) is the triage's and
    the referral's."""
    triage = list(record["triage_rules"])
    causes = _rules_of(record, "cause")
    programme = _rules_of(record, "recommendation")
    if kind == "suggestion":
        rules = triage + programme
    elif outcome == "overridden" and reason == "disagree-cause":
        rules = causes
    elif outcome == "overridden" and reason == "disagree-triage":
        rules = triage
    else:
        rules = triage + causes + programme
    return list(dict.fromkeys(rules))


def _when(text: str | None) -> datetime:
    if text:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def cds_rows(record: dict[str, Any], kind: str, card_uuid: str, item: dict[str, Any]) -> dict[str, Any]:
    """One CDS Hooks feedback entry (already validated) as a feedback row."""
    override = item.get("overrideReason") or {}
    coding = override.get("reason") or {}
    reason = coding.get("code")
    return {
        "record_id": record["id"], "channel": "cds", "target_kind": kind, "target_id": card_uuid,
        "outcome": item["outcome"], "reason_system": coding.get("system"), "reason": reason,
        "comment": override.get("userComment"),
        "accepted_suggestions": [s["id"] for s in item.get("acceptedSuggestions") or []] or None,
        "rules": card_rules(record, kind, item["outcome"], reason),
        "outcome_at": _when(item.get("outcomeTimestamp")),
    }


class NotInRecord(ValueError):
    """A REST answer about something the record does not list: {field: [message]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def rest_rows(record: dict[str, Any], responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """REST answers ({about, id, verdict, reason, comment}) as feedback rows; NotInRecord naming each
    answer about an item the record does not list."""
    rows, errors = [], {}
    listed = {(i["kind"], i["item_id"]) for i in record["items"]}
    for n, answer in enumerate(responses):
        about, item_id = answer["about"], answer["id"]
        if about == "triage":
            if item_id != record["triage"]:
                errors[f"responses[{n}].id"] = [f"the record's triage level is {record['triage']!r}."]
                continue
            rules = list(record["triage_rules"])
        else:
            if (about, item_id) not in listed:
                errors[f"responses[{n}].id"] = [f"the record lists no {about} {item_id[:60]!r}."]
                continue
            rules = _rules_of(record, about, item_id)
        reason = answer.get("reason")
        rows.append({
            "record_id": record["id"], "channel": "rest", "target_kind": about, "target_id": item_id,
            "outcome": REST_VERDICTS[answer["verdict"]], "reason_system": OVERRIDE_REASON_SYSTEM if reason else None,
            "reason": reason, "comment": answer.get("comment"), "accepted_suggestions": None, "rules": rules,
            "outcome_at": datetime.now(timezone.utc),
        })
    if errors:
        raise NotInRecord(errors)
    return rows
