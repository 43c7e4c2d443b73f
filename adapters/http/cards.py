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
from decision_core.i18n.result_words import (ALTERNATIVES_NOT_CHOSEN, AVOID, HEAD, HEAD_LIKELY, HEAD_NO_CAUSE,
                                             HEAD_WITH_REASON, LIKELY_CAUSES, NO_CAUSE, WORTH_ASKING,
                                             ResultWords)
from decision_core.i18n.wording import once_red_flags, red_flags_open

from .record_hooks import card_members

SUMMARY_MAX = 139  # the spec: a summary of fewer than 140 characters


def _value(words: ResultWords, name: str, value: Any) -> str:
    """An answer in words (its value label, in the reader's language), escaped for markdown."""
    return md(words.value(name, value))


def _clip(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-– ")
    return cut + "…"


def summary(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """Under 140 characters: the triage and, while red flags are open, that it holds only once they are ruled
    out (each named by its label when they fit, else how many); never the questions for the assessment."""
    words = ResultWords(result, catalogue, gettext)
    triage = result.triage
    causes = [c.name for c in words.causes[:2]]
    flags = words.red_flag_names()

    def text(named: bool, with_causes: bool = True) -> str:
        if not triage.reasons:
            head = once_red_flags(words.level_name, flags, gettext, named) if flags else words.level_name
            out = gettext(HEAD).format(head=head)
            if not with_causes:
                return out
            if not causes:
                return gettext(HEAD_NO_CAUSE).format(head=out)
            return gettext(HEAD_LIKELY).format(head=out, causes=words.both(*causes) if len(causes) == 2 else causes[0])
        level = words.banner
        if flags:
            level += " (" + (red_flags_open(len(flags), gettext) if not named else "; ".join(flags)) + ")"
        return gettext(HEAD_WITH_REASON).format(level=level, reason=triage.reasons[0].because.rstrip('.'))

    # the red flags by name when they fit whole (with the causes, else alone: they matter more); else how many
    # (a clipped list would drop a red flag unseen)
    if flags:
        for named in (" ".join(text(True).split()), " ".join(text(True, with_causes=False).split())):
            if len(named) <= SUMMARY_MAX:
                return named
    return _clip(text(False))


def _evidence_line(ev: Evidence, words: ResultWords) -> str:
    facts = ", ".join(f"`{name}` = {_value(words, name, v)}" for name, v in ev.facts.items())
    sources = ", ".join(ev.sources)
    line = f"  - {'against: ' if ev.against else ''}{ev.because}"
    if facts:
        line += f" ({facts})"
    return line + (f" [sources {sources}]" if sources else "")


def detail(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    words = ResultWords(result, catalogue, gettext)
    triage = result.triage
    lines = [f"**{words.triage_line}** {triage.advice}"]
    for reason in triage.reasons:
        lines.append(_evidence_line(reason, words))
    for _, call, flags in words.red_flag_calls():  # the red flags only: a checklist, by whom to call
        lines += ["", f"**{call}**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in flags)
    also_line, also = words.red_flags_also
    if also:
        lines += ["", also_line]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in also)
    if result.causes:
        lines += ["", f"**{words.word(LIKELY_CAUSES)}**"]
        for cause, said in zip(result.causes, words.causes):
            lines.append(f"{said.rank}. **{said.name}** (`{said.id}`), {said.confidence_line}; "
                         f"sources {', '.join(cause.sources)}")
            lines.extend("   " + _evidence_line(ev, words).lstrip() for ev in cause.evidence)
    else:
        lines += ["", words.word(NO_CAUSE)]
    chosen = programme_lines(result, catalogue, gettext)
    if chosen:
        lines += ["", f"**{words.programme_heading}**", *chosen]
    elif result.recommendations:
        lines += ["", f"**{words.programme_heading}**"]
        for rec in result.recommendations:
            dose = words.dose_phrase(rec.dose_value(), escape=md)
            lines.append(f"- {rec.name} ({words.kind(rec.kind)})" + (f": {dose}" if dose else ""))
    if result.avoid:
        lines += ["", f"**{words.word(AVOID)}**"]
        lines.extend(f"- {a.name}: {a.why}" for a in result.avoid)
    if result.next_questions:
        lines += ["", f"**{words.word(WORTH_ASKING)}**"]
        lines.extend(f"- {q.question} (`{q.fact}`)" for q in words.questions_shown)
    if result.open_assessment_questions:  # the practitioner's part: they cannot make it urgent
        lines += ["", f"**{words.assessment_heading}**"]
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
    words = ResultWords(result, catalogue, gettext)
    recs = {r.id: r for r in result.recommendations}
    names = {r.id: r.name for r in result.recommendations}

    def line(item: dict[str, Any]) -> str:
        dose = words.dose_phrase(Dose.from_dict(item.get("dose") or {}), escape=md) if item.get("dose") else ""
        note = f" ({words.starting_note})" if item.get("starting_dose") else ""
        return f"- {md(names.get(item['id'], item['id']))}" + (f": {dose}{note}" if dose else "")

    out = [f"- {md(r.name)} ({words.kind(r.kind)})" for r in result.recommendations if r.leads]
    for phase in data.get("phases") or ():
        out.append(f"_{md(phase.get('name') or phase.get('id', ''))}_")
        out.extend(line(item) for item in phase.get("items") or ())
    lifestyle = [item for item in data.get("lifestyle") or () if not (recs.get(item["id"]) and recs[item["id"]].leads)]
    if lifestyle:
        out.append(f"_{words.everyday_heading(False)}_")
        out.extend(line(item) for item in lifestyle)
    if data.get("weeks"):
        length = words.programme_length(data["weeks"], data.get("review_in_weeks"))
        out.append(md(upper_first(length)) + ".")
    alternatives = [Alternative.from_dict(a) for a in data.get("alternatives") or ()]
    if alternatives:
        out.append(f"{words.word(ALTERNATIVES_NOT_CHOSEN)}: {md(words.alternatives_line(alternatives))}.")
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
               report_url: str | None, shown: Presentation, catalogue: Any = None,
               lang: str | None = None) -> dict[str, Any]:
    """The card for a result; ``shown``: how its triage level is presented, ``catalogue``: the red flags'
    labels and whom each says to call (both from the catalogue). ``lang``: the card's language (CDS Hooks
    requests carry none today: English), its words from the message catalogue either way."""
    from decision_core.i18n.translations import get_translator, translate_result

    translator = get_translator(lang or "en")
    said = translate_result(result, translator, catalogue) if lang and lang != "en" else result
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary(said, catalogue, translator.gettext),
        "detail": detail(said, catalogue, translator.gettext),
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
