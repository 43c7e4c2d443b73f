"""A short, readable plain-text summary of a result (the CLI's default output)."""
from __future__ import annotations

from typing import Any, Callable

from .result import Result
from .wording import (ASSESSMENT_HEADING, dose_phrase, level_label, percent, programme_heading, questions_shown,
                      red_flag_call, red_flag_checklist, red_flags_also, ruleset_ref)


def red_flag_lines(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> list[str]:
    """The open red flags as a checklist, by whom to call: nothing else of the open questions."""
    lines = []
    groups, also = red_flag_checklist(result, catalogue)
    for contact, flags in groups:
        lines.append("  " + red_flag_call(contact, gettext))
        lines.extend(f"    [ ] {q.question}" for q in flags)
    if also:
        lines.append("  " + red_flags_also(also, catalogue, gettext))
    return lines


def assessment_lines(result: Result, gettext: Callable[[str], str] = str) -> list[str]:
    """The practitioner's part: the open questions that cannot raise the triage to a red-flag level."""
    if not result.open_assessment_questions:
        return []
    return ["", gettext(ASSESSMENT_HEADING) + ":"] + [f"  ? {q.question}  ({q.fact})"
                                                      for q in result.open_assessment_questions]


def summarise(result: Result, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """``catalogue``: whom each red flag says to call comes from its triage level (without it, one line for
    all); ``gettext``: the words this module makes (the result's own texts are translated already)."""
    lines: list[str] = []
    tri = result.triage
    lines.append(f"TRIAGE: {level_label(tri.level)} - {tri.advice}")
    for r in tri.reasons:
        lines.append(f"  because {r.because} [{r.rule}]")
    lines.extend(red_flag_lines(result, catalogue, gettext))
    lines.append("")
    lines.append("Likely causes:" if result.causes else "Likely causes: none stands out from what is known.")
    for c in result.causes:
        lines.append(f"  {c.rank}. {c.name} ({c.id}), confidence {percent(c.confidence)}")
        for e in c.evidence:
            lines.append(f"     {'-' if e.against else '+'} {e.because} [{e.rule}; sources {', '.join(e.sources)}]")
    if result.recommendations:
        lines.append("")
        lines.append(programme_heading(result.programme_on_hold) + ":")
        for r in result.recommendations:
            dose = dose_phrase(r.dose_value())
            serves = ", ".join(r.for_causes) or r.for_triage or ""
            lines.append(f"  - {r.name} [{r.kind}]" + (f": {dose}" if dose else "") + (f"  (for {serves})" if serves else ""))
    if result.avoid:
        lines.append("")
        lines.append("Avoid:")
        for a in result.avoid:
            lines.append(f"  - {a.name}: {a.why}")
    if result.next_questions:
        lines.append("")
        lines.append("Worth asking next:")
        for q in questions_shown(result):
            lines.append(f"  ? {q.question}  ({q.fact})")
    lines.extend(assessment_lines(result, gettext))
    lines.append("")
    lines.append("Rulesets: " + ", ".join(ruleset_ref(r.id, r.version) for r in result.rulesets))
    lines.append(result.disclaimer)
    return "\n".join(lines) + "\n"
