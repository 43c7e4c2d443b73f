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
from typing import Any, Callable

from decision_core.catalogue.model import Presentation
from decision_core.catalogue.dose import Dose
from decision_core.result.programme import Alternative
from decision_core.markdown import strict as md  # an EHR renders the detail: its dialect is unknown
from decision_core.result.model import Evidence, Result
from decision_core.i18n.wording import (ASSESSMENT_HEADING, alternatives_line, dose_phrase, everyday_heading,
                                   once_red_flags, percent, programme_heading, programme_length, questions_shown,
                                   red_flag_call, red_flag_checklist, red_flags_also, red_flags_open,
                                   starting_dose_note, kind_label)
from decision_core.presentation.values import fact_value

from .record_hooks import card_members

SUMMARY_MAX = 139  # the spec: a summary of fewer than 140 characters


def _value(name: str, value: Any, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """An answer in words (its value label, in the reader's language), escaped for markdown."""
    return md(fact_value(name, value, catalogue, gettext))


def _clip(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-– ")
    return cut + "…"


def summary(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """Under 140 characters: the triage and, while red flags are open, that it holds only once they are ruled
    out (each named by its label when they fit, else how many); never the questions for the assessment."""
    triage = result.triage
    causes = [c.name for c in result.causes[:2]]
    flags = [_label(q, catalogue, gettext) for q in result.open_red_flags]

    def text(named: bool, with_causes: bool = True) -> str:
        if not triage.reasons:
            head = once_red_flags(triage.name, flags, gettext, named) if flags else triage.name
            out = f"Hamstring tightness: {head}"
            if not with_causes:
                return out
            return out + ("; likely " + " and ".join(causes) if causes else "; no single cause stands out yet")
        level = triage.name.upper()
        if flags:
            level += " (" + (red_flags_open(len(flags), gettext) if not named else "; ".join(flags)) + ")"
        return f"Hamstring tightness, {level}: {triage.reasons[0].because.rstrip('.')}"

    # the red flags by name when they fit whole (with the causes, else alone: they matter more); else how many
    # (a clipped list would drop a red flag unseen)
    if flags:
        for named in (" ".join(text(True).split()), " ".join(text(True, with_causes=False).split())):
            if len(named) <= SUMMARY_MAX:
                return named
    return _clip(text(False))


def _label(q, catalogue, gettext: Callable[[str], str]) -> str:
    """A red flag's short name: its fact's label (the question when the catalogue does not know it)."""
    fact = catalogue.facts.get(q.fact) if catalogue is not None else None
    return gettext(fact.label) if fact is not None and fact.label else q.question


def _evidence_line(ev: Evidence, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    facts = ", ".join(f"`{name}` = {_value(name, v, catalogue, gettext)}" for name, v in ev.facts.items())
    sources = ", ".join(ev.sources)
    line = f"  - {'against: ' if ev.against else ''}{ev.because}"
    if facts:
        line += f" ({facts})"
    return line + (f" [sources {sources}]" if sources else "")


def detail(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    triage = result.triage
    lines = [f"**Triage: {triage.name}.** {triage.advice}"]
    for reason in triage.reasons:
        lines.append(_evidence_line(reason, catalogue, gettext))
    groups, also = red_flag_checklist(result, catalogue)  # the red flags only: a checklist, by whom to call
    for contact, flags in groups:
        lines += ["", f"**{red_flag_call(contact, gettext, held=result.programme_on_hold)}**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in flags)
    if also:
        lines += ["", red_flags_also(also, catalogue, gettext)]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in also)
    if result.causes:
        lines += ["", "**Likely causes**"]
        for cause in result.causes:
            lines.append(f"{cause.rank}. **{cause.name}** (`{cause.id}`), confidence "
                         f"{percent(cause.confidence)}; sources {', '.join(cause.sources)}")
            lines.extend("   " + _evidence_line(ev, catalogue, gettext).lstrip() for ev in cause.evidence)
    else:
        lines += ["", "No single cause stands out from what is known."]
    chosen = programme_lines(result, catalogue, gettext)
    if chosen:
        lines += ["", f"**{programme_heading(result.programme_on_hold, gettext)}**", *chosen]
    elif result.recommendations:
        lines += ["", f"**{programme_heading(result.programme_on_hold, gettext)}**"]
        for rec in result.recommendations:
            dose = dose_phrase(rec.dose_value(), escape=md, gettext=gettext)
            lines.append(f"- {rec.name} ({kind_label(rec.kind, gettext)})" + (f": {dose}" if dose else ""))
    if result.avoid:
        lines += ["", "**Avoid**"]
        lines.extend(f"- {a.name}: {a.why}" for a in result.avoid)
    if result.next_questions:
        lines += ["", "**Worth asking next**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in questions_shown(result))
    if result.open_assessment_questions:  # the practitioner's part: they cannot make it urgent
        lines += ["", f"**{gettext(ASSESSMENT_HEADING)}**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in result.open_assessment_questions)
    lines += ["", f"_{result.disclaimer}_"]
    return "\n".join(lines)


def programme_lines(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> list[str]:
    """The result's selected programme for the detail (issue 19): what leads (a referral), each phase's
    items with their doses, the everyday changes, the length and review, and the alternatives with why;
    [] when the result has no programme or it is on hold (then the detail lists what to do now)."""
    programme = getattr(result, "programme", None)
    data = programme.to_dict() if hasattr(programme, "to_dict") else programme
    if not isinstance(data, dict) or data.get("on_hold") or not (data.get("phases") or data.get("lifestyle")):
        return []
    recs = {r.id: r for r in result.recommendations}
    names = {r.id: r.name for r in result.recommendations}

    def line(item: dict[str, Any]) -> str:
        dose = dose_phrase(Dose.from_dict(item.get("dose") or {}), escape=md, gettext=gettext) if item.get("dose") else ""
        note = f" ({starting_dose_note(gettext)})" if item.get("starting_dose") else ""
        return f"- {md(names.get(item['id'], item['id']))}" + (f": {dose}{note}" if dose else "")

    out = [f"- {md(r.name)} ({kind_label(r.kind, gettext)})" for r in result.recommendations if r.leads]
    for phase in data.get("phases") or ():
        out.append(f"_{md(phase.get('name') or phase.get('id', ''))}_")
        out.extend(line(item) for item in phase.get("items") or ())
    lifestyle = [item for item in data.get("lifestyle") or () if not (recs.get(item["id"]) and recs[item["id"]].leads)]
    if lifestyle:
        out.append(f"_{everyday_heading(False, gettext)}_")
        out.extend(line(item) for item in lifestyle)
    if data.get("weeks"):
        length = programme_length(data["weeks"], data.get("review_in_weeks") or data["weeks"], gettext)
        out.append(md(upper_first(length)) + ".")
    alternatives = [Alternative.from_dict(a) for a in data.get("alternatives") or ()]
    if alternatives:
        out.append(f"Alternatives (not chosen; a dose on the report swaps one in): "
                   f"{md(alternatives_line(alternatives, names, catalogue, gettext))}.")
    return out


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


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
               report_url: str | None, shown: Presentation, catalogue: Any = None) -> dict[str, Any]:
    """The card for a result; ``shown``: how its triage level is presented, ``catalogue``: the red flags'
    labels and whom each says to call (both from the catalogue)."""
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary(result, catalogue),
        "detail": detail(result, catalogue),
        # interruptive only when actionable: a level may ask for more while red flags are open (rule them out)
        "indicator": shown.indicator(bool(result.open_red_flags)),
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
