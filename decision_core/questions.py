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

from typing import Any, NamedTuple

from .compiler import CompiledRules, fact_test
from .scoring import Conclusions


class _Open(NamedTuple):
    """A stratum-1 rule that can raise the triage or add evidence for a cause."""

    rule_id: str
    is_triage: bool
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
        self._rules: list[_Open] = []
        for r in compiled.stratum1:
            if r.then.kind not in ("triage", "cause"):
                continue
            tests = tuple((c.subject, fact_test(c)) for c in r.fact_conditions)
            findings = tuple(c.subject for c in r.when if c.op == "finding")
            is_triage = r.then.kind == "triage"
            weight = self.level_rank[r.then.target] if is_triage else (r.weight or 0.0)
            single = tests[0][0] if len(tests) == 1 and not findings else None
            self._rules.append(_Open(r.id, is_triage, r.then.target, weight, tests, findings, single))
        self._thresholds = {cid: c.threshold for cid, c in compiled.catalogue.causes.items()}
        self._order = {n: i for i, n in enumerate(self.facts)}
        # which facts can lead to which finding, for rules that wait on one
        self._finding_facts: dict[str, tuple[str, ...]] = {}
        for r in compiled.stratum1:
            if r.then.kind == "finding":
                names = dict.fromkeys(self._finding_facts.get(r.then.target, ()))
                names.update(dict.fromkeys(c.subject for c in r.fact_conditions))
                self._finding_facts[r.then.target] = tuple(names)
        # what a question says of its fact, whatever the case
        self._asked = {n: {"fact": n, "question": f.question, "label": f.label, "type": f.type}
                       for n, f in self.facts.items()}

    def plan(self, facts: dict[str, Any], case: dict, fired: set[str], conclusions: Conclusions) -> list[dict]:
        safety_max: dict[str, float] = {}
        safety_sum: dict[str, float] = {}
        diagnosis: dict[str, float] = {}
        reasons: dict[str, list[_Open]] = {}
        derived = conclusions.findings
        listed = {c.id for c in conclusions.causes}
        scores = conclusions.scores
        current = conclusions.triage_rank
        thresholds = self._thresholds
        for rule in self._rules:
            rule_id, is_triage, target, weight, tests, findings, single = rule
            if rule_id in fired or (is_triage and weight <= current):
                continue
            if single is not None:
                # most rules read one fact: unknown, it is the question; known, the rule is decided
                if single in facts:
                    continue
                unknown = (single,)
            else:
                unknown = self._unknown_if_open(tests, findings, facts, case, derived)
                if not unknown:
                    continue
            if is_triage:
                value = (weight - current) / len(unknown)
                for name in unknown:
                    if value > safety_max.get(name, 0.0):
                        safety_max[name] = value
                    safety_sum[name] = safety_sum.get(name, 0.0) + value
                    reasons.setdefault(name, []).append(rule)
            else:
                value = abs(weight) / len(unknown)
                if weight > 0 and target not in listed and scores.get(target, 0.0) + weight >= thresholds[target]:
                    value *= 2  # it could list a cause that is not listed yet
                for name in unknown:
                    diagnosis[name] = diagnosis.get(name, 0.0) + value
                    reasons.setdefault(name, []).append(rule)
        return self._pick(safety_max, safety_sum, diagnosis, reasons)

    def _unknown_if_open(self, tests, findings, facts, case, derived) -> list[str]:
        """The unknown facts of a rule no known fact contradicts; [] if it is decided."""
        unknown: list[str] = []
        for name, test in tests:
            if name in facts:
                if not test(case):
                    return []
            elif name not in unknown:
                unknown.append(name)
        for f in findings:
            if f not in derived:
                unknown.extend(n for n in self._finding_facts.get(f, ()) if n not in facts and n not in unknown)
        return unknown

    def _pick(self, safety_max, safety_sum, diagnosis, reasons) -> list[dict]:
        order = self._order
        safe = sorted(safety_max, key=lambda n: (-safety_max[n], -safety_sum[n], order[n]))
        diag = sorted(diagnosis, key=lambda n: (-diagnosis[n], order[n]))
        # interleaved, safety first; a fact already picked is skipped
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
        top, top_rank, causes = None, -1.0, set()
        for rule in rules:
            if rule.is_triage:
                if rule.weight > top_rank:
                    top, top_rank = rule.target, rule.weight
            else:
                causes.add(rule.target)
        parts = []
        if top is not None:
            parts.append(f"could raise the triage to {top}")
        if causes:
            parts.append("would help confirm or rule out " + ", ".join(sorted(causes)))
        question = dict(self._asked[name])
        question["kind"] = "safety" if safety else "diagnosis"
        question["why"] = "; ".join(parts)
        question["score"] = round((safety or 0.0) * 10 + (diagnosis or 0.0), 3)
        return question
