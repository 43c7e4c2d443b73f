"""What a report shows, worked out once from a result dict and shared by every
human-readable format (html, pdf, markdown, text) and the FHIR bundle.

Triage shapes the whole report: at ``urgent`` or ``emergency`` it leads with
what to do now and carries no exercise programme. The result already withholds
exercises at those levels; the view also drops any exercise that slipped through
(red flags always win) and does not name the withheld items, so nothing in the
report reads like a programme.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from decision_core.result import Evidence as ResultEvidence
from decision_core.result import Reason, Recommendation, Result

log = logging.getLogger(__name__)

# Triage levels that make a reason a red flag (a FHIR DetectedIssue), with its severity.
RED_FLAG_SEVERITY = {"emergency": "high", "urgent": "high", "see_professional": "moderate"}

KIND_LABELS = {"exercise": "Exercise", "lifestyle": "Everyday change", "self_care": "Self-care", "referral": "Referral"}


class InvalidResult(ValueError):
    """The object given to a report is not a decision result."""


def source_titles() -> dict[str, dict[str, str]]:
    """Titles and publishers by source id, from the installed catalogue's source registry
    (``kind: sources`` rulesets: the built-ins' and every plugin's)."""
    from decision_core.plugin_manager import PluginError, get_registry

    try:
        registry = get_registry().catalogue.sources
    except PluginError as exc:
        log.warning("source titles unavailable: the catalogue did not load (%s)", exc)
        return {}
    return {s.id: {"title": s.title, "publisher": s.publisher} for s in registry.values()}


def humanise(identifier: str) -> str:
    return identifier.replace("_", " ").strip().capitalize()


def fact_value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(fact_value_text(v) for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ") if isinstance(value, str) else str(value)


def confidence_words(confidence: float) -> str:
    if confidence >= 0.8:
        return "very likely"
    if confidence >= 0.65:
        return "likely"
    return "possible"


@dataclass
class Evidence:
    because: str
    rule: str
    sources: list[str]
    facts: list[tuple[str, str]]
    against: bool
    strength: str | None

    @property
    def facts_text(self) -> str:
        return "; ".join(f"{name} = {value}" for name, value in self.facts)


@dataclass
class CauseView:
    id: str
    name: str
    rank: int
    score: float
    confidence: float
    why: str
    fix: str | None  # None while the programme is on hold
    evidence: list[Evidence]
    sources: list[str]

    @property
    def confidence_text(self) -> str:
        return f"{confidence_words(self.confidence)} ({self.confidence:.0%})"

    @property
    def supporting(self) -> list[Evidence]:
        return [e for e in self.evidence if not e.against]

    @property
    def opposing(self) -> list[Evidence]:
        return [e for e in self.evidence if e.against]


@dataclass
class ItemView:
    """One recommendation as the patient and practitioner read it."""

    id: str
    name: str
    kind: str
    sets: str
    reps: str
    hold: str
    duration: str
    frequency: str
    detail: str
    instructions: str
    serves: list[str]
    serves_ids: list[str]
    for_triage: str | None
    intensity: str | None
    sources: list[str]
    reasons: list[Evidence]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, humanise(self.kind))

    @property
    def dose_text(self) -> str:
        """The whole dose in one phrase: '3 sets x 10-15 reps, hold 5 s, daily'."""
        parts = []
        if self.sets and self.reps:
            parts.append(f"{self.sets} sets \u00d7 {self.reps} reps")
        elif self.sets:
            parts.append(f"{self.sets} sets")
        elif self.reps:
            parts.append(f"{self.reps} reps")
        if self.hold:
            parts.append(self.hold if self.hold[:1].isalpha() else f"hold {self.hold}")
        if self.duration:
            parts.append(self.duration)
        if self.frequency:
            parts.append(self.frequency)
        return ", ".join(parts)

    @property
    def hold_or_time(self) -> str:
        """The programme table's 'Hold / time' cell."""
        return ", ".join(p for p in (self.hold, self.duration) if p)

    @property
    def serves_text(self) -> str:
        return ", ".join(self.serves)


