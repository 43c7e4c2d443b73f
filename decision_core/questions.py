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
    weight: float
    tests: tuple  # ((fact name, predicate), ...)
    findings: tuple[str, ...]


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
            self._rules.append(_Open(r.id, r.then.kind, r.then.target, r.weight or 0.0, tests, findings))
        # which facts can lead to which finding, for rules that wait on one
        self._finding_facts: dict[str, set[str]] = {}
        for r in compiled.stratum1:
            if r.then.kind == "finding":
                self._finding_facts.setdefault(r.then.target, set()).update(c.subject for c in r.fact_conditions)

    def plan(self, facts: dict[str, Any], case: dict, fired: set[str], conclusions: Conclusions) -> list[dict]:
        safety: dict[str, list] = {}
        diagnosis: dict[str, list] = {}
        reasons: dict[str, set[str]] = {}
        derived = set(conclusions.findings)
        listed = {c.id for c in conclusions.causes}
        current = conclusions.triage_rank
        for rule in self._rules:
            if rule.rule_id in fired:
                continue
            unknown: set[str] = set()
            blocked = False
            for name, test in rule.tests:
                if name in facts:
                    if not test(case):
                        blocked = True
                        break
                else:
                    unknown.add(name)
            if blocked:
                continue
            for f in rule.findings:
                if f not in derived:
                    unknown.update(n for n in self._finding_facts.get(f, ()) if n not in facts)
            if not unknown:
                continue
            share = len(unknown)
            if rule.kind == "triage":
                gain = self.level_rank[rule.target] - current
                if gain <= 0:
                    continue
                for name in unknown:
                    entry = safety.setdefault(name, [0.0, 0.0])
                    entry[0] = max(entry[0], gain / share)
                    entry[1] += gain / share
                    reasons.setdefault(name, set()).add(f"triage:{rule.target}")
            else:
                score = conclusions.scores.get(rule.target, 0.0)
                threshold = self.compiled.catalogue.causes[rule.target].threshold
                value = abs(rule.weight) / share
                if rule.weight > 0 and rule.target not in listed and score + rule.weight >= threshold:
                    value *= 2
                for name in unknown:
                    entry = diagnosis.setdefault(name, [0.0, 0.0])
                    entry[0] += value
                    reasons.setdefault(name, set()).add(f"cause:{rule.target}")
        order = {n: i for i, n in enumerate(self.facts)}
        safe = sorted(safety, key=lambda n: (-safety[n][0], -safety[n][1], order.get(n, 0)))
        diag = sorted(diagnosis, key=lambda n: (-diagnosis[n][0], order.get(n, 0)))
        picked: list[str] = []
        while (safe or diag) and len(picked) < self.limit:
            for queue in (safe, diag):
                while queue and queue[0] in picked:
                    queue.pop(0)
                if queue and len(picked) < self.limit:
                    picked.append(queue.pop(0))
        return [self._question(n, safety.get(n), diagnosis.get(n), reasons[n]) for n in picked]

    def _question(self, name, safety, diagnosis, reasons) -> dict:
        fact = self.facts[name]
        levels = sorted({r.split(":", 1)[1] for r in reasons if r.startswith("triage:")},
                        key=lambda lv: -self.level_rank[lv])
        causes = sorted(r.split(":", 1)[1] for r in reasons if r.startswith("cause:"))
        parts = []
        if levels:
            parts.append(f"could raise the triage to {levels[0]}")
        if causes:
            parts.append("would help confirm or rule out " + ", ".join(causes))
        return {
            "fact": name,
            "question": fact.question,
            "label": fact.label,
            "type": fact.type,
            "kind": "safety" if safety else "diagnosis",
            "why": "; ".join(parts),
            "score": round((safety[0] * 10 if safety else 0) + (diagnosis[0] if diagnosis else 0), 3),
        }
