"""decision_core.testing: scenario files are validated, run, and explain their
failures; pytest collects them (the pytest11 entry point); the example plugin's
own scenarios pass through it with both engines."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from decision_core.engine.engines import durable_unavailable
from decision_core.testing import (
    ScenarioFailure,
    ScenarioFileError,
    assert_scenario,
    fake_distribution,
    load_scenarios,
    run_scenario,
    run_scenario_files,
    scenario_files,
)

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "plugins" / "hamstring-strength-deficit"


def write(tmp_path: Path, text: str, name: str = "mini.scenarios.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD = """\
    description: Scenarios for the mini catalogue.
    scenarios:
      - name: cramp and long sitting
        given: {cramp: true, sitting: 8}
        expect:
          triage: self_care
          causes:
            top: glutes_cause
            present: [sitting_cause]
            exactly: [glutes_cause, sitting_cause]
          recommendations:
            present: [bridge, squat, desk]
            absent: [assess]
            withheld: [stretch]
          avoid:
            present: [hard_stretch]

      - name: a red flag
        given: {red: true, sitting: 8}
        expect:
          triage: {at_least: urgent}
          causes: {exactly: [sitting_cause]}
          recommendations:
            present: [assess]
            withheld: [bridge]
          next_questions:  # the programme is held here: nothing about a cause is worth asking
            absent: [red, cramp]
            present: []

      - name: a string where a number belongs
        given: {sitting: "8"}
        expect:
          invalid_facts: [sitting]
    """


@pytest.mark.parametrize("engine", ["plain", "durable"])
def test_scenarios_pass_on_the_mini_catalogue(tmp_path, mini_evaluators, engine):
    scenarios = load_scenarios(write(tmp_path, GOOD))
    assert [(s.name, s.line) for s in scenarios] == [
        ("cramp and long sitting", 3), ("a red flag", 18), ("a string where a number belongs", 30)]
    for sc in scenarios:
        assert run_scenario(sc, mini_evaluators[engine]) == [], sc.name


def test_failures_say_what_was_expected_what_came_and_why(tmp_path, mini_evaluators):
    path = write(tmp_path, """\
        scenarios:
          - name: wrong on every count
            given: {cramp: true, sitting: 8, places: [c]}
            expect:
              triage: self_care
              causes:
                top: sitting_cause
                absent: [sitting_cause]
              recommendations:
                present: [squat, assess]
                absent: [bridge]
                withheld: [desk]
              avoid:
                absent: [hard_stretch]
              next_questions:
                present: [cramp]
        """)
    [sc] = load_scenarios(path)
    failures = run_scenario(sc, mini_evaluators["plain"])
    assert failures == [
        "expected triage self_care, got see_professional (Pain at c. [mini_triage.place_c])",
        "expected top cause sitting_cause, got: glutes_cause (4), sitting_cause (3)",
        "expected cause sitting_cause not to be listed; it was, because: Sitting six hours or more. [sitting.long]",
        "expected recommendation squat; it was withheld: withheld by the safety policy: "
        "Only gentle work until assessed.",
        "expected no recommendation bridge; it was recommended for glutes_cause, sitting_cause",
        "expected desk to be withheld; it was recommended",
        "expected no avoid item hard_stretch; it was raised",
        "expected cramp among the next questions, got: red, sports, mood",
    ]
    with pytest.raises(ScenarioFailure) as exc:
        assert_scenario(sc, mini_evaluators["plain"])
    text = str(exc.value)
    assert text.startswith(f"scenario 'wrong on every count' ({sc.file}:2) [plain] failed:")
    assert "given: {'cramp': True, 'sitting': 8, 'places': ['c']}" in text


def test_misspelled_ids_fail_instead_of_passing_silently(tmp_path, mini_evaluators):
    [sc] = load_scenarios(write(tmp_path, """\
        scenarios:
          - name: typos
            given: {cramp: true}
            expect:
              triage: selfcare
              causes: {absent: [glutes_caus]}
              recommendations: {absent: [brigde]}
        """))
    failures = run_scenario(sc, mini_evaluators["plain"])
    assert len(failures) == 3
    assert failures[0].startswith("expect.causes.absent: 'glutes_caus' is not in the catalogue under test")
    assert "'brigde'" in failures[1] and "'selfcare' is not a triage level" in failures[2]


def test_invalid_facts_expectations(tmp_path, mini_evaluators):
    scenarios = load_scenarios(write(tmp_path, """\
        scenarios:
          - name: accepted but expected to be rejected
            given: {sitting: 8}
            expect: {invalid_facts: [sitting]}
          - name: rejected but not expected to be
            given: {sitting: 99}
            expect: {triage: self_care}
        """))
    accepted, rejected = (run_scenario(sc, mini_evaluators["plain"]) for sc in scenarios)
    assert accepted == ["expected the facts to be rejected (fields sitting); they were accepted"]
    assert rejected[0].startswith("the facts were rejected: sitting:")


@pytest.mark.parametrize("text, message", [
    ("scenarios: []\n", "non-empty 'scenarios:' list"),
    ("scenarios:\n  - name: x\n    given: {}\n    expect: {causes: {topp: a}}\n",
     "scenario 'x', field expect.causes.topp: Unknown field."),
    ("scenarios:\n  - name: x\n    expect: {triage: a}\n", "scenario 'x', field given: Missing data"),
    ("scenarios:\n  - name: x\n    given: {}\n    expect: {}\n", "expect at least one thing"),
    ("scenarios:\n  - name: x\n    given: {}\n    expect: {triage: [a]}\n", "triage is a level id"),
    ("scenarios:\n  - name: x\n    given: {}\n    expect: {invalid_facts: [a], triage: b}\n", "nothing else"),
    ("scenarios:\n  - {name: x, given: {}, expect: {triage: a}}\n  - {name: x, given: {}, expect: {triage: a}}\n",
     ":3, scenario 'x': two scenarios have this name"),
    ("scenarios:\n  - [not, a, mapping]\n", "a scenario is a mapping"),
    ("scenarios: [unclosed\n", "not valid YAML"),
])
def test_invalid_scenario_files_name_file_line_scenario_and_field(tmp_path, text, message):
    path = write(tmp_path, text, "bad.scenarios.yaml")
    with pytest.raises(ScenarioFileError) as exc:
        load_scenarios(path)
    assert "bad.scenarios.yaml" in str(exc.value) and message in str(exc.value)


def test_scenario_files_are_found_by_their_suffix(tmp_path, mini_evaluators):
    write(tmp_path, GOOD, "a.scenarios.yaml")
    (tmp_path / "deeper").mkdir()
    write(tmp_path / "deeper", GOOD, "b.scenarios.yml")
    write(tmp_path, "ruleset: not_a_scenario_file\n", "rules.yaml")
    assert [p.name for p in scenario_files(tmp_path)] == ["a.scenarios.yaml", "b.scenarios.yml"]
    results = run_scenario_files([tmp_path], mini_evaluators["durable"])
    assert len(results) == 6 and all(f == [] for f in results.values())


# ------------------------------------------------------------ through pytest


def run_pytest(args: list[str], cwd: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in pythonpath))
    env.pop("DECISION_CORE_PLUGINS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_example_plugin_passes_its_own_scenarios_and_tests_with_both_engines(tmp_path):
    fake_distribution(tmp_path, "hamstring_strength_deficit")
    out = run_pytest(["--decision-core-engine=both", "-v"], PLUGIN, [tmp_path, PLUGIN])
    assert out.returncode == 0, out.stdout + out.stderr
    scenarios = load_scenarios(scenario_files(PLUGIN)[0])
    # where durable-rules cannot run (Python 3.13+), its scenarios are skipped, saying so
    durable = "SKIPPED" if durable_unavailable() else "PASSED"
    for sc in scenarios:
        assert f"{sc.name}[durable] {durable}" in out.stdout
        assert f"{sc.name}[plain] PASSED" in out.stdout
    assert "test_the_rulesets_lint_clean_against_the_installed_core PASSED" in out.stdout


def test_without_the_plugin_its_scenarios_fail_clearly(tmp_path):
    out = run_pytest([], PLUGIN, [PLUGIN])  # the package is importable but not installed
    assert out.returncode == 1
    assert "'hamstring_strength_deficit' is not in the catalogue under test" in out.stdout
    assert "not installed: pip install -e ." in out.stdout


def test_pytest_reports_a_failing_scenario_and_a_broken_file_without_tracebacks(tmp_path):
    write(tmp_path, """\
        scenarios:
          - name: nothing known lists nothing
            given: {}
            expect: {causes: {exactly: []}, triage: emergency}
        """, "core.scenarios.yaml")
    write(tmp_path, "scenarios:\n  - {name: x, given: {}, expect: {nonsense: 1}}\n", "broken.scenarios.yaml")
    out = run_pytest(["-o", "addopts=", "--continue-on-collection-errors"], tmp_path, [])
    assert out.returncode == 1, out.stdout
    assert "scenario 'nothing known lists nothing' (" in out.stdout
    assert "- expected triage emergency, got self_care" in out.stdout
    assert "ERROR collecting broken.scenarios.yaml" in out.stdout
    assert "broken.scenarios.yaml:2, scenario 'x', field expect.nonsense: Unknown field." in out.stdout
    assert "Traceback" not in out.stdout
