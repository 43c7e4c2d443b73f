"""Next questions: the unknown facts whose answers would most change the result.

For every rule that has not fired but still could (no known fact contradicts
it), each unknown fact it reads gets a share of what the rule would change:

* safety: a triage rule that would raise the level; scored by how far it would
  raise it, shared between the rule's unknown conditions;
* diagnosis: a cause rule; scored by its weight, doubled when it could list a
  cause that is not listed yet, shared the same way.

The two lists are interleaved, safety first, so that with little known the
first questions cover both the red flags and the strongest discriminators.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .compiler import CompiledRules, fact_test
from .scoring import Conclusions


@dataclass(frozen=True)
class _Open:
    rule_id: str
    kind: str  # triage | cause
    target: str
    weight: float  # cause rules: evidence weight; triage rules: the level's rank
    tests: tuple  # ((fact name, predicate), ...)
    findings: tuple[str, ...]
    single: str | None  # the fact of a one-condition rule: known means decided


class QuestionPlanner:
    def __init__(self, compiled: CompiledRules, limit: int = 10):
        self.compiled = compiled
        self.limit = limit
        self.facts = compiled.catalogue.facts
        self.level_rank = compiled.level_rank
        self._rules = []
        for r in compiled.stratum1:
            if r.then.kind not in ("triage", "cause"):
                continue
            tests = tuple((c.subject, fact_test(c)) for c in r.fact_conditions)
            findings = tuple(c.subject for c in r.when if c.op == "finding")
            weight = self.level_rank[r.then.target] if r.then.kind == "triage" else (r.weight or 0.0)
            single = tests[0][0] if len(tests) == 1 and not findings else None
            self._rules.append(_Open(r.id, r.then.kind, r.then.target, weight, tests, findings, single))
        self._thresholds = {cid: c.threshold for cid, c in compiled.catalogue.causes.items()}
        self._order = {n: i for i, n in enumerate(self.facts)}
        # which facts can lead to which finding, for rules that wait on one
        self._finding_facts: dict[str, set[str]] = {}
        for r in compiled.stratum1:
            if r.then.kind == "finding":
                self._finding_facts.setdefault(r.then.target, set()).update(c.subject for c in r.fact_conditions)

    def plan(self, facts: dict[str, Any], case: dict, fired: set[str], conclusions: Conclusions) -> list[dict]:
        safety_max: dict[str, float] = {}
        safety_sum: dict[str, float] = {}
        diagnosis: dict[str, float] = {}
        reasons: dict[str, list[_Open]] = {}
        derived = conclusions.findings
        listed = {c.id for c in conclusions.causes}
        scores = conclusions.scores
        current = conclusions.triage_rank
        for rule in self._rules:
            if rule.rule_id in fired or (rule.kind == "triage" and rule.weight <= current):
                continue
            if rule.single is not None:
                # most rules read one fact: unknown, it is the question; known, the rule is decided
                if rule.single in facts:
                    continue
                unknown = [rule.single]
            else:
                unknown = self._unknown_if_open(rule, facts, case, derived)
                if not unknown:
                    continue
            if rule.kind == "triage":
                value = (rule.weight - current) / len(unknown)
                for name in unknown:
                    if value > safety_max.get(name, 0.0):
                        safety_max[name] = value
                    safety_sum[name] = safety_sum.get(name, 0.0) + value
                    reasons.setdefault(name, []).append(rule)
            else:
                value = abs(rule.weight) / len(unknown)
                if rule.weight > 0 and rule.target not in listed and \
                        scores.get(rule.target, 0.0) + rule.weight >= self._thresholds[rule.target]:
                    value *= 2  # it could list a cause that is not listed yet
                for name in unknown:
                    diagnosis[name] = diagnosis.get(name, 0.0) + value
                    reasons.setdefault(name, []).append(rule)
        return self._pick(safety_max, safety_sum, diagnosis, reasons)

    def _unknown_if_open(self, rule: _Open, facts, case, derived) -> list[str]:
        """The unknown facts of a rule no known fact contradicts; [] if it is decided."""
        unknown: list[str] = []
        for name, test in rule.tests:
            if name in facts:
                if not test(case):
                    return []
            elif name not in unknown:
                unknown.append(name)
        for f in rule.findings:
            if f not in derived:
                unknown.extend(n for n in self._finding_facts.get(f, ()) if n not in facts and n not in unknown)
        return unknown

    def _pick(self, safety_max, safety_sum, diagnosis, reasons) -> list[dict]:
        order = self._order
        safe = sorted(safety_max, key=lambda n: (-safety_max[n], -safety_sum[n], order[n]))
        diag = sorted(diagnosis, key=lambda n: (-diagnosis[n], order[n]))
        picked: list[str] = []
        taken: set[str] = set()
        queues = [iter(safe), iter(diag)]
        while queues and len(picked) < self.limit:
            for queue in list(queues):
                name = next((n for n in queue if n not in taken), None)
                if name is None:
                    queues.remove(queue)
                elif len(picked) < self.limit:
                    picked.append(name)
                    taken.add(name)
        return [self._question(n, safety_max.get(n), diagnosis.get(n), reasons[n]) for n in picked]

    def _question(self, name, safety, diagnosis, rules) -> dict:
        fact = self.facts[name]
        levels = {r.target: r.weight for r in rules if r.kind == "triage"}
        causes = sorted({r.target for r in rules if r.kind == "cause"})
        parts = []
        if levels:
            parts.append(f"could raise the triage to {max(levels, key=levels.get)}")
        if causes:
            parts.append("would help confirm or rule out " + ", ".join(causes))
        return {
            "fact": name,
            "question": fact.question,
            "label": fact.label,
            "type": fact.type,
            "kind": "safety" if safety else "diagnosis",
            "why": "; ".join(parts),
            "score": round((safety or 0.0) * 10 + (diagnosis or 0.0), 3),
        }
