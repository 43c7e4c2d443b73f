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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from . import yaml_text
from .ruleset_schema import flatten_messages

SCENARIO_SUFFIXES = (".scenarios.yaml", ".scenarios.yml")
ENGINE_OPTION = "--decision-core-engine"


class ScenarioFileError(ValueError):
    """A scenario file that cannot be read; the message names the file, scenario and field."""


class ScenarioFailure(AssertionError):
    """A scenario whose result does not meet its expectations."""

    def __init__(self, scenario: "Scenario", failures: list[str], engine: str | None = None):
        self.scenario, self.failures, self.engine = scenario, failures, engine
        super().__init__(self.describe())

    def describe(self) -> str:
        sc = self.scenario
        engine = f" [{self.engine}]" if self.engine else ""
        lines = [f"scenario '{sc.name}' ({sc.location}){engine} failed:"]
        lines += [f"  - {f}" for f in self.failures]
        lines.append(f"  given: {sc.given}")
        return "\n".join(lines)


# --------------------------------------------------------------- file format


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _ids():
    return fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)


class _PresentAbsent(_Strict):
    present = _ids()
    absent = _ids()


class _Causes(_PresentAbsent):
    top = fields.String()
    exactly = fields.List(fields.String(), allow_none=False)


class _Recommendations(_PresentAbsent):
    withheld = _ids()


class _Triage(fields.Field):
    """``LEVEL``, or a mapping with ``at_least`` and/or ``below``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return {"is": value}
        if isinstance(value, dict) and value and set(value) <= {"at_least", "below"} \
                and all(isinstance(v, str) for v in value.values()):
            return dict(value)
        raise ValidationError("triage is a level id, or a mapping with at_least and/or below")


class _Expect(_Strict):
    triage = _Triage()
    causes = fields.Nested(_Causes)
    recommendations = fields.Nested(_Recommendations)
    avoid = fields.Nested(_PresentAbsent)
    next_questions = fields.Nested(_PresentAbsent)
    invalid_facts = fields.List(fields.String(), validate=validate.Length(min=1))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("expect at least one thing (triage, causes, recommendations, avoid, "
                                  "next_questions or invalid_facts)")
        if "invalid_facts" in data and len(data) > 1:
            raise ValidationError("invalid_facts expects the facts to be rejected: nothing else can be "
                                  "expected of that scenario", "invalid_facts")


class _Scenario(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String()
    given = fields.Dict(keys=fields.String(), required=True)
    expect = fields.Nested(_Expect, required=True)


@dataclass(frozen=True, eq=False)  # hashed by identity: two scenarios may expect the same
class Scenario:
    name: str
    given: dict[str, Any]
    expect: dict[str, Any]
    file: str
    line: int

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


def load_scenarios(path: Path | str) -> list[Scenario]:
    """Read and validate one scenario file; raise ScenarioFileError naming file, scenario and field."""
    path = Path(path)
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml_text.safe_load(text)
        node = yaml.compose(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(f"{name}: cannot read file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioFileError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or set(raw) - {"scenarios", "description"} or \
            not isinstance(raw.get("scenarios"), list) or not raw["scenarios"]:
        raise ScenarioFileError(f"{name}: a scenario file is a mapping with a non-empty 'scenarios:' list "
                                "(and an optional description)")
    lines = _item_lines(node)
    problems, scenarios, seen = [], [], set()
    for index, item in enumerate(raw["scenarios"]):
        label = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else f"#{index + 1}"
        line = lines[index] if index < len(lines) else 1
        if not isinstance(item, dict):
            problems.append(f"{name}:{line}, scenario {label}: a scenario is a mapping with name, given and expect")
            continue
        try:
            data = _Scenario().load(item)
        except ValidationError as exc:
            problems += [f"{name}:{line}, scenario '{label}', field {fld}: {msg}"
                         for fld, msg in flatten_messages(exc.messages)]
            continue
        if data["name"] in seen:
            problems.append(f"{name}:{line}, scenario '{label}': two scenarios have this name")
            continue
        seen.add(data["name"])
        scenarios.append(Scenario(data["name"], data["given"], data["expect"], name, line))
    if problems:
        raise ScenarioFileError("\n".join(problems))
    return scenarios


def _item_lines(node) -> list[int]:
    """The line of each item of the top-level 'scenarios' list."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "scenarios" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _display(path: Path) -> str:
    from .catalogue import _display as display

    return display(path)


