"""Compiles a catalogue into engine-neutral rules plus the case encoding both
engines read.

The encoding is the shield against durable-rules' type quirks: booleans become
``"yes"``/``"no"`` (it never matches ``true``), lists become one ``"yes"``/``"no"``
key per item a rule asks about (it never matches a list), numbers stay numbers
(validated, so never numeric strings).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from decision_core.catalogue.loading import Catalogue, Rule
from decision_core.catalogue.conditions import Condition
from decision_core.catalogue.dose import dict_json

YES, NO = "yes", "no"

# Limits of durable-rules' C core (a condition node hangs past 512 tests, a fact
# fails at 254 properties), with margin: the durable engine splits a catalogue
# past them into several rulesets (engine/shards.py).
MAX_TESTS_PER_RULESET_NODE = 500
MAX_CASE_PROPERTIES = 240


def item_key(fact: str, item: str) -> str:
    return f"{fact}__{item}"


@dataclass(frozen=True)
class Stratum2Input:
    """What stratum 2 reads: the causes concluded and the final triage rank."""

    causes: frozenset[str]
    triage_rank: int


class CompileError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RuleShape:
    """What every evaluation reads of one rule, worked out once at compile time."""

    rule: Rule
    kind: str  # of its conclusion
    target: str
    reads: tuple[tuple[bool, str], ...]  # (is a finding, fact or finding name), in condition order
    findings: tuple[str, ...]  # the findings it waits on
    causes: tuple[str, ...]  # the causes it waits on, each once
    by_triage: bool  # it reads the triage level
    only_fact: str | None  # the one fact it reads, when that is all it reads


def _shape(rule: Rule) -> RuleShape:
    reads = tuple((c.op == "finding", c.subject) for c in rule.when if c.on_fact or c.op == "finding")
    return RuleShape(
        rule=rule,
        kind=rule.then.kind,
        target=rule.then.target,
        reads=reads,
        findings=tuple(c.subject for c in rule.when if c.op == "finding"),
        causes=tuple(dict.fromkeys(c.subject for c in rule.when if c.op == "cause")),
        by_triage=any(c.op.startswith("triage") for c in rule.when),
        only_fact=reads[0][1] if len(set(reads)) == 1 and not reads[0][0] else None,
    )


class CompiledRules:
    """The catalogue's rules split into strata, with the case encoder."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.rules: tuple[Rule, ...] = tuple(catalogue.rules)
        self.order = {r.id: i for i, r in enumerate(self.rules)}
        self.by_id = {r.id: r for r in self.rules}
        self.shapes = {r.id: _shape(r) for r in self.rules}
        self.stratum1 = tuple(r for r in self.rules if r.stratum == 1)
        self.stratum2 = tuple(r for r in self.rules if r.stratum == 2)
        self.used_findings = frozenset(c.subject for r in self.rules for c in r.when if c.op == "finding")
        self.used_causes = frozenset(c.subject for r in self.stratum2 for c in r.when if c.op == "cause")
        self.level_rank = {lv.id: lv.rank for lv in catalogue.levels}
        self.cause_order = {cid: i for i, cid in enumerate(catalogue.causes)}
        self.recommendation_order = {rid: i for i, rid in enumerate(catalogue.recommendations)}
        self.avoid_order = {aid: i for i, aid in enumerate(catalogue.avoid)}
        # each item's dose as JSON (None: not one JSON gives back as it is), for a result's own copy
        self.dose_json = {rid: dict_json(rec.dose.to_dict()) for rid, rec in catalogue.recommendations.items()}
        items: dict[str, set[str]] = {}
        conditions = [c for r in self.rules for c in r.fact_conditions]
        conditions += [c for line in catalogue.policy for c in line.when if c.on_fact]
        for c in conditions:
            if c.op == "includes":
                items.setdefault(c.subject, set()).add(str(c.value))
        self.list_items = {k: tuple(sorted(v)) for k, v in items.items()}
        self._plan = self._encoding_plan()
        self._kinds = dict(self._plan)
        # at most this many keys in an encoded case (durable-rules shards a wider one: engine/shards.py)
        self.case_width = len(self._plan) + sum(len(v) for v in self.list_items.values())

    def _encoding_plan(self) -> list[tuple[str, str]]:
        return [(name, fact.type) for name, fact in self.catalogue.facts.items()]

    def encode(self, facts: dict[str, Any]) -> dict[str, Any]:
        """Validated facts -> the flat case both engines match against."""
        case: dict[str, Any] = {}
        kinds = self._kinds
        # the facts given, not every fact of the catalogue: a large catalogue's case is mostly unknown
        for name, value in facts.items():
            kind = kinds.get(name)
            if kind is None:
                continue
            if kind == "bool":
                case[name] = YES if value else NO
            elif kind in ("choices", "list"):
                present = set(value)
                for item in self.list_items.get(name, ()):
                    case[item_key(name, item)] = YES if item in present else NO
            else:
                case[name] = value
        return case

    def sort_fired(self, fired) -> list[str]:
        return sorted(set(fired), key=self.order.__getitem__)

    def fired_shapes(self, fired) -> list[RuleShape]:
        """The shapes of the rules that fired, each once, in catalogue order."""
        shapes = self.shapes
        return [shapes[r] for r in self.sort_fired(fired)]


# ------------------------------------------------- condition semantics (oracle)


def fact_test(cond: Condition) -> Callable[[dict], bool]:
    """A predicate over an encoded case, for one condition on a fact.

    These are the reference semantics: the durable-rules translation in
    engine/durable.py must agree with them exactly (the tests check it).
    """
    name, value, op = cond.subject, cond.value, cond.op
    if op == "is_true":
        return lambda case: case.get(name) == YES
    if op == "is_false":
        return lambda case: case.get(name) == NO
    if op == "includes":
        key = item_key(name, str(value))
        return lambda case: case.get(key) == YES
    if op == "in":
        values = frozenset(value)
        return lambda case: name in case and case[name] in values
    if op == "eq":
        return lambda case: name in case and case[name] == value
    if op == "ne":
        return lambda case: name in case and case[name] != value
    if op == "gte":
        return lambda case: name in case and case[name] >= value
    if op == "gt":
        return lambda case: name in case and case[name] > value
    if op == "lte":
        return lambda case: name in case and case[name] <= value
    if op == "lt":
        return lambda case: name in case and case[name] < value
    raise CompileError(f"not a fact condition: {cond.text}")



def fact_keys(cond: Condition) -> tuple[str, ...]:
    """Which encoded-case keys a fact condition reads."""
    if cond.op == "includes":
        return (item_key(cond.subject, str(cond.value)),)
    return (cond.subject,)
