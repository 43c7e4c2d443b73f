"""A result as CDS Hooks cards.

One card per evaluation: its indicator is the triage level's (``card_indicator``
in the triage ruleset's ``presentation``), the summary fits in 139 characters,
the detail (markdown) gives the triage reasons, the causes with their evidence
and sources, the programme, what to avoid and the next questions. A link opens
the full report; where the level suggests a referral, or a rule recommended one,
a suggestion drafts it (a FHIR ServiceRequest at the level's priority). CDS Hooks
forbids nulls and empty values, so optional members are left out rather than
left empty.
"""
from __future__ import annotations

import uuid
from typing import Any

from decision_core.catalogue_model import Presentation
from decision_core.markdown import strict as md  # an EHR renders the detail: its dialect is unknown
from decision_core.result import Evidence, Result
from decision_core.wording import dose_phrase, percent, programme_heading, questions_shown, yes_no

from .record_hooks import card_members

SUMMARY_MAX = 139  # the spec: a summary of fewer than 140 characters


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return ", ".join(md(v) for v in value)
    return md(value)


def _clip(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-– ")
    return cut + "…"


def summary(result: Result) -> str:
    triage = result.triage
    causes = [c.name for c in result.causes[:2]]
    if not triage.reasons:
        text = f"Hamstring tightness: {triage.name}"
        if not triage.confirmed:
            text += f"; {len(result.open_safety_questions)} safety questions still open"
        text += "; likely " + " and ".join(causes) if causes else "; no single cause stands out yet"
    else:
        text = f"Hamstring tightness, {triage.name.upper()}: {triage.reasons[0].because.rstrip('.')}"
    return _clip(text)


def _evidence_line(ev: Evidence) -> str:
    facts = ", ".join(f"`{name}` = {_value(v)}" for name, v in ev.facts.items())
    sources = ", ".join(ev.sources)
    line = f"  - {'against: ' if ev.against else ''}{ev.because}"
    if facts:
        line += f" ({facts})"
    return line + (f" [sources {sources}]" if sources else "")


def detail(result: Result) -> str:
    triage = result.triage
    lines = [f"**Triage: {triage.name}.** {triage.advice}"]
    for reason in triage.reasons:
        lines.append(_evidence_line(reason))
    if result.open_safety_questions:
        lines += ["", "**Safety questions still open**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in result.open_safety_questions)
    if result.causes:
        lines += ["", "**Likely causes**"]
        for cause in result.causes:
            lines.append(f"{cause.rank}. **{cause.name}** (`{cause.id}`), confidence "
                         f"{percent(cause.confidence)}; sources {', '.join(cause.sources)}")
            lines.extend("   " + _evidence_line(ev).lstrip() for ev in cause.evidence)
    else:
        lines += ["", "No single cause stands out from what is known."]
    if result.recommendations:
        lines += ["", f"**{programme_heading(result.programme_on_hold)}**"]
        for rec in result.recommendations:
            dose = dose_phrase(rec.dose_value(), escape=md)
            lines.append(f"- {rec.name} ({rec.kind})" + (f": {dose}" if dose else ""))
    if result.avoid:
        lines += ["", "**Avoid**"]
        lines.extend(f"- {a.name}: {a.why}" for a in result.avoid)
    if result.next_questions:
        lines += ["", "**Worth asking next**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in questions_shown(result))
    lines += ["", f"_{result.disclaimer}_"]
    return "\n".join(lines)


def _referral(result: Result, context: dict[str, Any], shown: Presentation) -> dict[str, Any] | None:
    referrals = [r for r in result.recommendations if r.kind == "referral"]
    if not shown.suggest_referral and not referrals:
        return None
    reason = "; ".join(r.because for r in result.triage.reasons) or "; ".join(r.name for r in referrals)
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "priority": shown.priority,
        "code": {"text": "Assessment of hamstring symptoms by a physiotherapist or doctor"},
    }
    if reason:
        request["reasonCode"] = [{"text": reason}]
    if isinstance(context.get("patientId"), str) and context["patientId"]:
        request["subject"] = {"reference": f"Patient/{context['patientId']}"}
    if isinstance(context.get("encounterId"), str) and context["encounterId"]:
        request["encounter"] = {"reference": f"Encounter/{context['encounterId']}"}
    label = "Refer for an assessment" + (" now" if shown.acute else "")
    return {
        "label": label,
        "uuid": str(uuid.uuid4()),
        "isRecommended": shown.suggest_referral,
        "actions": [{"type": "create", "description": "Draft a referral for an assessment of the hamstring symptoms",
                     "resource": request}],
    }


def build_card(result: Result, context: dict[str, Any], source: dict[str, str],
               report_url: str | None, shown: Presentation) -> dict[str, Any]:
    """The card for a result; ``shown``: how its triage level is presented (from the catalogue)."""
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary(result),
        "detail": detail(result),
        "indicator": shown.card_indicator,
        "source": {k: v for k, v in source.items() if v},
    }
    suggestion = _referral(result, context, shown)
    if suggestion:
        card["suggestions"] = [suggestion]
        card["selectionBehavior"] = "at-most-one"
    if report_url:
        card["links"] = [{"label": "Full report", "url": report_url, "type": "absolute"}]
    card_members(card, result)  # the record's: overrideReasons and the record id, when the result is kept
    return card