def scenario_files(*paths: Path | str) -> list[Path]:
    """Every ``*.scenarios.yaml`` file in these files or folders (searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SCENARIO_SUFFIXES))
        elif p.is_file():
            found.append(p)
    return found


# ----------------------------------------------------------------- checking


def run_scenario(scenario: Scenario, evaluator=None) -> list[str]:
    """Evaluate the scenario's facts and check its expectations; the failures (empty: it passed).

    ``evaluator`` defaults to the installed catalogue's (``decision_core.get_evaluator()``).
    """
    from .intake import InvalidFacts

    if evaluator is None:
        from . import get_evaluator

        evaluator = get_evaluator()
    failures = _unknown_ids(scenario.expect, evaluator.catalogue)
    if failures:
        return failures
    expect = scenario.expect
    try:
        result = evaluator.evaluate(scenario.given).to_dict()
    except InvalidFacts as exc:
        if "invalid_facts" not in expect:
            return ["the facts were rejected: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.errors.items()))]
        missing = [f for f in expect["invalid_facts"] if f not in exc.errors]
        if missing:
            return [f"expected fields {', '.join(missing)} to be rejected; the errors were: "
                    + "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.errors.items()))]
        return []
    if "invalid_facts" in expect:
        return [f"expected the facts to be rejected (fields {', '.join(expect['invalid_facts'])}); they were accepted"]
    return check_result(scenario, result, evaluator.catalogue)


def assert_scenario(scenario: Scenario, evaluator=None) -> None:
    """Raise :class:`ScenarioFailure` (an AssertionError) listing every unmet expectation."""
    failures = run_scenario(scenario, evaluator)
    if failures:
        raise ScenarioFailure(scenario, failures, getattr(evaluator, "engine_name", None))


def _unknown_ids(expect: dict, catalogue) -> list[str]:
    known = {
        "causes": set(catalogue.causes),
        "recommendations": set(catalogue.recommendations),
        "avoid": set(catalogue.avoid),
        "next_questions": set(catalogue.facts),
    }
    out = []
    for section, ids in known.items():
        for key, value in (expect.get(section) or {}).items():
            for item in [value] if isinstance(value, str) else value:
                if item not in ids:
                    out.append(f"expect.{section}.{key}: '{item}' is not in the catalogue under test "
                               f"({_what(section)}); misspelled, or its plugin not installed or not enabled?")
    levels = {lv.id for lv in catalogue.levels}
    for key, level in (expect.get("triage") or {}).items():
        if level not in levels:
            out.append(f"expect.triage: '{level}' is not a triage level ({', '.join(lv.id for lv in catalogue.levels)})")
    for name in expect.get("invalid_facts", ()):
        if name not in catalogue.facts and not name.startswith("_"):
            out.append(f"expect.invalid_facts: '{name}' is not a fact of the catalogue under test")
    return out


def _what(section: str) -> str:
    return {"causes": "cause ids", "recommendations": "recommendation ids", "avoid": "avoid ids",
            "next_questions": "fact names"}[section]


def check_result(scenario: Scenario, result: dict, catalogue) -> list[str]:
    """The scenario's unmet expectations on one result dictionary (``Result.to_dict()``)."""
    expect = scenario.expect
    failures: list[str] = []
    rank = {lv.id: lv.rank for lv in catalogue.levels}
    level = result["triage"]["level"]
    triage = expect.get("triage") or {}
    why_triage = "; ".join(f"{r['because']} [{r['rule']}]" for r in result["triage"]["reasons"]) or "no triage rule fired"
    if "is" in triage and level != triage["is"]:
        failures.append(f"expected triage {triage['is']}, got {level} ({why_triage})")
    if "at_least" in triage and rank[level] < rank[triage["at_least"]]:
        failures.append(f"expected triage at least {triage['at_least']}, got {level} ({why_triage})")
    if "below" in triage and rank[level] >= rank[triage["below"]]:
        failures.append(f"expected triage below {triage['below']}, got {level} ({why_triage})")

    causes = [c["id"] for c in result["causes"]]
    listed = ", ".join(f"{c['id']} ({c['score']:g})" for c in result["causes"]) or "none"
    want = expect.get("causes") or {}
    if "top" in want and (not causes or causes[0] != want["top"]):
        failures.append(f"expected top cause {want['top']}, got: {listed}")
    if "exactly" in want and causes != want["exactly"]:
        failures.append(f"expected exactly the causes {want['exactly'] or 'none'}, got: {listed}")
    for cid in want.get("present", ()):
        if cid not in causes:
            failures.append(f"expected cause {cid} to be listed, got: {listed}")
    for cid in want.get("absent", ()):
        if cid in causes:
            evidence = next(c for c in result["causes"] if c["id"] == cid)["evidence"]
            failures.append(f"expected cause {cid} not to be listed; it was, because: "
                            + "; ".join(f"{e['because']} [{e['rule']}]" for e in evidence))

    recs = {r["id"] for r in result["recommendations"]}
    withheld = {w["id"]: w["reason"] for w in result["withheld"]}
    want = expect.get("recommendations") or {}
    for rid in want.get("present", ()):
        if rid not in recs:
            why = f"it was withheld: {withheld[rid]}" if rid in withheld else "no rule recommended it"
            failures.append(f"expected recommendation {rid}; {why}")
    for rid in want.get("absent", ()):
        if rid in recs:
            failures.append(f"expected no recommendation {rid}; it was recommended for "
                            + (", ".join(next(r for r in result["recommendations"] if r["id"] == rid)["for_causes"])
                               or "the triage level"))
    for rid in want.get("withheld", ()):
        if rid not in withheld:
            failures.append(f"expected {rid} to be withheld; it was "
                            + ("recommended" if rid in recs else "not recommended at all"))

    avoid = {a["id"] for a in result["avoid"]}
    want = expect.get("avoid") or {}
    failures += [f"expected avoid item {a}; no rule raised it" for a in want.get("present", ()) if a not in avoid]
    failures += [f"expected no avoid item {a}; it was raised" for a in want.get("absent", ()) if a in avoid]

    asked = [q["fact"] for q in result["next_questions"]]
    want = expect.get("next_questions") or {}
    failures += [f"expected {f} among the next questions, got: {', '.join(asked) or 'none'}"
                 for f in want.get("present", ()) if f not in asked]
    failures += [f"expected {f} not among the next questions; it was asked" for f in want.get("absent", ())
                 if f in asked]
    return failures


