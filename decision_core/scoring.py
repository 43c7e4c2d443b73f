"""From stratum-1 firings to scored causes, findings and the triage level.

Engine-neutral: both engines hand over the ids of the rules that fired and
this module turns them into explained conclusions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compiler import CompiledRules, RuleShape, Stratum2Input


@dataclass(slots=True)
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


@dataclass(slots=True)
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


def fact_values(shape: RuleShape, facts: dict[str, Any], finding_facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The patient facts behind a rule: its own conditions, and those behind its findings."""
    out: dict[str, Any] = {}
    for is_finding, name in shape.reads:
        if not is_finding:
            if name in facts and name not in out:
                out[name] = facts[name]
        else:
            for k, v in finding_facts.get(name, {}).items():
                out.setdefault(k, v)
    return out


def conclude(compiled: CompiledRules, facts: dict[str, Any], fired: list[str]) -> Conclusions:
    cat = compiled.catalogue
    shapes = compiled.fired_shapes(fired)
    finding_facts: dict[str, dict[str, Any]] = {}
    findings: dict[str, list[Evidence]] = {}
    # Findings first, in dependency order, so causes can trace them to facts.
    pending = [s for s in shapes if s.kind == "finding"]
    while pending:
        progressed = False
        for s in list(pending):
            deps = s.findings
            if all(d in finding_facts for d in deps) or not any(p.target in deps for p in pending):
                r = s.rule
                vals = fact_values(s, facts, finding_facts)
                finding_facts.setdefault(s.target, {}).update(vals)
                findings.setdefault(s.target, []).append(Evidence(r.id, r.because, None, None, r.sources, vals))
                pending.remove(s)
                progressed = True
        if not progressed:  # pragma: no cover - catalogue forbids self-dependency
            break

    scored: dict[str, ScoredCause] = {}
    order = compiled.cause_order
    rank = compiled.level_rank
    triage_reasons: list[tuple[str, Evidence]] = []
    for s in shapes:
        if s.kind == "cause":
            r = s.rule
            sc = scored.get(s.target)
            if sc is None:
                cause = cat.causes[s.target]
                sc = scored[cause.id] = ScoredCause(cause.id, cause.name, cause.explanation, 0.0, cause.threshold,
                                                    cause.sources, order=order[cause.id])
            sc.score += r.weight or 0.0
            sc.evidence.append(Evidence(r.id, r.because, r.strength, r.weight, r.sources, fact_values(s, facts, finding_facts)))
        elif s.kind == "triage":
            r = s.rule
            triage_reasons.append((s.target, Evidence(r.id, r.because, None, None, r.sources,
                                                      fact_values(s, facts, finding_facts))))
    triage_reasons.sort(key=lambda lr: -rank[lr[0]])
    top = triage_reasons[0][0] if triage_reasons else cat.levels[0].id
    listed = {cid for cid, s in scored.items() if s.listed}
    ranked = sorted((scored[cid] for cid in listed), key=lambda s: (-s.score, -s.strong_count, s.order))
    for s in scored.values():
        s.score = round(s.score, 3)
    return Conclusions(
        causes=ranked,
        unlisted={k: v for k, v in scored.items() if k not in listed},
        scores={k: v.score for k, v in scored.items()},
        triage_level=top,
        triage_rank=rank[top],
        triage_reasons=triage_reasons,
        findings=findings,
    )
