"""From stratum-1 firings to scored causes, findings and the triage level.

Engine-neutral: both engines hand over the ids of the rules that fired and
this module turns them into explained conclusions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compiler import CompiledRules, Stratum2Input


@dataclass
class Evidence:
    rule: str
    because: str
    strength: str | None
    weight: float | None
    sources: tuple[str, ...]
    facts: dict[str, Any]

    def to_dict(self) -> dict:
        fact, value = next(iter(self.facts.items()), (None, None))
        out = {"fact": fact, "value": value, "facts": dict(self.facts), "rule": self.rule,
               "because": self.because, "sources": list(self.sources)}
        if self.strength:
            out["strength"] = self.strength
            out["weight"] = self.weight
        return out


@dataclass
class ScoredCause:
    id: str
    name: str
    explanation: str
    score: float
    threshold: float
    sources: tuple[str, ...]
    evidence: list[Evidence] = field(default_factory=list)
    order: int = 0

    @property
    def listed(self) -> bool:
        return self.score >= self.threshold and any((e.weight or 0) > 0 for e in self.evidence)

    @property
    def confidence(self) -> float:
        return round(max(0.0, 1 - 0.5 ** (self.score / 3.0)), 2)

    @property
    def strong_count(self) -> int:
        return sum(1 for e in self.evidence if e.strength == "strong")


@dataclass
class Conclusions:
    causes: list[ScoredCause]  # listed causes, ranked
    unlisted: dict[str, ScoredCause]  # causes with some evidence but below threshold
    scores: dict[str, float]
    triage_level: str
    triage_rank: int
    triage_reasons: list[tuple[str, Evidence]]  # (level, evidence), most severe first
    findings: dict[str, list[Evidence]]

    def stratum2_input(self) -> Stratum2Input:
        return Stratum2Input(frozenset(c.id for c in self.causes), self.triage_rank)


def fact_values(rule, facts: dict[str, Any], finding_facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The patient facts behind a rule: its own conditions, and those behind its findings."""
    out: dict[str, Any] = {}
    for c in rule.when:
        if c.on_fact and c.subject in facts:
            out.setdefault(c.subject, facts[c.subject])
        elif c.op == "finding":
            for k, v in finding_facts.get(c.subject, {}).items():
                out.setdefault(k, v)
    return out


def conclude(compiled: CompiledRules, facts: dict[str, Any], fired: list[str]) -> Conclusions:
    cat = compiled.catalogue
    rules = [compiled.by_id[r] for r in compiled.sort_fired(fired)]
    finding_facts: dict[str, dict[str, Any]] = {}
    findings: dict[str, list[Evidence]] = {}
    # Findings first, in dependency order, so causes can trace them to facts.
    pending = [r for r in rules if r.then.kind == "finding"]
    while pending:
        progressed = False
        for r in list(pending):
            deps = [c.subject for c in r.when if c.op == "finding"]
            if all(d in finding_facts for d in deps) or not any(p.then.target in deps for p in pending):
                vals = fact_values(r, facts, finding_facts)
                finding_facts.setdefault(r.then.target, {}).update(vals)
                findings.setdefault(r.then.target, []).append(Evidence(r.id, r.because, None, None, r.sources, vals))
                pending.remove(r)
                progressed = True
        if not progressed:  # pragma: no cover - catalogue forbids self-dependency
            break

    scored: dict[str, ScoredCause] = {}
    order = {cid: i for i, cid in enumerate(cat.causes)}
    levels = {lv.id: lv for lv in cat.levels}
    triage_reasons: list[tuple[str, Evidence]] = []
    for r in rules:
        if r.then.kind == "cause":
            cause = cat.causes[r.then.target]
            sc = scored.get(cause.id)
            if sc is None:
                sc = scored[cause.id] = ScoredCause(cause.id, cause.name, cause.explanation, 0.0, cause.threshold,
                                                    cause.sources, order=order[cause.id])
            sc.score += r.weight or 0.0
            sc.evidence.append(Evidence(r.id, r.because, r.strength, r.weight, r.sources, fact_values(r, facts, finding_facts)))
        elif r.then.kind == "triage":
            triage_reasons.append((r.then.target, Evidence(r.id, r.because, None, None, r.sources,
                                                           fact_values(r, facts, finding_facts))))
    triage_reasons.sort(key=lambda lr: -levels[lr[0]].rank)
    top = triage_reasons[0][0] if triage_reasons else cat.levels[0].id
    ranked = sorted((s for s in scored.values() if s.listed),
                    key=lambda s: (-s.score, -s.strong_count, s.order))
    for s in scored.values():
        s.score = round(s.score, 3)
    return Conclusions(
        causes=ranked,
        unlisted={k: v for k, v in scored.items() if not v.listed},
        scores={k: v.score for k, v in scored.items()},
        triage_level=top,
        triage_rank=levels[top].rank,
        triage_reasons=triage_reasons,
        findings=findings,
    )