def run_scenario_files(paths: Iterable[Path | str], evaluator=None) -> dict[Scenario, list[str]]:
    """Run every scenario in these files or folders: {scenario: failures}."""
    return {sc: run_scenario(sc, evaluator) for f in scenario_files(*paths) for sc in load_scenarios(f)}


# ------------------------------------------------- installing without pip


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


def fake_distribution(directory: Path | str, name: str, target: str | None = None, *,
                      distribution: str | None = None, version: str = "1.0.0") -> Path:
    """Write ``<distribution>-<version>.dist-info`` with an entry point ``name = target`` in group
    ``decision_core`` into ``directory``. With ``directory`` on ``sys.path`` (or ``PYTHONPATH``),
    ``importlib.metadata`` -- and so decision-core -- sees the plugin as installed."""
    from .plugin_manager import ENTRY_POINT_GROUP

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
    holding the plugin's package, is put on ``sys.path`` too. The registry is reset on entry and
    exit, and modules imported from the plugin are forgotten on exit, so the next test starts clean.
    """
    from . import reset

    top = (target or name).split(":")[0].split(".")[0]
    before = set(sys.modules)
    with tempfile.TemporaryDirectory(prefix="dc-plugin-") as tmp:
        info = fake_distribution(tmp, name, target, distribution=distribution, version=version)
        added = [tmp] + ([str(Path(source_dir).resolve())] if source_dir else [])
        sys.path[:0] = added
        importlib.invalidate_caches()
        reset()
        try:
            yield info
        finally:
            for entry in added:
                if entry in sys.path:
                    sys.path.remove(entry)
            for module in set(sys.modules) - before:
                if module == top or module.startswith(top + "."):
                    del sys.modules[module]
            importlib.invalidate_caches()
            reset()


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
            from . import get_evaluator
            from .engines import durable_unavailable

            if self.engine == "durable" and durable_unavailable():  # Python 3.13+: durable-rules is not there
                pytest.skip(f"the durable engine cannot run here: {durable_unavailable()}")
            evaluator = get_evaluator(self.engine)
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
