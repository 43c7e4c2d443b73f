"""A plain-Python forward-chaining evaluator of compiled rules.

Naive fixpoint: simple enough to be obviously right, which is what an oracle
for the durable-rules engine needs to be. Holds no state between runs. Only the
rules whose facts are all known are visited (every test on a fact needs it
known), so a large catalogue costs what a case's answers reach.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from decision_core.engine.compiler import CompiledRules, Stratum2Input, fact_keys, fact_test


class PlainEngine:
    name = "plain"

    def __init__(self, compiled: CompiledRules):
        self.compiled = compiled
        self._s1 = [self._prepare(r) for r in compiled.stratum1]
        self._s2 = [self._prepare(r) for r in compiled.stratum2]
        self._rank = compiled.level_rank
        # per stratum: case key -> the rules (by position) that read it, and how many keys each reads
        self._needs = [self._keys(compiled.stratum1), self._keys(compiled.stratum2)]

    @staticmethod
    def _keys(rules) -> tuple[dict[str, list[int]], list[int]]:
        readers: dict[str, list[int]] = {}
        counts = []
        for position, rule in enumerate(rules):
            keys = {k for c in rule.fact_conditions for k in fact_keys(c)}
            for key in keys:
                readers.setdefault(key, []).append(position)
            counts.append(len(keys))
        return readers, counts

    @staticmethod
    def _candidates(rules: list, needs, case: dict) -> list:
        """The rules (in order) whose case keys are all known: no other can fire."""
        readers, counts = needs
        known = [0] * len(counts)
        for key in case:
            for position in readers.get(key, ()):
                known[position] += 1
        return [rule for rule, have, need in zip(rules, known, counts) if have == need]

    @staticmethod
    def _prepare(rule):
        tests = tuple(fact_test(c) for c in rule.fact_conditions)
        derived = tuple(c for c in rule.when if not c.on_fact)
        finding = rule.then.target if rule.then.kind == "finding" else None
        return rule.id, tests, derived, finding

    @contextmanager
    def session(self, case: dict) -> Iterator["_PlainSession"]:
        yield _PlainSession(self, case)

    def stratum1(self, case: dict) -> list[str]:
        fired1: list[str] = []
        done: set[str] = set()
        findings: set[str] = set()
        changed = True
        s1 = self._candidates(self._s1, self._needs[0], case)
        while changed:
            changed = False
            for rid, tests, derived, finding in s1:
                if rid in done:
                    continue
                if all(t(case) for t in tests) and all(c.subject in findings for c in derived):
                    done.add(rid)
                    fired1.append(rid)
                    if finding:
                        findings.add(finding)
                    changed = True
        return fired1

    def stratum2(self, case: dict, inputs: Stratum2Input) -> list[str]:
        return [rid for rid, tests, derived, _ in self._candidates(self._s2, self._needs[1], case)
                if all(t(case) for t in tests) and all(self._derived(c, inputs) for c in derived)]

    def _derived(self, cond, inputs) -> bool:
        if cond.op == "cause":
            return cond.subject in inputs.causes
        if cond.op == "triage_at_least":
            return inputs.triage_rank >= self._rank[cond.subject]
        if cond.op == "triage_below":
            return inputs.triage_rank < self._rank[cond.subject]
        return False


class _PlainSession:
    """Nothing to hold or clean: each stratum is computed from the case."""

    def __init__(self, engine: PlainEngine, case: dict):
        self._engine, self._case = engine, case

    def run_stratum1(self) -> list[str]:
        return self._engine.stratum1(self._case)

    def run_stratum2(self, inputs: Stratum2Input) -> list[str]:
        return self._engine.stratum2(self._case, inputs)
