"""A short, readable plain-text summary of a result (the CLI's default output)."""
from __future__ import annotations

from typing import Any, Callable

from decision_core.catalogue.dose import Dose
from decision_core.i18n.result_texts import N_
from decision_core.i18n.result_words import ALTERNATIVES, AVOID, LIKELY_CAUSES, NONE_STANDS_OUT, WORTH_ASKING, ResultWords
from decision_core.i18n.wording import ruleset_ref
from decision_core.result.model import Result


def red_flag_lines(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> list[str]:
    """The open red flags as a checklist, by whom to call: nothing else of the open questions."""
    words = ResultWords(result, catalogue, gettext)
    lines = []
    for _, call, flags in words.red_flag_calls():
        lines.append("  " + call)
        lines.extend(f"    [ ] {q.question}" for q in flags)
    also, _ = words.red_flags_also
    if also:
        lines.append("  " + also)
    return lines


def assessment_lines(result: Result, gettext: Callable[[str], str] = str) -> list[str]:
    """The practitioner's part: the open questions that cannot raise the triage to a red-flag level."""
    if not result.open_assessment_questions:
        return []
    return ["", ResultWords(result, None, gettext).assessment_heading + ":"] + [
        f"  ? {q.question}  [{q.fact}]" for q in result.open_assessment_questions]


def summarise(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """``catalogue`` (the one that evaluated it; default: the process default's): whom each red flag says to
    call comes from its triage level, and why the alternatives were not chosen; ``gettext`` translates the
    words this module makes (the result's own texts are translated before)."""
    words = ResultWords(result, catalogue, gettext)
    lines: list[str] = []
    tri = result.triage
    lines.append(f"TRIAGE: {words.banner} - {tri.advice}")
    for r in tri.reasons:
        lines.append(f"  because {r.because} [{r.rule}]")
    lines.extend(red_flag_lines(result, catalogue, gettext))
    lines.append("")
    heading = words.word(LIKELY_CAUSES) + ":"
    lines.append(heading if result.causes else f"{heading} {words.word(NONE_STANDS_OUT)}")
    for c, said in zip(result.causes, words.causes):
        lines.append(f"  {said.rank}. {said.name} [{said.id}], {said.confidence_line}")
        for e in c.evidence:
            lines.append(f"     {'-' if e.against else '+'} {e.because} [{e.rule}; sources {', '.join(e.sources)}]")
    if result.programme is not None:
        lines.extend(_programme(words))
    elif result.recommendations:  # a result without a programme (no programme ruleset): every allowed item
        lines.append("")
        lines.append(words.programme_heading + ":")
        for r in result.recommendations:
            dose = words.dose_phrase(r.dose_value())
            serves = words.cause_names(r.for_causes) or (tri.name if r.for_triage else "")
            lines.append(f"  - {r.name} ({words.kind(r.kind)})" + (f": {dose}" if dose else "")
                         + (f"  (for {serves})" if serves else ""))
    if result.avoid:
        lines.append("")
        lines.append(words.word(AVOID) + ":")
        for a in result.avoid:
            lines.append(f"  - {a.name}: {a.why}")
    if result.next_questions:
        lines.append("")
        lines.append(words.word(WORTH_ASKING) + ":")
        for q in words.questions_shown:
            lines.append(f"  ? {q.question}  [{q.fact}]")
    lines.extend(assessment_lines(result, gettext))
    lines.append("")
    lines.append(gettext(N_("Rulesets")) + ": [" + ", ".join(ruleset_ref(r.id, r.version) for r in result.rulesets) + "]")
    lines.append(result.disclaimer)
    return "\n".join(lines) + "\n"


def _programme(words: ResultWords) -> list[str]:
    """The patient's programme: its phases with doses, the everyday list, the length and review; then the
    alternatives in one line for the practitioner."""
    result = words.result
    programme = result.programme
    recs = {r.id: r for r in result.recommendations}
    lines: list[str] = []
    if programme.on_hold:
        if programme.lifestyle:
            lines += ["", words.programme_heading + ":"]
            lines.extend(_item_line(item, recs, words, "  ") for item in programme.lifestyle)
    elif programme.phases or programme.lifestyle:
        length = words.programme_length(programme.weeks, programme.review_in_weeks)
        lines += ["", f"{words.programme_heading} ({length}):"]
        for phase in programme.phases:
            lines.append(f"  {phase.name}:")
            lines.extend(_item_line(item, recs, words, "    ", exercise=True) for item in phase.items)
        if programme.lifestyle:
            indent = "  "
            if programme.phases:
                lines.append(f"  {words.everyday_heading(False)}:")
                indent = "    "
            lines.extend(_item_line(item, recs, words, indent) for item in programme.lifestyle)
    if programme.alternatives:
        if words.catalogue is None:  # the fit rules' words are the installation's (the process default's)
            from decision_core.installation import catalogue_or_none

            words.catalogue = catalogue_or_none(None)
        lines += ["", words.word(ALTERNATIVES) + ": " + words.alternatives_line(programme.alternatives)]
    return lines


def _item_line(item, recs: dict, words: ResultWords, indent: str, exercise: bool = False) -> str:
    """One chosen item: its name and dose (an exercise's figures; anything else's figures or detail)."""
    rec = recs.get(item.id)
    name = rec.name if rec is not None else item.id
    dose = Dose.from_dict(item.dose)
    said = words.dose(dose) if exercise else words.dose_phrase(dose)
    if item.starting_dose:
        said += f" ({words.starting_note})"
    return f"{indent}- {name}" + (f": {said}" if said else "")
