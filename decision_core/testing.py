"""Scenario tests for rulesets: GIVEN facts, EXPECT what the result holds.

A ruleset (built-in or a plugin's) ships its own scenario files, named
``*.scenarios.yaml``; keep them outside the folder registered as rulesets
(``scenarios/`` next to ``rulesets/``)::

    scenarios:
      - name: a weak strength test lists weak hamstrings first
        given:                        # the facts, as a client sends them
          hamstring_strength_tested_weak: true
        expect:
          triage: self_care           # or {at_least: LEVEL} / {below: LEVEL}
          causes:
            top: hamstring_strength_deficit     # ranked first
            present: [hamstring_strength_deficit]  # listed, any rank
            absent: [quad_dominance]            # not listed
            # exactly: [a, b]                   # exactly these, in this order ([] = none)
          recommendations:
            present: [hamstring_curl]
            absent: [single_leg_hamstring_curl]
            withheld: []              # recommended by a rule, then withheld by the triage policy
          avoid:
            present: []
            absent: [quad_only_strength_sessions]
          next_questions:
            present: [hamstring_strength_side_difference]   # fact names
            absent: []
      - name: a number out of range is rejected
        given: {age: 300}
        expect:
          invalid_facts: [age]        # the facts must be rejected, naming these fields

Every id an expectation names must exist in the catalogue under test, so a
misspelled ``absent:`` cannot pass by accident.

With ``hamstring-decision-core`` installed, pytest collects ``*.scenarios.yaml``
files by itself (this module is a ``pytest11`` plugin): one test per scenario,
run against the installed catalogue (built-ins and installed plugins, as
``DECISION_CORE_PLUGINS`` allows). ``--decision-core-engine=plain|durable|both``
picks the engine (default: ``$DECISION_CORE_ENGINE``, else durable).

Without pytest: :func:`load_scenarios`, :func:`run_scenario` (a list of
failures, empty when it passes) and :func:`assert_scenario`.

To test a plugin as if installed, without pip: :func:`installed_plugin` (in
process) and :func:`fake_distribution` (for a subprocess, via ``PYTHONPATH``).
"""
from __future__ import annotations

import contextlib
import importlib
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from decision_core.scenarios.checks import ScenarioFailure, assert_scenario, check_result, run_scenario, run_scenario_files
from decision_core.scenarios.files import SCENARIO_SUFFIXES, Scenario, ScenarioFileError, load_scenarios, scenario_files

ENGINE_OPTION = "--decision-core-engine"


# ------------------------------------------------------------ random facts


def random_facts(catalogue, rng, *, known: float = 0.5, red_flag_known: float | None = None,
                 words: Iterable[str] = ()) -> dict[str, Any]:
    """One random, valid set of facts for ``catalogue`` (for fuzzing a ruleset,
    load tests and benchmarks): each fact is known with probability ``known``
    (red flags with ``red_flag_known`` when given); free lists draw from the words
    the rules ask about plus ``words``. Deterministic for a seeded ``rng``."""
    facts: dict[str, Any] = {}
    for name, fact in catalogue.facts.items():
        chance = red_flag_known if (fact.red_flag and red_flag_known is not None) else known
        if rng.random() >= chance:
            continue
        if fact.type == "bool":
            facts[name] = rng.random() < 0.5
        elif fact.type in ("int", "number"):
            lo = fact.min if fact.min is not None else 0
            hi = fact.max if fact.max is not None else lo + 100
            facts[name] = rng.randint(int(lo), int(hi)) if fact.type == "int" else round(rng.uniform(lo, hi), 1)
        elif fact.type == "choice":
            facts[name] = rng.choice(fact.values)
        elif fact.type == "choices":
            facts[name] = sorted(rng.sample(fact.values, rng.randint(0, len(fact.values))))
        else:
            asked = {str(c.value) for r in catalogue.rules for c in r.fact_conditions
                     if c.subject == name and c.op == "includes"}
            pool = sorted(asked | set(words))
            facts[name] = sorted(rng.sample(pool, rng.randint(0, min(3, len(pool)))))
    return facts


# ------------------------------------------------- installing without pip


def fake_distribution(directory: Path | str, name: str, target: str | None = None, *,
                      distribution: str | None = None, version: str = "1.0.0") -> Path:
    """Write ``<distribution>-<version>.dist-info`` with an entry point ``name = target`` in group
    ``decision_core`` into ``directory``. With ``directory`` on ``sys.path`` (or ``PYTHONPATH``),
    ``importlib.metadata`` -- and so decision-core -- sees the plugin as installed."""
    from decision_core.plugins.loading import ENTRY_POINT_GROUP

    distribution = distribution or name.replace("_", "-")
    info = Path(directory) / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {target or name}\n",
                                           encoding="utf-8")
    return info


