"""The durable-rules engine, behind every shield its C core needs.

This is the only module that imports durable-rules. What it guards against
(each seen in experiments with durable-rules 2.0.28):

* sessions are looked up by a 32-bit hash of the sid, so two live sessions can
  share facts: one evaluation at a time per process (``_PROCESS_LOCK``) and one
  session per engine, emptied after every evaluation by retracting what went in
  (a new session costs 8 KB of set-up per node of the network: most of the run
  on a large catalogue); after a failure it is deleted and the next sid is fresh;
* a catalogue past the C core's limits (tests under a node, properties of a
  fact, the matching stack) gets the case in shards: see ``shards.py``;
* every Host starts timer threads that run pending actions on other threads:
  ``_QuietHost`` never starts them;
* rulesets load lazily and that first use is not thread-safe: they are
  registered eagerly when the engine is built, under the lock;
* ``delete_state`` after a session where no action ran can segfault, and a fact
  no rule consumes raises: a lowest-priority catch-all rule always fires;
* the stock action loop swallows what an action raises into the state: ours
  abandons the action and re-raises, so the run fails loudly;
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
from contextlib import contextmanager
from typing import Any, Iterator

import orjson

from decision_core.engine.compiler import CompiledRules, Stratum2Input
from decision_core.engine.protocol import EngineError
from decision_core.engine.shards import SHARD_KEY, ShardPlan, case_tests, distinct_case_tests, plan_shards, rule_groups  # noqa: F401 (re-exported)

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
    """What our actions need of durable-rules' Closure: assert_fact. The stock
    Closure also copies the state, wraps every message in Content objects, reads
    the clock twice and keeps a lease we never renew."""

    __slots__ = ("_ruleset",)

    def __init__(self, ruleset):
        self._ruleset = ruleset

    def assert_fact(self, fact: dict) -> None:
        # the stock Ruleset.assert_fact's C call and result handling, with orjson's encoding
        ruleset = self._ruleset
        ruleset._handle_result(_dr.durable_rules_engine.assert_fact(ruleset._handle, orjson.dumps(fact).decode()), fact)


class _LeanRuleset(_dr.Ruleset):
    """durable-rules' Ruleset, driven by a leaner loop.

    The same C calls in the same order as the stock ``Host.assert_fact`` and
    ``_flush_actions`` (assert, start the state's first action, then complete
    each action and start the next), less Python glue per firing: our actions
    are plain synchronous functions that never change the session state, so the
    state is not parsed, the per-action ``update_state`` round trip (a JSON dump
    and a C call) and the Promise/timer machinery are skipped, and only the rule
    name is read from each action message. A failing action abandons the action
    and raises, never swallowed.
    """

    _lean: dict

    def run_assert(self, facts: dict | list[dict]) -> None:
        """Assert one fact or a list of facts and run every action they trigger."""
        engine = _dr.durable_rules_engine
        if isinstance(facts, list):
            result = engine.assert_facts(self._handle, orjson.dumps(facts).decode())
        else:
            result = engine.assert_fact(self._handle, orjson.dumps(facts).decode())
        state_handle = self._handle_result(result, facts)  # raises when no rule consumes the fact
        started = engine.start_action_for_state(self._handle, state_handle)
        if started:
            self._flush(started[1], state_handle)

    def run_retract(self, facts: list[dict]) -> None:
        """Retract facts asserted before; the session must be left with nothing to do."""
        engine = _dr.durable_rules_engine
        state_handle = self._handle_result(engine.retract_facts(self._handle, orjson.dumps(facts).decode()),
                                           facts)
        if engine.start_action_for_state(self._handle, state_handle):
            raise EngineError("durable-rules started an action on retraction")

    def _flush(self, message: str, state_handle) -> None:
        engine, handle, actions, closure = _dr.durable_rules_engine, self._handle, self._lean, _LeanClosure(self)
        while message:
            # A message is '{"g12":{...matched facts...}}' and our rule names are plain
            # identifiers: the name is between the first two quotes.
            action = actions.get(message[2:message.find('"', 2)])
            if action is None:  # not a name we gave: read it the slow way
                action = actions[next(iter(json.loads(message)))]
            try:
                action(closure)
                message = engine.complete_and_start_action(handle, state_handle)
            except BaseException:
                engine.abandon_action(handle, state_handle)
                raise


class _Run:
    """What the actions of one evaluation record. Only touched under the lock."""

    __slots__ = ("sid", "fired1", "fired2", "findings")

    def __init__(self, sid: str):
        self.sid = sid
        self.fired1: list[str] = []  # stratum-1 rules, in firing order
        # Stratum-2 rules: a rule that reads only facts fires on the case already, in stratum 1.
        self.fired2: list[str] = []
        self.findings: set[str] = set()


_current: _Run | None = None


def _element_for_case(conds, shard: int | None) -> dict:
    tests: list[dict] = [{"t": "case"}] + ([] if shard is None else [{SHARD_KEY: shard}])
    for c in conds:
        tests.extend(case_tests(c))
    return {"$and": tests}


def translate(compiled: CompiledRules, groups: list[tuple] | None = None,
              plan: ShardPlan | None = None) -> dict[str, dict[str, Any]]:
    """Compiled rules -> one durable-rules ruleset definition (without actions);
    engine rule ``g{k}`` is group ``k`` of ``groups`` (default: :func:`rule_groups`),
    reading the case from the shard ``plan`` gives it (default: :func:`plan_shards`)."""
    groups = rule_groups(compiled) if groups is None else groups
    plan = plan_shards(compiled, groups) if plan is None else plan
    rank = compiled.level_rank
    definition: dict[str, dict[str, Any]] = {}
    for index, group in enumerate(groups):
        rule = group[0]
        elements: list[dict] = []
        if rule.fact_conditions:
            elements.append({"c": _element_for_case(rule.fact_conditions, plan.shard_of.get(index))})
        triage: list[dict] = []  # one triage fact: every condition on the level tests it together
        for j, cond in enumerate(c for c in rule.when if not c.on_fact):
            if cond.op == "finding":
                test = {"$and": [{"t": "finding"}, {"id": cond.subject}]}
            elif cond.op == "cause":
                test = {"$and": [{"t": "conclusion"}, {"cause": cond.subject}]}
            elif cond.op == "triage_at_least":
                triage.append({"$gte": {"rank": rank[cond.subject]}})
                continue
            else:
                triage.append({"$lt": {"rank": rank[cond.subject]}})
                continue
            elements.append({f"d{j}": test})
        if triage:
            elements.append({"tr": {"$and": [{"t": "triage"}, *triage]}})
        definition[f"g{index}"] = {"all": elements}
    # consumes every case fact (one per shard), so none is left unhandled
    definition["catch_all"] = {"all": [{"c": {"t": "case"}}], "pri": CATCH_ALL_PRIORITY}
    return definition


class DurableEngine:
    name = "durable"

    def __init__(self, compiled: CompiledRules):
        self.compiled = compiled
        # A fact that no rule's test matches raises MessageNotHandledException: the
        # triage fact is asserted only for the ranks some condition can accept.
        self._triage_ranks_read = _triage_ranks_read(compiled)
        self._sid = f"e{next(_SIDS)}"
        groups = rule_groups(compiled)
        self.plan = plan_shards(compiled, groups)  # no shards unless the catalogue passes a C-core limit
        definition = translate(compiled, groups, self.plan)
        for index, group in enumerate(groups):
            definition[f"g{index}"]["run"] = self._action(group)
        definition["catch_all"]["run"] = _catch_all
        with _PROCESS_LOCK:
            self.ruleset = f"dc{next(_RULESET_NAMES)}_{compiled.catalogue.fingerprint()}"
            actions = {name: rule["run"] for name, rule in definition.items()}
            self.host = _QuietHost({self.ruleset: definition})
            # Loaded now, under the lock: lazy first use is not thread-safe.
            loaded = self.host.get_ruleset(self.ruleset)
            loaded.__class__ = _LeanRuleset
            loaded._lean = actions
            self._ruleset: _LeanRuleset = loaded
        if self.plan.sharded:
            log.info("durable-rules: the case goes as %d facts, %s distinct tests each (engine/shards.py)",
                     len(self.plan.shard_keys), "/".join(map(str, self.plan.shard_tests)))

    def _action(self, group):
        """Record the group's rules as fired; assert the findings they conclude (once)."""
        ids1 = tuple(r.id for r in group if r.stratum == 1)
        ids2 = tuple(r.id for r in group if r.stratum == 2)
        findings = tuple(r.then.target for r in group
                         if r.then.kind == "finding" and r.then.target in self.compiled.used_findings)
        # What it raises ends the run (our action loop abandons the action and re-raises).
        def action(c):
            run = _current
            if run is None:  # a stray dispatch outside an evaluation: never act on it
                return
            run.fired1.extend(ids1)
            run.fired2.extend(ids2)
            for finding in findings:
                if finding not in run.findings:
                    run.findings.add(finding)
                    c.assert_fact({"t": "finding", "id": finding, "sid": run.sid})

        return action

    @contextmanager
    def session(self, case: dict) -> Iterator["_DurableSession"]:
        """The engine's one durable-rules session, under the process lock for as long as the ``with`` lasts;
        emptied after it by retracting what went in, or replaced by a fresh one when anything failed."""
        global _current
        with _PROCESS_LOCK:
            # One session per engine, emptied after each run by retracting what went in: a
            # session costs memory set up for every node of the network (8 KB each), which a
            # large catalogue pays on every evaluation when the session is new each time.
            sid = self._sid
            session = _DurableSession(self, _Run(sid), case)
            _current = session.run
            clean = False
            try:
                yield session
                session.empty()
                clean = True
            finally:
                _current = None
                if not clean:  # start the next run on a fresh session
                    self._sid = f"e{next(_SIDS)}"
                    try:
                        self._ruleset.delete_state(sid)
                    except Exception as exc:  # no session was created (the post failed)
                        log.debug("no durable-rules state to delete for %s: %s", sid, exc)


