"""The ``decision-core`` command line: evaluate FILE|-, --json, --batch, causes,
and its answers to bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from decision_core import get_evaluator
from decision_core.engine.engines import engine_name
from decision_core.cli.main import PROGRESS_MIN_LINES, main

REPO = Path(__file__).resolve().parent.parent
DESK_WORKER = {"age": 38, "activity_level": "sedentary", "sitting_hours_per_day": 10, "uses_standing_desk": False,
               "glute_bridge_hamstring_cramp": True, "pain_level": 2}
SPRINTER = {"onset": "sudden", "onset_during_sprint_or_kick": True, "popping_sensation": True, "bruising": True,
            "pain_level": 7}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(DESK_WORKER), encoding="utf-8")
    return path


def invoke(runner, args, stdin=None):
    return runner.invoke(main, args, input=stdin, catch_exceptions=False)


def test_evaluate_a_file_prints_a_readable_summary(runner, case_file, builtin_catalogue):
    done = invoke(runner, ["evaluate", str(case_file)])
    assert done.exit_code == 0, done.output
    expected = get_evaluator().evaluate(DESK_WORKER)
    assert done.stdout.startswith(f"TRIAGE: {expected.triage.name.upper()}")  # the level's name, not its id
    for cause in expected.causes:
        assert f"{cause.name} [{cause.id}]" in done.stdout
    assert "Programme (for 4 weeks, then a review):" in done.stdout and "not a diagnosis" in done.stdout
    assert not done.stdout.lstrip().startswith("{")


def test_the_summary_shows_the_programme_with_doses_and_the_alternatives_in_one_line(runner, case_file):
    from decision_core.catalogue.dose import dose_text

    out = invoke(runner, ["evaluate", str(case_file)]).stdout
    result = get_evaluator().evaluate(DESK_WORKER)
    names = {r.id: r.name for r in result.recommendations}
    programme = result.programme
    assert programme.phases and programme.alternatives
    for phase in programme.phases:
        assert f"  {phase.name}:" in out
        for item in phase.items:  # every exercise with its dose in words, marked when it is a starting dose
            line = next(ln for ln in out.splitlines() if ln.strip().startswith(f"- {names[item.id]}:"))
            assert dose_text(item.dose_value()) in line
            assert ("starting dose" in line) == item.starting_dose
    listed = [ln for ln in out.splitlines() if ln.startswith("    - ") or ln.startswith("  - ")]
    assert len(listed) == len(programme.chosen_ids)  # the programme, not the whole list
    alternatives = [ln for ln in out.splitlines() if ln.startswith("Alternatives: ")]
    assert len(alternatives) == 1
    for alt in programme.alternatives:
        assert names[alt.id] in alternatives[0]
        assert f"- {names[alt.id]}" not in out


def test_evaluate_json_is_the_full_result(runner, case_file, builtin_catalogue):
    done = invoke(runner, ["evaluate", "--json", str(case_file)])
    assert done.exit_code == 0
    assert json.loads(done.stdout) == json.loads(json.dumps(get_evaluator().evaluate(DESK_WORKER).to_dict()))


def test_evaluate_reads_standard_input(runner, builtin_catalogue):
    for args in (["evaluate", "--json", "-"], ["evaluate", "--json"]):
        done = invoke(runner, args, stdin=json.dumps(SPRINTER))
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["triage"]["level"] == get_evaluator().evaluate(SPRINTER).triage_level


def test_evaluate_with_the_plain_engine(runner, case_file, builtin_catalogue):
    durable = json.loads(invoke(runner, ["evaluate", "--json", str(case_file)]).stdout)
    plain = json.loads(invoke(runner, ["evaluate", "--json", "--engine", "plain", str(case_file)]).stdout)
    assert (durable.pop("engine"), plain.pop("engine")) == (engine_name(), "plain")  # durable but on 3.13+
    assert durable == plain


def test_invalid_facts_exit_2_naming_each_field(runner, builtin_catalogue):
    bad = json.dumps({"age": "forty", "pain_level": 11, "favourite_colour": "blue"})
    done = invoke(runner, ["evaluate", "-"], stdin=bad)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "Invalid facts" in done.stderr
    for name in ("age", "pain_level", "favourite_colour"):
        assert f"  {name}: " in done.stderr
    assert "Traceback" not in done.stderr
    done = invoke(runner, ["evaluate", "--json", "-"], stdin=bad)
    assert done.exit_code == 2
    body = json.loads(done.stdout)
    assert body["error"] == "invalid_facts" and set(body["fields"]) == {"age", "pain_level", "favourite_colour"}


@pytest.mark.parametrize("text, message", [("{not json", "not valid JSON"), ("", "not valid JSON")])
def test_not_json_is_a_clear_error(runner, text, message, builtin_catalogue):
    done = invoke(runner, ["evaluate", "-"], stdin=text)
    assert done.exit_code == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_a_missing_file_is_a_clear_error(runner, tmp_path):
    done = runner.invoke(main, ["evaluate", str(tmp_path / "nope.json")])
    assert done.exit_code == 2 and "nope.json" in done.stderr


# ------------------------------------------------------------------- batches


def test_batch_answers_each_line_in_order_and_survives_bad_lines(runner, tmp_path, builtin_catalogue):
    lines = [json.dumps(DESK_WORKER), "{broken", json.dumps(SPRINTER), "", json.dumps({"age": 200}),
             json.dumps([1, 2]), json.dumps({"sitting_hours_per_day": float("nan")}), json.dumps({})]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = invoke(runner, ["evaluate", "--batch", str(path)])
    assert done.exit_code == 0, done.output
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 7  # the blank line is skipped
    ev = get_evaluator()
    assert out[0] == json.loads(json.dumps(ev.evaluate(DESK_WORKER).to_dict()))
    assert out[1]["error"] == "invalid_json" and out[1]["line"] == 2
    assert out[2]["triage"]["level"] == ev.evaluate(SPRINTER).triage_level == "urgent"
    assert out[3]["error"] == "invalid_facts" and out[3]["line"] == 5 and "age" in out[3]["fields"]
    assert out[4]["error"] == "invalid_facts" and out[4]["line"] == 6
    assert out[5]["error"] == "invalid_facts" and "sitting_hours_per_day" in out[5]["fields"]
    assert out[6]["triage"]["level"] == "self_care" and out[6]["causes"] == []
    assert done.stderr == ""  # short file: no progress bar


def test_batch_from_standard_input(runner, builtin_catalogue):
    cases = [DESK_WORKER, SPRINTER, {"sharp_pain": True}]
    done = invoke(runner, ["evaluate", "--batch", "-"], stdin="".join(json.dumps(c) + "\n" for c in cases))
    assert done.exit_code == 0
    levels = [json.loads(line)["triage"]["level"] for line in done.stdout.splitlines()]
    assert levels == [get_evaluator().evaluate(c).triage_level for c in cases]


def test_a_long_batch_shows_progress_on_stderr_only(runner, tmp_path, builtin_catalogue):
    count = PROGRESS_MIN_LINES + 10
    cases = [{"sitting_hours_per_day": i % 25, "uses_standing_desk": i % 3 == 0} for i in range(count)]
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    done = invoke(runner, ["evaluate", "--batch", str(path)])
    assert done.exit_code == 0
    assert "evaluating" in done.stderr  # the bar (its label, when stderr is not a terminal)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == count
    ev = get_evaluator()
    for i in (0, 7, 300, count - 1):
        assert out[i]["facts"] == ev.validate(cases[i])
        assert out[i]["causes"] == json.loads(json.dumps(ev.evaluate(cases[i]).to_dict()))["causes"]
    assert invoke(runner, ["evaluate", "--batch", "--no-progress", str(path)]).stderr == ""


# ------------------------------------------------------------------- causes


def test_causes_lists_the_catalogue(runner, builtin_catalogue):
    done = invoke(runner, ["causes"])
    assert done.exit_code == 0
    for cause_id in builtin_catalogue.causes:
        assert cause_id in done.stdout
    rows = json.loads(invoke(runner, ["causes", "--json"]).stdout)
    assert {r["id"] for r in rows} >= set(builtin_catalogue.causes)
    glutes = next(r for r in rows if r["id"] == "underactive_glutes")
    assert glutes["rules"] == sum(1 for r in builtin_catalogue.rules
                                  if r.then.kind == "cause" and r.then.target == "underactive_glutes")
    assert glutes["sources"] and glutes["why"]


def test_the_plugin_core_knows_the_command_line_s_own_commands():
    # plugins.registry refuses a plugin command named like one of these without importing the CLI
    from decision_core.plugins.registry import CLI_COMMANDS

    assert set(main.commands) == CLI_COMMANDS


def test_a_command_works_on_the_installation_it_is_given(runner):
    from decision_core.installation import DecisionCore

    core = DecisionCore.load()
    done = runner.invoke(main, ["evaluate", "--json", "--engine", "plain", "-"], input=json.dumps(SPRINTER), obj=core)
    assert done.exit_code == 0 and json.loads(done.output) == json.loads(json.dumps(
        core.evaluator("plain").evaluate(SPRINTER).to_dict()))


# ------------------------------------------------------------------- installed


def test_the_installed_command_in_a_subprocess(builtin_catalogue, tmp_path):
    script = Path(sys.executable).parent / "decision-core"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "decision_core.cli.main"]
    cases = [DESK_WORKER, {"pain_level": "high"}, SPRINTER]
    done = subprocess.run(command + ["evaluate", "--batch", "-"], input="".join(json.dumps(c) + "\n" for c in cases),
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("error") for o in out] == [None, "invalid_facts", None]
    assert out[2]["triage"]["level"] == "urgent" and out[2]["engine"] == engine_name()  # durable but on 3.13+
    bad = subprocess.run(command + ["evaluate", "-"], input='{"sharp_pain": "yes"}', capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode == 2 and "sharp_pain" in bad.stderr and "Traceback" not in bad.stderr
