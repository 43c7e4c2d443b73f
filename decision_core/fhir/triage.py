"""Red flags and referrals in FHIR: DetectedIssues and ServiceRequests.

* **One DetectedIssue per triage level reached** (the reasons' group): a strain
  that three rules recognise is one issue at its level, not three. Its
  ``severity`` comes from the level (its ``presentation`` in the triage ruleset), its evidence is
  one entry per reason: the rule as ``code`` and the Observations of the facts the
  rule read as ``detail``. Status ``preliminary``: no clinician has confirmed it.
* **A ServiceRequest per referral** (each recommendation of kind ``referral``),
  and at the level whose table row asks for it (the most severe) an
  **emergency-department request** (``locationCode`` v3 RoleCode ``ER``): the
  referral the triage rules raised for that level, or one of our own when the
  rulesets raised none. Intent ``proposal``: decision support suggests, it does
  not order (a clinician turns a proposal into an order). ``priority`` from the
  level; R4 ServiceRequest.reasonReference may only point at Conditions,
  Observations, DiagnosticReports or DocumentReferences, so it points at the
  Observations the triage reasons read, and the DetectedIssues are its
  ``supportingInfo``.
"""
from __future__ import annotations

from typing import Any, Callable

from decision_core.fhir.codes import EMERGENCY_ROOM, KIND_SYSTEM, RECOMMENDATION_SYSTEM, RULE_SYSTEM, TRIAGE_SYSTEM, Entries, level_fhir
from decision_core.catalogue.levels import ShownLevels

EMERGENCY_DEPARTMENT = "Assessment in an emergency department"
Refs = Callable[[dict[str, Any]], list[dict[str, str]]]  # the facts a reason read -> their Observations


def detected_issues(entries: Entries, view, result, levels: ShownLevels, subject: dict[str, str], stamp: str,
                    observations: Refs) -> dict[str, dict[str, str]]:
    """One DetectedIssue per red-flag level the triage reached, most severe first; references by level."""
    groups: dict[str, list] = {}
    for reason in result.triage.reasons:
        level = reason.level or result.triage.level
        if level_fhir(levels, level).severity is not None:
            groups.setdefault(level, []).append(reason)
    out: dict[str, dict[str, str]] = {}
    for level in sorted(groups, key=levels.rank, reverse=True):
        reasons = groups[level]
        name = levels.name(level)
        out[level] = entries.add({
            "resourceType": "DetectedIssue",
            "status": "preliminary",
            "code": {"coding": [{"system": TRIAGE_SYSTEM, "code": level, "display": name}],
                     "text": f"Red flag: {name}"},
            "severity": level_fhir(levels, level).severity,
            "patient": subject,
            "identifiedDateTime": stamp,
            "evidence": [{"code": [{"coding": [{"system": RULE_SYSTEM, "code": r.rule}], "text": r.because}],
                          "detail": observations(r.facts)} for r in reasons],
            "detail": " ".join(r.because for r in reasons),
        })
    return out


def service_requests(entries: Entries, view, result, levels: ShownLevels, subject: dict[str, str], stamp: str,
                     author: dict[str, str] | None, issues: dict[str, dict[str, str]],
                     observations: Refs) -> dict[str, dict[str, str]]:
    """A ServiceRequest per referral (and the emergency-department request); references by recommendation id
    (the one made here, not in the rulesets, under '' )."""
    reasons_read: dict[str, Any] = {}
    for reason in result.triage.reasons:
        reasons_read.update(reason.facts)
    reason_refs = observations(reasons_read)
    because = [{"text": r.because} for r in result.triage.reasons]
    top = level_fhir(levels, view.level)
    shown = {i.id for i in view.do_now + view.exercises + view.other_advice}
    referrals = [r for r in result.recommendations if r.kind == "referral" and r.id in shown]
    out: dict[str, dict[str, str]] = {}

    def request(code: dict[str, Any], level: str | None, emergency: bool, note: str | None) -> dict[str, str]:
        return entries.add({
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "proposal",
            "priority": level_fhir(levels, level or view.level).priority,
            "code": code,
            "subject": subject,
            "authoredOn": stamp,
            "requester": author,
            "locationCode": [{"coding": [EMERGENCY_ROOM], "text": "Emergency department"}] if emergency else [],
            "reasonCode": because,
            "reasonReference": reason_refs,
            "supportingInfo": list(issues.values()),
            "note": [{"text": note}] if note else [],
        })

    emergency_done = False
    for rec in referrals:
        level = rec.for_triage
        emergency = top.emergency_department and level == view.level
        emergency_done |= emergency
        code = {"coding": [{"system": RECOMMENDATION_SYSTEM, "code": rec.id, "display": rec.name},
                           {"system": KIND_SYSTEM, "code": rec.kind}], "text": rec.name}
        detail = rec.dose.get("detail") if isinstance(rec.dose, dict) else None
        out[rec.id] = request(code, level, emergency, " ".join(p for p in (rec.instructions.strip(), detail) if p))
    if top.emergency_department and not emergency_done:
        out[""] = request({"text": EMERGENCY_DEPARTMENT}, view.level, True, view.advice)
    return out


__all__ = ["detected_issues", "service_requests", "EMERGENCY_DEPARTMENT"]
