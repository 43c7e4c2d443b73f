"""A short, readable plain-text summary of a result (the CLI's default output)."""
from __future__ import annotations

from typing import Any, Callable

from decision_core.catalogue.dose import Dose, dose_text
from decision_core.result.model import Result
from decision_core.i18n.result_texts import N_
from decision_core.i18n.wording import (
    ASSESSMENT_HEADING,
    cause_names,
    kind_label,
    alternatives_line,
    dose_phrase,
    everyday_heading,
    level_label,
    percent,
    programme_heading,
    programme_length,
    questions_shown,
    red_flag_call,
    red_flag_checklist,
    red_flags_also,
    ruleset_ref,
    starting_dose_note,
)


def red_flag_lines(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> list[str]:
    """The open red flags as a checklist, by whom to call: nothing else of the open questions."""
    lines = []
    groups, also = red_flag_checklist(result, catalogue)
    for contact, flags in groups:
        lines.append("  " + red_flag_call(contact, gettext, held=result.programme_on_hold))
        lines.extend(f"    [ ] {q.question}" for q in flags)
    if also:
        lines.append("  " + red_flags_also(also, catalogue, gettext))
    return lines


def assessment_lines(result: Result, gettext: Callable[[str], str] = str) -> list[str]:
    """The practitioner's part: the open questions that cannot raise the triage to a red-flag level."""
    if not result.open_assessment_questions:
        return []
    return ["", gettext(ASSESSMENT_HEADING) + ":"] + [f"  ? {q.question}  [{q.fact}]"
                                                      for q in result.open_assessment_questions]


def summarise(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """``catalogue`` (the one that evaluated it; default: the process default's): whom each red flag says to
    call comes from its triage level, and why the alternatives were not chosen; ``gettext`` translates the
    words this module makes (the result's own texts are translated before)."""
    lines: list[str] = []
    tri = result.triage
    lines.append(f"TRIAGE: {level_label(tri.name)} - {tri.advice}")
    for r in tri.reasons:
        lines.append(f"  because {r.because} [{r.rule}]")
    lines.extend(red_flag_lines(result, catalogue, gettext))
    lines.append("")
    lines.append("Likely causes:" if result.causes else "Likely causes: none stands out from what is known.")
    for c in result.causes:
        lines.append(f"  {c.rank}. {c.name} [{c.id}], confidence {percent(c.confidence)}")
        for e in c.evidence:
            lines.append(f"     {'-' if e.against else '+'} {e.because} [{e.rule}; sources {', '.join(e.sources)}]")
    if result.programme is not None:
        lines.extend(_programme(result, catalogue, gettext))
    elif result.recommendations:  # a result without a programme (no programme ruleset): every allowed item
        lines.append("")
        lines.append(programme_heading(result.programme_on_hold, gettext) + ":")
        for r in result.recommendations:
            dose = dose_phrase(r.dose_value(), gettext=gettext)
            serves = cause_names(r.for_causes, result, catalogue, gettext) or (tri.name if r.for_triage else "")
            lines.append(f"  - {r.name} ({kind_label(r.kind, gettext)})" + (f": {dose}" if dose else "")
                         + (f"  (for {serves})" if serves else ""))
    if result.avoid:
        lines.append("")
        lines.append(gettext(N_("Avoid")) + ":")
        for a in result.avoid:
            lines.append(f"  - {a.name}: {a.why}")
    if result.next_questions:
        lines.append("")
        lines.append(gettext(N_("Worth asking next")) + ":")
        for q in questions_shown(result):
            lines.append(f"  ? {q.question}  [{q.fact}]")
    lines.extend(assessment_lines(result, gettext))
    lines.append("")
    lines.append(gettext(N_("Rulesets")) + ": [" + ", ".join(ruleset_ref(r.id, r.version) for r in result.rulesets) + "]")
    lines.append(result.disclaimer)
    return "\n".join(lines) + "\n"


def _programme(result: Result, catalogue: Any, gettext: Callable[[str], str]) -> list[str]:
    """The patient's programme: its phases with doses, the everyday list, the length and review; then the
    alternatives in one line for the practitioner."""
    programme = result.programme
    recs = {r.id: r for r in result.recommendations}
    lines: list[str] = []
    if programme.on_hold:
        if programme.lifestyle:
            lines += ["", programme_heading(True, gettext) + ":"]
            lines.extend(_item_line(item, recs, gettext, "  ") for item in programme.lifestyle)
    elif programme.phases or programme.lifestyle:
        length = programme_length(programme.weeks, programme.review_in_weeks, gettext)
        lines += ["", f"{programme_heading(False, gettext)} ({length}):"]
        for phase in programme.phases:
            lines.append(f"  {phase.name}:")
            lines.extend(_item_line(item, recs, gettext, "    ", exercise=True) for item in phase.items)
        if programme.lifestyle:
            indent = "  "
            if programme.phases:
                lines.append(f"  {everyday_heading(False, gettext)}:")
                indent = "    "
            lines.extend(_item_line(item, recs, gettext, indent) for item in programme.lifestyle)
    if programme.alternatives:
        names = {r.id: r.name for r in result.recommendations}
        if catalogue is None:  # the fit rules' words are the installation's (the process default's)
            from decision_core.installation import catalogue_or_none

            catalogue = catalogue_or_none(None)
        lines += ["", gettext("Alternatives") + ": " + alternatives_line(programme.alternatives, names, catalogue, gettext)]
    return lines


def _item_line(item, recs: dict, gettext: Callable[[str], str], indent: str, exercise: bool = False) -> str:
    """One chosen item: its name and dose (an exercise's figures; anything else's figures or detail)."""
    rec = recs.get(item.id)
    name = rec.name if rec is not None else item.id
    dose = Dose.from_dict(item.dose)
    words = dose_text(dose, gettext) if exercise else dose_phrase(dose, gettext=gettext)
    if item.starting_dose:
        words += f" ({starting_dose_note(gettext)})"
    return f"{indent}- {name}" + (f": {words}" if words else "")
