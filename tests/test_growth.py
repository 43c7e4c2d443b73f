"""Growth past durable-rules' limits (issue 12 §6): a catalogue ten times the
built-in one, written by scripts/make_synthetic_plugin.py and loaded as an
installed plugin, runs on the durable engine with the case split into shards
(engine/shards.py), and gives the plain engine's results. Timing is
benchmarks/growth_bench.py's business, not a test's."""
from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from decision_core.catalogue.loading import load_catalogue
from decision_core.engine.compiler import MAX_TESTS_PER_RULESET_NODE
from decision_core.evaluation.evaluator import Evaluator
from decision_core.testing import random_facts

from catalogue_support import mini_with_many_thresholds
from plugin_support import load_with

REPO = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("make_synthetic_plugin", REPO / "scripts" / "make_synthetic_plugin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ten_times(tmp_path_factory, builtin_catalogue):
    """The built-in catalogue plus the generated plugin, loaded the way installed plugins are."""
    out = tmp_path_factory.mktemp("synthetic")
    _generator().write_scaled_plugin(out, 10)
    core = load_with("synthetic_growth", folder=out)
    info = core.plugin("synthetic_growth")
    assert info is not None and info.status == "ok", info
    return core.catalogue


def test_the_synthetic_catalogue_is_ten_times_the_builtin_one(ten_times, builtin_catalogue):
    assert len(ten_times.rules) == 10 * len(builtin_catalogue.rules)
    assert len(ten_times.facts) == 10 * len(builtin_catalogue.facts)


def test_ten_times_the_catalogue_runs_sharded_and_agrees_with_the_plain_engine(ten_times):
    durable, plain = Evaluator(ten_times, "durable"), Evaluator(ten_times, "plain")
    plan = durable.engine.plan
    # one fact could not carry it (448 keys; 1,400 tests): the case goes as several
    assert plan.sharded and len(plan.shard_keys) > 2
    assert max(plan.shard_tests) <= MAX_TESTS_PER_RULESET_NODE
    rng = random.Random(12)
    cases = [random_facts(ten_times, rng, known=known, red_flag_known=0.1) for known in (0.1, 0.4, 0.9) * 25]
    differ, fired = [], []
    for i, facts in enumerate(cases):
        result = durable.evaluate(facts)
        fired.append(len(result.fired_rules))
        if result.comparable() != plain.evaluate(facts).comparable():
            differ.append(i)
    assert not differ, f"{len(differ)} of {len(cases)} cases differ, e.g. {cases[differ[0]]}"
    assert max(fired) > 300  # cases that fire rules across many shards, findings chained inside them


def test_hundreds_of_thresholds_on_one_fact_all_passing_at_once(tmp_path):
    # a value that passes 505 tests at once: durable-rules' matching stack holds 64 nodes
    folder = tmp_path / "mini"
    mini_with_many_thresholds(folder)
    catalogue = load_catalogue([(folder, "test")])
    durable, plain = Evaluator(catalogue, "durable"), Evaluator(catalogue, "plain")
    assert durable.engine.plan.sharded
    for sitting in (0, 0.5, 2.5, 5.04, 5.05, 12, 24):
        result = durable.evaluate({"sitting": sitting, "cramp": True})
        assert result.comparable() == plain.evaluate({"sitting": sitting, "cramp": True}).comparable()
    assert sum(r.startswith("many.") for r in result.fired_rules) == MAX_TESTS_PER_RULESET_NODE + 5