@dataclass
class AvoidView:
    id: str
    name: str
    why: str
    sources: list[str]
    reasons: list[Evidence]


@dataclass
class WithheldView:
    id: str
    name: str
    kind: str
    reason: str


@dataclass
class QuestionView:
    fact: str
    question: str
    why: str
    kind: str


@dataclass
class SourceView:
    id: str
    title: str
    publisher: str


@dataclass
class ReportView:
    level: str
    level_name: str
    advice: str
    acute: bool
    reasons: list[Evidence]
    reason_levels: list[str]
    causes: list[CauseView]
    do_now: list[ItemView]
    exercises: list[ItemView]
    other_advice: list[ItemView]
    avoid: list[AvoidView]
    withheld: list[WithheldView]
    withheld_exercise_count: int
    next_questions: list[QuestionView]
    open_safety_questions: list[QuestionView]
    facts: list[tuple[str, str]]
    rulesets: list[dict[str, Any]]
    sources: list[SourceView]
    disclaimer: str
    engine: str
    generated_at: datetime
    title: str = "Hamstring tightness: decision support report"
    dropped_exercises: list[str] = field(default_factory=list)

    @property
    def level_label(self) -> str:
        return self.level.replace("_", " ").upper()

    @property
    def dose_gaps(self) -> bool:
        """Whether any exercise lacks a sets, reps, hold or frequency figure (shown as a dash)."""
        return any(not (e.sets and e.reps and e.hold_or_time and e.frequency) for e in self.exercises)

    @property
    def generated_text(self) -> str:
        return self.generated_at.strftime("%d %B %Y, %H:%M %Z").strip()

    @property
    def red_flags(self) -> list[tuple[Evidence, str, str]]:
        """(reason, level, FHIR severity) for each triage reason at see_professional or worse."""
        out = []
        for reason, level in zip(self.reasons, self.reason_levels):
            severity = RED_FLAG_SEVERITY.get(level)
            if severity:
                out.append((reason, level, severity))
        return out


