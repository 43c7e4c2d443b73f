"""A short, readable plain-text summary of a result (the CLI's default output)."""
from __future__ import annotations

from .result import Result
from .wording import dose_phrase, level_label, percent, programme_heading, questions_shown, ruleset_ref


def summarise(result: Result) -> str:
    lines: list[str] = []
    tri = result.triage
    lines.append(f"TRIAGE: {level_label(tri.level)} - {tri.advice}")
    for r in tri.reasons:
        lines.append(f"  because {r.because} [{r.rule}]")
    if result.open_safety_questions:
        lines.append("  Safety questions still open: " + "; ".join(q.question for q in result.open_safety_questions))
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
    lines.append("")
    lines.append("Rulesets: " + ", ".join(ruleset_ref(r.id, r.version) for r in result.rulesets))
    lines.append(result.disclaimer)
    return "\n".join(lines) + "\n"
