"""Splitting the case into several facts ("shards") so that a large catalogue
stays within the limits of durable-rules' C core.

The limits (durable-rules 2.0.28, src/rules/rete.c and events.c), all per fact
or per node of the matching network, none per catalogue:

* a node's children are a 512-bucket hash table: past 512 distinct tests under
  one node it loops for ever (we allow ``MAX_TESTS_PER_RULESET_NODE``);
* a fact has at most 254 properties (we allow ``MAX_CASE_PROPERTIES``);
* matching one fact walks the nodes depth-first on a stack of 64: a fact that
  matches more nodes at once fails with error 303 (we allow ``MAX_MATCHED_NODES``,
  bounded per shard by ``_Shard.with_group``).

So a catalogue past them keeps one ruleset (several rulesets would each pay
for their own session and could not chain findings between them), but its
rules' tests on the case hang under several nodes: the case is asserted as one fact per shard, ``{"t":
"case", "s": k, ...the keys shard k's rules read}``, and each rule's case
tests start with ``s == k``. Every rule still reads its fact conditions from
one fact, findings and stratum 2 are untouched, all shard facts go in one call,
so results are the plain engine's (the engine-agreement tests check it). A
catalogue within the limits has no shards: the whole case is one fact, as before.

This module does not import durable-rules: lint and the plugin loader plan on
any Python.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

from decision_core.engine.compiler import MAX_CASE_PROPERTIES, MAX_TESTS_PER_RULESET_NODE, NO, YES, CompiledRules, fact_keys, item_key

MAX_MATCHED_NODES = 56  # the C core's matching stack holds 64 nodes; the rest is the path down to the shard
MAX_SHARD_KEYS = MAX_CASE_PROPERTIES - 3  # a shard fact also carries t, s and sid
MAX_ENGINE_RULES = 4000  # the C core refuses a ruleset of more than 4096 actions (rules)
SHARD_KEY = "s"


class ShardError(ValueError):
    """One rule alone passes a limit: no split helps."""


def case_tests(c) -> list[dict]:
    """The durable-rules tests on the case for one fact condition (the semantics of compiler.fact_test)."""
    op, name, value = c.op, c.subject, c.value
    if op == "is_true":
        return [{name: YES}]
    if op == "is_false":
        return [{name: NO}]
    if op == "includes":
        return [{item_key(name, str(value)): YES}]
    if op == "eq":
        return [{name: value}]
    if op == "ne":
        return [{"$ex": {name: 1}}, {"$neq": {name: value}}]
    if op == "in":
        return [{"$or": [{name: v} for v in value]}]
    if op in ("gte", "gt", "lte", "lt"):
        return [{f"${op}": {name: value}}]
    raise ValueError(f"cannot translate condition {c.text!r}")


def rule_groups(compiled: CompiledRules) -> list[tuple]:
    """Rules with the same conditions, grouped: each group is one engine rule.

    One firing then stands for every rule of the group (a cause's three
    recommendations, a fact that both raises the triage and adds an avoid
    item), and each firing costs a round trip between the C core and Python.
    """
    groups: dict[tuple, list] = {}
    for rule in compiled.rules:
        key = tuple(sorted((c.op, c.subject, repr(c.value)) for c in rule.when))
        groups.setdefault(key, []).append(rule)
    return [tuple(g) for g in groups.values()]


def _ids(tests: list[dict]) -> list[str]:
    return [json.dumps(t, sort_keys=True) for t in tests]


def distinct_case_tests(compiled: CompiledRules) -> int:
    """How many distinct tests the whole catalogue makes on the case (all under one node, unsharded)."""
    return len({i for r in compiled.rules for c in r.fact_conditions for i in _ids(case_tests(c))})


# ------------------------------------------------------------ matched-node bound


def _holds(test: dict, value) -> bool:
    """Whether a durable-rules test on one key holds for ``value`` (``_OTHER``: a value no test names)."""
    (op, arg), = test.items()
    if op == "$or":
        return any(_holds(t, value) for t in arg)
    if op == "$ex":
        return True
    if not op.startswith("$"):
        return value == arg
    (_, bound), = arg.items()
    if op == "$neq":
        return value != bound
    if value is _OTHER or isinstance(value, str) != isinstance(bound, str):
        return False
    return {"$gte": value >= bound, "$gt": value > bound, "$lte": value <= bound, "$lt": value < bound}[op]


_OTHER = object()


def _key_of(test: dict) -> str:
    (op, arg), = test.items()
    if op == "$or":
        return _key_of(arg[0])
    return next(iter(arg)) if op.startswith("$") else op


@lru_cache(maxsize=None)
def _parsed(test_id: str) -> tuple[dict, tuple]:
    """A test and the values of its key worth trying: its constants and either side of each number."""
    test = json.loads(test_id)
    values: list = []
    for leaf in (test["$or"] if "$or" in test else [test]):
        (op, arg), = leaf.items()
        constant = next(iter(arg.values())) if op.startswith("$") else arg
        values.append(constant)
        if isinstance(constant, (int, float)) and not isinstance(constant, bool):
            values += [math.nextafter(constant, -math.inf), math.nextafter(constant, math.inf)]
    return test, tuple(values)


def _counts_with(tests: tuple[str, ...], counts: dict, child: str) -> dict:
    """For each value worth trying, how many of ``tests`` + ``child`` (siblings on one key) it passes,
    from ``counts``, the same for ``tests`` alone: linear, where counting afresh is quadratic."""
    test, values = _parsed(child)
    grown = {v: n + _holds(test, v) for v, n in counts.items()}
    for v in values:
        if v not in grown:
            grown[v] = sum(_holds(_parsed(t)[0], v) for t in tests) + _holds(test, v)
    return grown


@dataclass
class _Shard:
    """The matching network under one shard's node: a tree of tests, with the bound of its stack.

    A node is its path of test ids. Siblings on different keys match independently,
    so the most children of a node one fact matches is at most the sum, over their
    keys, of the most one value passes (``matched``).
    """

    keys: set[str] = field(default_factory=set)
    tests: set[str] = field(default_factory=set)
    children: dict[tuple, set[str]] = field(default_factory=dict)  # node -> its child tests
    # node -> key -> (its child tests on the key, value -> how many of them the value passes)
    by_key: dict[tuple, dict[str, tuple[tuple[str, ...], dict]]] = field(default_factory=dict)
    matched: dict[tuple, int] = field(default_factory=dict)  # node -> most children one fact matches
    peak: dict[tuple, int] = field(default_factory=dict)  # node -> most stack slots matching below it takes

    def cost(self, path: tuple, keys: set[str]) -> int:
        """How many nodes and keys a group would add."""
        new = sum(1 for d in range(len(path)) if path[d] not in self.children.get(path[:d], ()))
        return new + len(keys - self.keys)

    def with_group(self, path: tuple, keys: set[str]) -> dict | None:
        """What changes on a group's path with it added, or None past a limit: per node,
        (matched children, peak, the key of the new child and its counts, or None).

        Depth-first matching pushes every matched child of a node, then works
        through the last one's subtree while its siblings wait on the stack: a
        node's peak is (its matched children) + (the largest child's peak - 1).
        """
        if len(self.keys | keys) > MAX_SHARD_KEYS:
            return None
        grown: dict = {}
        below = 0
        for d in range(len(path), -1, -1):
            node = path[:d]
            kids = self.children.get(node, set())
            matched = self.matched.get(node, 0)
            others, new_child = kids, None
            if d < len(path):
                child = path[d]
                others = kids - {child}
                if child not in kids:
                    if len(kids) + 1 > MAX_TESTS_PER_RULESET_NODE:
                        return None
                    key = _key_of(_parsed(child)[0])
                    same, counts = self.by_key.get(node, {}).get(key, ((), {_OTHER: 0}))
                    counts = _counts_with(same, counts, child)
                    matched += max(counts.values()) - (max(self.by_key[node][key][1].values()) if same else 0)
                    new_child = (key, tuple(sorted(same + (child,))), counts)
            child_peaks = [self.peak.get(node + (k,), 0) for k in others] + ([below] if d < len(path) else [])
            peak = matched + max(0, max(child_peaks, default=0) - 1)
            if node and "$or" in _parsed(node[-1])[0]:
                peak = max(peak, 1)  # a matched branch then pushes the node joining the branches
            grown[node] = (matched, peak, new_child)
            below = peak
        return grown if below <= MAX_MATCHED_NODES else None

    def add(self, path: tuple, keys: set[str], grown: dict) -> None:
        for node, (matched, peak, new_child) in grown.items():
            self.matched[node] = matched
            self.peak[node] = peak
            if new_child is not None:
                key, tests, counts = new_child
                self.children.setdefault(node, set()).add(path[len(node)])
                self.by_key.setdefault(node, {})[key] = (tests, counts)
        self.tests |= set(path)
        self.keys |= keys


# ------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class ShardPlan:
    """Which shard each engine rule reads the case from; no shards: the whole case is one fact."""

    shard_keys: tuple[tuple[str, ...], ...]  # per shard, the case keys its fact carries
    shard_of: dict[int, int]  # group index -> shard, for every group with a condition on a fact
    shard_tests: tuple[int, ...] = ()  # per shard, distinct tests under its node

    @property
    def sharded(self) -> bool:
        return bool(self.shard_keys)

    def case_facts(self, case: dict) -> list[dict]:
        """The case as the facts to assert (without sid). A shard none of whose keys is known
        is left out: every test on the case needs its key present, so none of its rules could fire."""
        if not self.shard_keys:
            return [dict(case, t="case")]
        facts = []
        for k, keys in enumerate(self.shard_keys):
            known = {key: case[key] for key in keys if key in case}
            if known:
                facts.append({"t": "case", SHARD_KEY: k, **known})
        # at least one: the catch-all rule then always fires, which keeps deleting the session safe
        return facts or [{"t": "case", SHARD_KEY: 0}]


def _fits_one_fact(compiled: CompiledRules, paths: dict[int, tuple], keys: dict[int, set[str]]) -> bool:
    if compiled.case_width + 2 > MAX_CASE_PROPERTIES:  # t and sid
        return False
    whole = _Shard()
    for index in paths:
        grown = whole.with_group(paths[index], keys[index])
        if grown is None:
            return False
        whole.add(paths[index], keys[index], grown)
    return True


def plan_shards(compiled: CompiledRules, groups: list[tuple] | None = None) -> ShardPlan:
    """No shards when the whole case fits one fact; else the fewest shards this greedy packing finds.

    Each rule group goes to the shard it adds the fewest new keys and tests to,
    so rules on the same facts (one cause's) share a shard and each fact stays narrow.
    """
    groups = rule_groups(compiled) if groups is None else groups
    if len(groups) + 1 > MAX_ENGINE_RULES:
        raise ShardError(f"{len(groups)} distinct rule conditions; one durable-rules ruleset takes at most "
                         f"{MAX_ENGINE_RULES} rules (it refuses past 4096)")
    paths: dict[int, tuple] = {}  # group index -> its tests on the case, in order: a path down the network
    keys: dict[int, set[str]] = {}
    for index, group in enumerate(groups):
        conds = group[0].fact_conditions
        if conds:
            paths[index] = tuple(_ids([t for c in conds for t in case_tests(c)]))
            keys[index] = {k for c in conds for k in fact_keys(c)}
    if _fits_one_fact(compiled, paths, keys):
        return ShardPlan((), {})
    shards: list[_Shard] = [_Shard()]  # at least one: the case is too wide for one fact
    shard_of: dict[int, int] = {}
    for index in paths:
        best = None
        # cheapest first (the limits are dearer to check): the first that fits is the best
        for number in sorted(range(len(shards)), key=lambda n: shards[n].cost(paths[index], keys[index])):
            grown = shards[number].with_group(paths[index], keys[index])
            if grown is not None:
                best = (number, grown)
                break
        if best is None:
            fresh = _Shard()
            grown = fresh.with_group(paths[index], keys[index])
            if grown is None:
                rule = groups[index][0]
                raise ShardError(f"rule {rule.id}: its conditions alone pass a durable-rules limit")
            shards.append(fresh)
            best = (len(shards) - 1, grown)
        number, grown = best
        shards[number].add(paths[index], keys[index], grown)
        shard_of[index] = number
    return ShardPlan(tuple(tuple(sorted(s.keys)) for s in shards), shard_of, tuple(len(s.tests) for s in shards))
