"""From stratum-1 firings to scored causes, findings and the triage level.

Engine-neutral: both engines hand over the ids of the rules that fired and
this module turns them into explained conclusions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from decision_core.catalogue.loading import Rule
from decision_core.catalogue.citations import Citation
from decision_core.engine.compiler import CompiledRules, RuleShape, Stratum2Input
from decision_core.result.model import Evidence


def evidence(rule: Rule, facts: dict[str, Any], weighed: bool = False, level: str | None = None) -> Evidence:
    """One piece of evidence as a result shows it: every fact behind a rule that
    fired, the rule and its plain-language reason, and the sources; the strength
    and weight too when it weighs for or against a cause."""
    ev = Evidence(rule=rule.id, because=rule.because, facts=facts, sources=list(rule.sources),
                  citations=list(rule.citations), level=level)
    if weighed and rule.strength:
        ev.strength = rule.strength
        ev.weight = rule.weight
    return ev


@dataclass(slots=True)
class ScoredCause:
    id: str
    name: str
    why: str
    fix: str
    score: float
    threshold: float
    sources: set[str]  # the cause's own and every evidence rule's
    citations: list[Citation]  # the cause's own
    evidence: list[Evidence] = field(default_factory=list)
    order: int = 0
    strong_count: int = 0
    fed: bool = False  # a finding chained from elsewhere (sitting switching the glutes off) supports it

    @property
    def listed(self) -> bool:
        # Supporting signals alone raise no cause: a strong one must be present.
        return self.score >= self.threshold and self.strong_count > 0

    @property
    def confidence(self) -> float:
        return round(max(0.0, 1 - 0.5 ** (self.score / 3.0)), 2)


@dataclass
class Conclusions:
    causes: list[ScoredCause]  # listed causes, ranked
    scores: dict[str, float]  # every cause with some evidence, listed or not
    triage_level: str
    triage_rank: int
    triage_reasons: list[Evidence]  # each with its level, most severe first
    findings: dict[str, list[Evidence]]  # finding -> its evidence
    strong: frozenset[str] = frozenset()  # causes a strong signal points at, listed or not
    # causes a finding chained from another cause supports (domain.md 2a): listed only on a strong
    # signal of their own, which is then a question worth asking
    fed: frozenset[str] = frozenset()

    def stratum2_input(self) -> Stratum2Input:
        return Stratum2Input(frozenset(c.id for c in self.causes), self.triage_rank)


def fact_values(shape: RuleShape, facts: dict[str, Any], finding_facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The patient facts behind a rule: its own conditions, and those behind its findings."""
    only = shape.only_fact
    if only is not None:
        return {only: facts[only]} if only in facts else {}
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
                vals = fact_values(s, facts, finding_facts)
                finding_facts.setdefault(s.target, {}).update(vals)
                findings.setdefault(s.target, []).append(evidence(s.rule, vals))
                pending.remove(s)
                progressed = True
        if not progressed:  # pragma: no cover - catalogue forbids self-dependency
            break

    scored: dict[str, ScoredCause] = {}
    order = compiled.cause_order
    rank = compiled.level_rank
    triage_reasons: list[Evidence] = []
    for s in shapes:
        if s.kind == "cause":
            r = s.rule
            sc = scored.get(s.target)
            if sc is None:
                cause = cat.causes[s.target]
                sc = scored[cause.id] = ScoredCause(cause.id, cause.name, cause.why, cause.fix, 0.0, cause.threshold,
                                                    set(cause.sources), list(cause.citations), order=order[cause.id])
            sc.score += r.weight or 0.0
            if r.strength == "strong":
                sc.strong_count += 1
            elif s.findings and (r.weight or 0.0) > 0:
                sc.fed = True
            sc.sources.update(r.sources)
            sc.evidence.append(evidence(r, fact_values(s, facts, finding_facts), weighed=True))
        elif s.kind == "triage":
            triage_reasons.append(evidence(s.rule, fact_values(s, facts, finding_facts), level=s.target))
    if len(triage_reasons) > 1:
        triage_reasons.sort(key=lambda ev: -rank[ev.level])
    top = triage_reasons[0].level if triage_reasons else cat.levels[0].id
    listed = [sc for sc in scored.values() if sc.listed]
    listed.sort(key=lambda sc: (-sc.score, -sc.strong_count, sc.order))
    scores = {}
    for cid, sc in scored.items():
        sc.score = scores[cid] = round(sc.score, 3)
    return Conclusions(
        causes=listed,
        scores=scores,
        triage_level=top,
        triage_rank=rank[top],
        triage_reasons=triage_reasons,
        findings=findings,
        strong=frozenset(cid for cid, sc in scored.items() if sc.strong_count),
        fed=frozenset(cid for cid, sc in scored.items() if sc.fed),
    )