@contextlib.contextmanager
def installed_plugin(name: str, target: str | None = None, *, source_dir: Path | str | None = None,
                     distribution: str | None = None, version: str = "1.0.0") -> Iterator[Path]:
    """Make a plugin look installed (entry point ``name = target``, default ``name``) for the
    duration of the block, without pip (see :func:`fake_distribution`). ``source_dir``, the folder
    holding the plugin's package, is put on ``sys.path`` too. Within the block the process default
    (``decision_core.evaluate``) is a fresh installation that sees the plugin, and the one before
    comes back after it; modules imported from the plugin are forgotten on exit, so the next test
    starts clean. ``DecisionCore.load()`` within the block builds an installation of one's own.
    """
    from decision_core.installation import fresh_default_core

    top = (target or name).split(":")[0].split(".")[0]
    before = set(sys.modules)
    with tempfile.TemporaryDirectory(prefix="dc-plugin-") as tmp:
        info = fake_distribution(tmp, name, target, distribution=distribution, version=version)
        added = [tmp] + ([str(Path(source_dir).resolve())] if source_dir else [])
        sys.path[:0] = added
        importlib.invalidate_caches()
        try:
            with fresh_default_core():
                yield info
        finally:
            for entry in added:
                if entry in sys.path:
                    sys.path.remove(entry)
            for module in set(sys.modules) - before:
                if module == top or module.startswith(top + "."):
                    del sys.modules[module]
            importlib.invalidate_caches()


# ------------------------------------------------------------ pytest plugin

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed to collect scenario files
    pytest = None


def pytest_addoption(parser):
    group = parser.getgroup("decision_core", "decision-core scenario files (*.scenarios.yaml)")
    group.addoption(ENGINE_OPTION, choices=("durable", "plain", "both"), default=None,
                    help="engine to run scenario files with (default: $DECISION_CORE_ENGINE, else durable)")


def pytest_collect_file(file_path, parent):
    if file_path.name.endswith(SCENARIO_SUFFIXES):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


if pytest is not None:

    _CORE = pytest.StashKey()

    def _session_core(config):
        """The installation scenario items run against: the installed catalogue, loaded once per
        test session (an object of the session's own, apart from the process default)."""
        from decision_core.installation import DecisionCore

        if _CORE not in config.stash:
            config.stash[_CORE] = DecisionCore.load()
        return config.stash[_CORE]

    class ScenarioFile(pytest.File):
        """A ``*.scenarios.yaml`` file: one test per scenario (and engine)."""

        def collect(self):
            try:
                scenarios = load_scenarios(self.path)
            except ScenarioFileError as exc:
                raise self.CollectError(str(exc)) from None
            chosen = self.config.getoption(ENGINE_OPTION)
            engines = ["durable", "plain"] if chosen == "both" else [chosen]
            for sc in scenarios:
                for engine in engines:
                    name = sc.name if len(engines) == 1 else f"{sc.name}[{engine}]"
                    yield ScenarioItem.from_parent(self, name=name, scenario=sc, engine=engine)

    class ScenarioItem(pytest.Item):
        def __init__(self, *, scenario: Scenario, engine: str | None, **kwargs):
            super().__init__(**kwargs)
            self.scenario, self.engine = scenario, engine

        def runtest(self):
            from decision_core.engine.engines import durable_unavailable

            if self.engine == "durable" and durable_unavailable():  # Python 3.13+: durable-rules is not there
                pytest.skip(f"the durable engine cannot run here: {durable_unavailable()}")
            evaluator = _session_core(self.config).evaluator(self.engine)
            failures = run_scenario(self.scenario, evaluator)
            if failures:
                raise ScenarioFailure(self.scenario, failures, evaluator.engine_name)

        def repr_failure(self, excinfo, style=None):
            if isinstance(excinfo.value, ScenarioFailure):
                return excinfo.value.describe()
            return super().repr_failure(excinfo, style=style)

        def reportinfo(self):
            return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"


__all__ = ["Scenario", "ScenarioFailure", "ScenarioFileError", "load_scenarios", "scenario_files",
           "run_scenario", "assert_scenario", "check_result", "run_scenario_files", "installed_plugin",
           "fake_distribution"]
