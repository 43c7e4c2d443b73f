"""A short, readable plain-text summary of a result (the CLI's default output)."""
from __future__ import annotations

from .dose import dose_text
from .result import Recommendation, Result


def _dose(rec: Recommendation) -> str:
    dose = rec.dose_value()
    return "; ".join(part for part in (dose_text(dose), dose.detail) if part)


def summarise(result: Result) -> str:
    lines: list[str] = []
    tri = result.triage
    lines.append(f"TRIAGE: {tri.level.upper().replace('_', ' ')} - {tri.advice}")
    for r in tri.reasons:
        lines.append(f"  because {r.because} [{r.rule}]")
    if result.open_safety_questions:
        lines.append("  Safety questions still open: " + "; ".join(q.question for q in result.open_safety_questions))
    lines.append("")
    lines.append("Likely causes:" if result.causes else "Likely causes: none stands out from what is known.")
    for c in result.causes:
        lines.append(f"  {c.rank}. {c.name} ({c.id}), confidence {c.confidence:.0%}")
        for e in c.evidence:
            lines.append(f"     {'-' if e.against else '+'} {e.because} [{e.rule}; sources {', '.join(e.sources)}]")
    if result.recommendations:
        lines.append("")
        lines.append("What to do now:" if result.programme_on_hold else "Programme:")
        for r in result.recommendations:
            dose = _dose(r)
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
        for q in result.next_questions[:5]:
            lines.append(f"  ? {q.question}  ({q.fact})")
    lines.append("")
    lines.append("Rulesets: " + ", ".join(f"{r.id}@{r.version}" for r in result.rulesets))
    lines.append(result.disclaimer)
    return "\n".join(lines) + "\n"
