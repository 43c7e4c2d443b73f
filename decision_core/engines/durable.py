"""The durable-rules engine, behind every shield its C core needs.

This is the only module that imports durable-rules. What it guards against
(each seen in experiments with durable-rules 2.0.28):

* sessions are looked up by a 32-bit hash of the sid, so two live sessions can
  share facts: one evaluation at a time per process (``_PROCESS_LOCK``), fresh
  sids, and the state deleted in ``finally`` on every path;
* every Host starts timer threads that run pending actions on other threads:
  ``_QuietHost`` never starts them;
* rulesets load lazily and that first use is not thread-safe: they are
  registered eagerly when the engine is built, under the lock;
* ``delete_state`` after a session where no action ran can segfault, and a fact
  no rule consumes raises: a lowest-priority catch-all rule always fires;
* actions that raise are swallowed into the state: actions never raise, they
  record; the run fails loudly if anything was recorded or the state carries
  an ``exception``;
* ``True``/lists/numeric strings never match as expected: cases are encoded by
  the compiler (yes/no strings, one key per list item, validated numbers).
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import sys
import threading
from typing import Any

from ..compiler import CompiledRules, MAX_TESTS_PER_RULESET_NODE, Stratum2Input
from . import Between, EngineError, Firings

log = logging.getLogger(__name__)

if not ((3, 11) <= sys.version_info[:2] <= (3, 12)):  # pragma: no cover - depends on interpreter
    raise ImportError(
        "durable-rules 2.0.28 runs on Python 3.11 and 3.12 only (3.13 removed PyEval_CallObject); "
        f"this is Python {sys.version.split()[0]}. Use a supported Python, or set DECISION_CORE_ENGINE=plain."
    )

try:
    from durable import engine as _dr
except ImportError as exc:  # pragma: no cover - depends on installation
    raise ImportError(
        f"durable-rules is not importable ({exc}). It builds from source: it needs gcc and the Python "
        "headers (python3-dev) when installed. Or set DECISION_CORE_ENGINE=plain."
    ) from exc

# durable-rules' C core is process-global: one session live at a time, process-wide.
_PROCESS_LOCK = threading.RLock()
_SIDS = itertools.count(1)
_RULESET_NAMES = itertools.count(1)
CATCH_ALL_PRIORITY = 1_000_000  # larger number = lower priority


class _QuietHost(_dr.Host):
    """A Host without the self-re-arming background dispatch threads."""

    def _run(self):  # noqa: D401 - overriding durable-rules
        self._d_timer = None
        self._t_timer = None


class _LeanClosure:
    """What our actions need of durable-rules' Closure: the session state and
    assert_fact. The stock Closure also wraps every message in Content objects,
    reads the clock twice and keeps a lease we never renew."""

    __slots__ = ("_ruleset", "s")

    def __init__(self, ruleset, state):
        self._ruleset = ruleset
        self.s = state

    def assert_fact(self, fact: dict) -> None:
        self._ruleset.assert_fact(fact)


class _LeanRuleset(_dr.Ruleset):
    """durable-rules' Ruleset with a leaner action loop.

    Same C calls in the same order as the stock ``_flush_actions``, less Python
    glue per firing: our actions are plain synchronous functions that never
    change the session state, so the per-action ``update_state`` round trip
    (a JSON dump and a C call) and the Promise/timer machinery are skipped. A
    failing action abandons the action and ends the run with the error, never
    swallowed.
    """

    def _flush_actions(self, state, result_container, state_offset, complete):
        handle = self._handle
        while "message" in result_container:
            action_name = next(iter(result_container.pop("message")))
            try:
                self._lean[action_name](_LeanClosure(self, state))
                new_result = _dr.durable_rules_engine.complete_and_start_action(handle, state_offset)
            except BaseException as error:
                _dr.durable_rules_engine.abandon_action(handle, state_offset)
                complete(error, None)
                return
            if new_result:
                result_container["message"] = json.loads(new_result)
            else:
                complete(None, state)


class _Run:
    """What the actions of one evaluation record. Only touched under the lock."""

    __slots__ = ("sid", "fired", "findings", "errors")

    def __init__(self, sid: str):
        self.sid = sid
        self.fired: list[str] = []
        self.findings: set[str] = set()
        self.errors: list[str] = []


_current: _Run | None = None


def _element_for_case(conds) -> dict:
    tests: list[dict] = [{"t": "case"}]
    for c in conds:
        tests.extend(_fact_tests(c))
    return {"$and": tests}


def _fact_tests(c) -> list[dict]:
    from ..compiler import NO, YES, item_key

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
    raise EngineError(f"cannot translate condition {c.text!r}")


def translate(compiled: CompiledRules) -> dict[str, dict[str, Any]]:
    """Compiled rules -> one durable-rules ruleset definition (without actions)."""
    rank = compiled.level_rank
    definition: dict[str, dict[str, Any]] = {}
    for index, rule in enumerate(compiled.rules):
        elements: list[dict] = []
        if rule.fact_conditions:
            elements.append({"c": _element_for_case(rule.fact_conditions)})
        for j, cond in enumerate(c for c in rule.when if not c.on_fact):
            if cond.op == "finding":
                test = {"$and": [{"t": "finding"}, {"id": cond.subject}]}
            elif cond.op == "cause":
                test = {"$and": [{"t": "conclusion"}, {"cause": cond.subject}]}
            elif cond.op == "triage_at_least":
                test = {"$and": [{"t": "triage"}, {"$gte": {"rank": rank[cond.subject]}}]}
            else:
                test = {"$and": [{"t": "triage"}, {"$lt": {"rank": rank[cond.subject]}}]}
            elements.append({f"d{j}": test})
        definition[f"r{index}"] = {"all": elements}
    definition["catch_all"] = {"all": [{"c": {"t": "case"}}], "pri": CATCH_ALL_PRIORITY}
    distinct = distinct_case_tests(compiled)
    if distinct > MAX_TESTS_PER_RULESET_NODE:
        raise EngineError(f"{distinct} distinct tests on the case: durable-rules hangs past 512")
    return definition


def distinct_case_tests(compiled: CompiledRules) -> int:
    """How many distinct tests hang under the case node (durable-rules hangs past 512)."""
    import json

    return len({json.dumps(t, sort_keys=True) for r in compiled.rules for c in r.fact_conditions for t in _fact_tests(c)})


class DurableEngine:
    name = "durable"

    def __init__(self, compiled: CompiledRules):
        self.compiled = compiled
        # A fact that no rule's test matches raises MessageNotHandledException: the
        # triage fact is asserted only for the ranks some condition can accept.
        self._triage_ranks_read = _triage_ranks_read(compiled)
        self._stratum2_ids = frozenset(r.id for r in compiled.stratum2)
        definition = translate(compiled)
        for index, rule in enumerate(compiled.rules):
            definition[f"r{index}"]["run"] = self._action(rule)
        definition["catch_all"]["run"] = _catch_all
        with _PROCESS_LOCK:
            self.ruleset = f"dc{next(_RULESET_NAMES)}_{compiled.catalogue.fingerprint()}"
            actions = {name: rule["run"] for name, rule in definition.items()}
            self.host = _QuietHost({self.ruleset: definition})
            # Loaded now, under the lock: lazy first use is not thread-safe.
            loaded = self.host.get_ruleset(self.ruleset)
            loaded.__class__ = _LeanRuleset
            loaded._lean = actions

    def _action(self, rule):
        rule_id = rule.id
        finding = rule.then.target if rule.then.kind == "finding" else None
        assert_finding = finding is not None and finding in self.compiled.used_findings

        def action(c):
            run = _current
            if run is None:  # a stray dispatch outside an evaluation: never act on it
                return
            try:
                run.fired.append(rule_id)
                if assert_finding and finding not in run.findings:
                    run.findings.add(finding)
                    c.assert_fact({"t": "finding", "id": finding, "sid": run.sid})
            except BaseException as exc:  # durable-rules would swallow it
                run.errors.append(f"{rule_id}: {type(exc).__name__}: {exc}")

        return action

    def run(self, case: dict, between: Between) -> Firings:
        global _current
        with _PROCESS_LOCK:
            sid = f"e{next(_SIDS)}"
            run = _Run(sid)
            _current = run
            try:
                state = self.host.assert_fact(self.ruleset, _parseable(case, t="case", sid=sid))
                self._check(run, state)
                # A stratum-2 rule that reads only facts fires on the case already: keep it for stratum 2.
                fired1 = [r for r in run.fired if r not in self._stratum2_ids]
                early2 = [r for r in run.fired if r in self._stratum2_ids]
                inputs: Stratum2Input = between(fired1)
                facts = [{"t": "conclusion", "cause": c, "sid": sid}
                         for c in sorted(inputs.causes & self.compiled.used_causes)]
                if inputs.triage_rank in self._triage_ranks_read:
                    facts.append({"t": "triage", "rank": inputs.triage_rank, "sid": sid})
                run.fired.clear()
                if facts:
                    state = self.host.assert_facts(self.ruleset, facts)
                    self._check(run, state)
                return Firings(fired1, early2 + run.fired)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"durable-rules failed: {type(exc).__name__}: {exc}") from exc
            finally:
                _current = None
                try:
                    self.host.delete_state(self.ruleset, sid)
                except Exception as exc:  # no session was created (the post failed); the next sid is fresh anyway
                    log.debug("no durable-rules state to delete for %s: %s", sid, exc)

    @staticmethod
    def _check(run: _Run, state) -> None:
        if run.errors:
            raise EngineError("; ".join(run.errors))
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"durable-rules action failed: {state['exception']}")


def _triage_ranks_read(compiled: CompiledRules) -> frozenset[int]:
    ranks = set()
    for rule in compiled.stratum2:
        for c in rule.when:
            if c.op == "triage_at_least":
                ranks.update(r for r in compiled.level_rank.values() if r >= compiled.level_rank[c.subject])
            elif c.op == "triage_below":
                ranks.update(r for r in compiled.level_rank.values() if r < compiled.level_rank[c.subject])
    return frozenset(ranks)


def _parseable_float(value: float) -> float | int:
    """A number durable-rules' JSON parser reads as the same number.

    It rejects an exponent without a decimal point ("1e-05", "1e+16", which is how
    Python writes such floats): large ones are whole, so the int is exact; tiny
    ones move away from zero by the fewest ulps that give a mantissa with a point,
    which keeps every comparison with a rule threshold (a threshold written so
    fails to load at all).
    """
    text = repr(value)
    if "e" not in text or "." in text:
        return value
    if value.is_integer():
        return int(value)
    away = math.copysign(math.inf, value)
    while "." not in text:
        value = math.nextafter(value, away)
        text = repr(value)
    return value


def _parseable(case: dict, **extra) -> dict:
    out = {k: _parseable_float(v) if type(v) is float else v for k, v in case.items()}
    out.update(extra)
    return out


def _catch_all(c):
    # Always fires last: keeps delete_state safe and every case fact consumed.
    return None