class _DurableSession:
    """One evaluation's two strata on the engine's session (the lock is held by ``DurableEngine.session``)."""

    def __init__(self, engine: DurableEngine, run: _Run, case: dict):
        self.engine, self.run, self.case = engine, run, case
        self.asserted: list[dict] = []

    def run_stratum1(self) -> list[str]:
        engine, sid = self.engine, self.run.sid
        with _engine_failures():
            if engine.plan.sharded:
                facts = [_parseable(f, sid=sid) for f in engine.plan.case_facts(self.case)]
                self.asserted += facts
                engine._ruleset.run_assert(facts)
            else:
                fact = _parseable(self.case, t="case", sid=sid)
                self.asserted.append(fact)
                engine._ruleset.run_assert(fact)
        return list(self.run.fired1)

    def run_stratum2(self, inputs: Stratum2Input) -> list[str]:
        engine, sid = self.engine, self.run.sid
        facts = [{"t": "conclusion", "cause": c, "sid": sid} for c in sorted(inputs.causes & engine.compiled.used_causes)]
        if inputs.triage_rank in engine._triage_ranks_read:
            facts.append({"t": "triage", "rank": inputs.triage_rank, "sid": sid})
        if facts:
            self.asserted += facts
            with _engine_failures():
                engine._ruleset.run_assert(facts)
        # stratum-2 rules that read only facts fired on the case already, in stratum 1
        return list(self.run.fired2)

    def empty(self) -> None:
        """Retract all that went in, findings included, so the session is ready for the next case."""
        went_in = self.asserted + [{"t": "finding", "id": f, "sid": self.run.sid} for f in self.run.findings]
        if went_in:
            with _engine_failures():
                self.engine._ruleset.run_retract(went_in)


@contextmanager
def _engine_failures() -> Iterator[None]:
    """What durable-rules (or an action) raises ends the evaluation as an EngineError."""
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"durable-rules failed: {type(exc).__name__}: {exc}") from exc


def _triage_ranks_read(compiled: CompiledRules) -> frozenset[int]:
    """The triage ranks some stratum-2 rule accepts: a rule's conditions on the level hold together."""
    ranks = set()
    levels = compiled.level_rank
    for rule in compiled.stratum2:
        accepted = None
        for c in rule.when:
            if c.op == "triage_at_least":
                these = {r for r in levels.values() if r >= levels[c.subject]}
            elif c.op == "triage_below":
                these = {r for r in levels.values() if r < levels[c.subject]}
            else:
                continue
            accepted = these if accepted is None else accepted & these
        ranks.update(accepted or ())
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
