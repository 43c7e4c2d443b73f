"""Shared fixtures: the mini fixture catalogue, the built-in catalogue, their
evaluators (one per engine, built once), a hypothesis strategy of valid facts
and a helper that finds facts satisfying a rule."""
from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import strategies as st

from decision_core.catalogue.loading import load_builtin_catalogue, load_catalogue
from decision_core.engine.engines import durable_unavailable
from decision_core.evaluation.evaluator import Evaluator
from decision_core.testing import random_facts

REPO_ROOT = Path(__file__).resolve().parent.parent
MINI_DIR = REPO_ROOT / "tests" / "fixtures" / "mini"
SHARED_DIR = REPO_ROOT.parent / "shared"
ENGINES = ("durable", "plain")
# Words a free list may hold: the ones rules ask about are added per catalogue.
EXTRA_WORDS = ("running", "sprinting", "Running", "football", "cycling", "yoga", "chess")


@pytest.fixture(scope="session")
def mini_catalogue():
    return load_catalogue([(MINI_DIR, "mini")])


@pytest.fixture(scope="session")
def mini_evaluators(mini_catalogue):
    return {name: Evaluator(mini_catalogue, name) for name in ENGINES}


@pytest.fixture(scope="session")
def builtin_catalogue():
    return load_builtin_catalogue()


@pytest.fixture(scope="session")
def builtin_evaluators(builtin_catalogue):
    return {name: Evaluator(builtin_catalogue, name) for name in ENGINES}


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole session (Playwright allows one sync driver per thread)."""
    from browser_support import launch_chromium

    manager, browser = launch_chromium()
    try:
        yield browser
    finally:
        browser.close()
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED_DIR.is_dir():
        pytest.skip(f"the shared folder {SHARED_DIR} (spec, vignettes, tools) is not next to the repository")
    return SHARED_DIR


def list_words(catalogue, fact_name: str) -> list[str]:
    """Words for a free-list fact: every word a rule asks about plus a few others."""
    asked = {str(c.value) for r in catalogue.rules for c in r.fact_conditions
             if c.subject == fact_name and c.op == "includes"}
    return sorted(asked) + [w for w in EXTRA_WORDS if w not in asked]


def fact_value_strategy(catalogue, fact):
    """Valid values of one fact (never None)."""
    if fact.type == "bool":
        return st.booleans()
    if fact.type in ("int", "number"):
        lo = fact.min if fact.min is not None else 0
        hi = fact.max if fact.max is not None else lo + 200
        ints = st.integers(math.ceil(lo), math.floor(hi))
        if fact.type == "int":
            return ints
        return ints | st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if fact.type == "choice":
        return st.sampled_from(fact.values)
    if fact.type == "choices":
        return st.lists(st.sampled_from(fact.values), unique=True, max_size=min(len(fact.values), fact.max_items))
    return st.lists(st.sampled_from(list_words(catalogue, fact.name)), max_size=min(4, fact.max_items))


def facts_strategy(catalogue, null_rate: bool = True):
    """Any valid facts of a catalogue: each fact absent, null (unknown) or a valid value."""
    optional = {}
    for name, fact in catalogue.facts.items():
        value = fact_value_strategy(catalogue, fact)
        optional[name] = (value | st.none()) if null_rate else value
    return st.fixed_dictionaries({}, optional=optional)


@pytest.fixture(scope="session")
def valid_facts():
    """``valid_facts(catalogue)`` -> a hypothesis strategy of valid facts (draw it with st.data())."""
    return facts_strategy


# ------------------------------------------------------------ satisfying a rule


def _number_in(fact, conds):
    """A number satisfying every comparison in conds, within the fact's range (None if impossible)."""
    step = 1 if fact.type == "int" else 0.5
    lo = fact.min if fact.min is not None else 0
    hi = fact.max if fact.max is not None else 10_000
    equal = None
    excluded = set()
    for c in conds:
        if c.op == "gte":
            lo = max(lo, c.value)
        elif c.op == "gt":
            lo = max(lo, c.value + step)
        elif c.op == "lte":
            hi = min(hi, c.value)
        elif c.op == "lt":
            hi = min(hi, c.value - step)
        elif c.op == "eq":
            equal = c.value
        elif c.op == "in":
            equal = c.value[0]
        elif c.op == "ne":
            excluded.add(c.value)
    candidates = [equal] if equal is not None else [lo, hi, (lo + hi) / 2]
    for v in candidates:
        if fact.type == "int":
            v = math.ceil(v)
        if lo <= v <= hi and v not in excluded:
            return v
    return None