def _evidence(ev: ResultEvidence | Reason) -> Evidence:
    strength = getattr(ev, "strength", None)
    return Evidence(
        because=ev.because,
        rule=ev.rule,
        sources=list(ev.sources),
        facts=[(name, fact_value_text(v)) for name, v in (ev.facts or {}).items()],
        against=isinstance(ev, ResultEvidence) and ev.against,
        strength=strength,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _item(rec: Recommendation, cause_names: dict[str, str], level_name: str) -> ItemView:
    dose = rec.dose
    serves = [cause_names.get(c, humanise(c)) for c in rec.for_causes]
    if rec.for_triage:
        serves.insert(0, f"your triage level ({level_name})")
    return ItemView(
        id=rec.id,
        name=rec.name,
        kind=rec.kind,
        sets=_text(dose.get("sets")),
        reps=_text(dose.get("reps")),
        hold=_text(dose.get("hold")),
        duration=_text(dose.get("duration")),
        frequency=_text(dose.get("frequency")),
        detail=_text(dose.get("detail")),
        instructions=rec.instructions.strip(),
        serves=serves,
        serves_ids=list(rec.for_causes),
        for_triage=rec.for_triage,
        intensity=rec.intensity,
        sources=list(rec.sources),
        reasons=[_evidence(r) for r in rec.reasons],
    )


def as_result(result: Any) -> Result:
    """A Result, or its dict read back into one; InvalidResult when it is neither."""
    if isinstance(result, Result):
        return result
    if not isinstance(result, Mapping):
        raise InvalidResult(f"a report needs a decision result (a Result or its dict), not {type(result).__name__}")
    if "error" in result and "triage" not in result:
        raise InvalidResult(f"cannot report on an error object: {result.get('message') or result['error']}")
    try:
        return Result.from_dict(result)
    except KeyError as exc:
        raise InvalidResult(f"not a decision result: missing {exc.args[0]}") from None
    except (TypeError, AttributeError, ValueError) as exc:
        raise InvalidResult(f"not a decision result: {exc}") from None


def build_view(result: Any, generated_at: datetime | None = None, title: str | None = None) -> ReportView:
    res = as_result(result)
    triage = res.triage
    level_name = triage.name or humanise(triage.level)
    # The safety policy decides when the home programme is on hold; the report follows it.
    acute = res.programme_on_hold
    cause_names = {c.id: c.name for c in res.causes}

    causes = [
        CauseView(id=c.id, name=c.name, rank=c.rank, score=c.score, confidence=c.confidence, why=c.why.strip(),
                  fix=None if acute or not c.fix else c.fix.strip(), evidence=[_evidence(e) for e in c.evidence],
                  sources=list(c.sources))
        for c in res.causes
    ]
    items = [_item(r, cause_names, level_name) for r in res.recommendations]
    dropped: list[str] = []
    if acute:
        # Defence in depth: the policy already withholds exercises while the programme is on hold.
        dropped = [i.id for i in items if i.kind == "exercise"]
        if dropped:
            log.warning("programme on hold: leaving exercises %s out of the report", ", ".join(dropped))
        items = [i for i in items if i.kind != "exercise"]
        do_now, exercises, other = items, [], []
    else:
        # what the safety policy puts first (the referral) comes before the programme
        leads = {r.id for r in res.recommendations if r.leads}
        do_now = [i for i in items if i.id in leads]
        exercises = [i for i in items if i.kind == "exercise" and i.id not in leads]
        other = [i for i in items if i.kind != "exercise" and i.id not in leads]

    withheld_exercises = sum(1 for w in res.withheld if w.kind == "exercise") + len(dropped)
    withheld = [] if acute else [WithheldView(w.id, w.name, w.kind, w.reason) for w in res.withheld]

    cited: list[str] = []

    def cite(ids):
        for s in ids:
            if s not in cited:
                cited.append(s)

    for r in triage.reasons:
        cite(r.sources)
    for c in causes:
        cite(c.sources)
        for e in c.evidence:
            cite(e.sources)
    for i in do_now + exercises + other:
        cite(i.sources)
    for a in res.avoid:
        cite(a.sources)
    titles = source_titles()
    sources = [
        SourceView(s, titles.get(s, {}).get("title", "(no title on file)"), titles.get(s, {}).get("publisher", ""))
        for s in sorted(cited)
    ]

    return ReportView(
        level=triage.level,
        level_name=level_name,
        advice=triage.advice.strip(),
        acute=acute,
        reasons=[_evidence(r) for r in triage.reasons],
        reason_levels=[r.level or triage.level for r in triage.reasons],
        causes=causes,
        do_now=do_now,
        exercises=exercises,
        other_advice=other,
        avoid=[AvoidView(a.id, a.name, a.why.strip(), list(a.sources), [_evidence(r) for r in a.reasons])
               for a in res.avoid],
        withheld=withheld,
        withheld_exercise_count=withheld_exercises,
        next_questions=[QuestionView(q.fact, q.question, q.why, q.kind) for q in res.next_questions],
        open_safety_questions=[QuestionView(q.fact, q.question, f"could raise the triage to {q.could_raise_to}",
                                            "safety") for q in res.open_safety_questions],
        facts=[(k, fact_value_text(v)) for k, v in sorted(res.facts.items())],
        rulesets=[r.to_dict() for r in res.rulesets],
        sources=sources,
        disclaimer=res.disclaimer,
        engine=res.engine,
        generated_at=generated_at or datetime.now(timezone.utc),
        title=title or ReportView.title,
        dropped_exercises=dropped,
    )