def _choice_for(fact, conds):
    allowed = list(fact.values)
    for c in conds:
        if c.op == "eq":
            allowed = [v for v in allowed if v == c.value]
        elif c.op == "ne":
            allowed = [v for v in allowed if v != c.value]
        elif c.op == "in":
            allowed = [v for v in allowed if v in c.value]
    return allowed[0] if allowed else None


def satisfying_facts(catalogue, rule, _seen=()):
    """The fewest facts that make ``rule`` fire on its own (findings it reads included), or None.

    Recommendation and avoid rules read concluded causes and triage: only their fact conditions are met.
    """
    by_fact: dict[str, list] = {}
    for c in rule.fact_conditions:
        by_fact.setdefault(c.subject, []).append(c)
    facts: dict = {}
    for name, conds in by_fact.items():
        fact = catalogue.facts[name]
        if fact.type == "bool":
            wanted = {c.op == "is_true" for c in conds}
            if len(wanted) > 1:
                return None
            facts[name] = wanted.pop()
        elif fact.type in ("int", "number"):
            facts[name] = _number_in(fact, conds)
        elif fact.type == "choice":
            facts[name] = _choice_for(fact, conds)
        else:
            facts[name] = sorted({str(c.value) for c in conds})
        if facts[name] is None:
            return None
    for c in rule.when:
        if c.op != "finding":
            continue
        producers = [r for r in catalogue.rules if r.then.kind == "finding" and r.then.target == c.subject
                     and r.id not in _seen]
        for producer in producers:
            more = satisfying_facts(catalogue, producer, _seen + (rule.id,))
            if more is not None and all(facts.get(k, v) == v for k, v in more.items()):
                facts.update(more)
                break
        else:
            return None
    return facts


@pytest.fixture(scope="session")
def satisfy():
    """``satisfy(catalogue, rule)`` -> minimal facts that fire the rule, or None."""
    return satisfying_facts


def _generated_cases(catalogue, count: int, seed: int, invalid_every: int = 20) -> list[dict]:
    """Deterministic, varied cases: each fact known with probability 1/2; with
    ``invalid_every`` n, one case in n has a wrong value (case index 7 mod n)."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        facts = random_facts(catalogue, rng, words=EXTRA_WORDS)
        if invalid_every and i % invalid_every == 7:
            facts[rng.choice(sorted(catalogue.facts))] = "not valid here"
        cases.append(facts)
    return cases


@pytest.fixture(scope="session")
def generated_cases():
    """``generated_cases(catalogue, count, seed, invalid_every=20)`` -> deterministic varied cases."""
    return _generated_cases


# --------------------------------------------- Python 3.13+: no durable-rules

_DURABLE_MISSING = durable_unavailable()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Where durable-rules cannot run (Python 3.13 and newer: it is not installed), a test
    that needs the durable engine is skipped, saying why; everything else runs on plain."""
    outcome = yield
    report = outcome.get_result()
    if _DURABLE_MISSING and report.failed and call.excinfo is not None and _needs_durable(call.excinfo.value):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0,
                           f"Skipped: needs the durable engine, which cannot run here ({_DURABLE_MISSING})")


def _needs_durable(exc: BaseException | None) -> bool:
    """It failed for want of durable-rules: that ImportError, or its message relayed (a server or a
    pytest run in a subprocess that could not start the durable engine)."""
    while exc is not None:
        if isinstance(exc, ImportError) and "durable" in str(exc) or _DURABLE_MISSING in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# The record (decision_core.record) is on by default under `serve`: servers the tests start keep it in a
# throw-away folder, never in the user's own data folder.
import os as _os  # noqa: E402
import tempfile as _tempfile  # noqa: E402

_os.environ["XDG_DATA_HOME"] = _tempfile.mkdtemp(prefix="decision-core-test-data-")
