"""Every worked case of ../shared/vignettes/public.json, safety.json and
changes.json (the contract changes of 2026-12-05), on both engines, with the expectations of ../shared/tools/check_vignettes.py; and that
checker itself, run against the installed ``decision-core evaluate --batch -``."""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
PUBLIC = SHARED / "vignettes" / "public.json"
SAFETY = SHARED / "vignettes" / "safety.json"
CHANGES = SHARED / "vignettes" / "changes.json"
CHECKER = SHARED / "tools" / "check_vignettes.py"


def _cases(path=PUBLIC):
    if not path.is_file():
        reason = f"{path} is not there: the shared folder must sit next to the repository (../shared)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id=f"{path.name}-missing")]
    return [pytest.param(case, id=case["id"]) for case in json.loads(path.read_text(encoding="utf-8"))["cases"]]


def _ids(items):
    return [i.get("id") if isinstance(i, dict) else i for i in (items or [])]


def failed_expectations(expect: dict, result: dict) -> list[str]:
    """The expectations of check_vignettes.py, one message per failed one."""
    errors = []
    level = result["triage"]["level"]
    if "triage" in expect and level != expect["triage"]:
        errors.append(f"triage {level!r} != {expect['triage']!r}")
    causes = _ids(result["causes"])
    if "causes_top" in expect:
        top = causes[:len(expect["causes_top"]) + 1]
        missing = [c for c in expect["causes_top"] if c not in top]
        if missing:
            errors.append(f"causes {missing} not in the top {len(top)} of {causes}")
    errors += [f"cause {c} listed but should not be" for c in expect.get("causes_absent", []) if c in causes]
    recs = _ids(result["recommendations"])
    errors += [f"recommendation {r} missing (got {recs})" for r in expect.get("recommend", []) if r not in recs]
    errors += [f"recommendation {r} present" for r in expect.get("not_recommend", []) if r in recs]
    avoid = _ids(result["avoid"])
    errors += [f"avoid {a} missing (got {avoid})" for a in expect.get("avoid", []) if a not in avoid]
    if expect.get("no_exercises"):
        exercises = [r["id"] for r in result["recommendations"] if r["kind"] == "exercise"]
        if exercises:
            errors.append(f"exercises recommended at {level}: {exercises}")
    if "next_questions_any" in expect:
        first = [q["fact"] for q in result["next_questions"]][:3]
        if not set(first) & set(expect["next_questions_any"]):
            errors.append(f"first next_questions {first} share nothing with {expect['next_questions_any']}")
    return errors


@pytest.mark.parametrize("engine", ["durable", "plain"])
@pytest.mark.parametrize("case", _cases(PUBLIC) + _cases(SAFETY) + _cases(CHANGES))
def test_worked_case(case, engine, builtin_evaluators):
    result = builtin_evaluators[engine].evaluate(case["facts"]).to_dict()
    assert failed_expectations(case["expect"], result) == []
    # every listed cause and red flag is explained, with sources
    for cause in result["causes"]:
        assert cause["evidence"] and cause["sources"]
    for reason in result["triage"]["reasons"]:
        assert reason["facts"] and reason["sources"]


def test_the_expectations_can_fail():
    # the reimplemented check is not vacuous: a result that breaks each kind of expectation fails it
    expect = {"triage": "urgent", "causes_top": ["acute_strain"], "causes_absent": ["overloading"],
              "recommend": ["relative_rest_ice_compression"], "not_recommend": ["squat"],
              "avoid": ["high_intensity_running"], "no_exercises": True, "next_questions_any": ["sharp_pain"]}
    bad = {"triage": {"level": "self_care"}, "causes": [{"id": "overloading"}, {"id": "quad_dominance"},
                                                        {"id": "acute_strain"}],
           "recommendations": [{"id": "squat", "kind": "exercise"}], "avoid": [],
           "next_questions": [{"fact": "age"}, {"fact": "onset"}, {"fact": "pain_level"}, {"fact": "sharp_pain"}]}
    assert len(failed_expectations(expect, bad)) == 8


def _installed_command() -> str:
    script = Path(sys.executable).parent / "decision-core"
    found = str(script) if script.exists() else shutil.which("decision-core")
    if not found:
        pytest.fail("the decision-core command is not installed (pip install -e .)")
    return found


@pytest.mark.parametrize("engine", ["durable", "plain"])
@pytest.mark.parametrize("vignettes", [PUBLIC, SAFETY, CHANGES], ids=["public", "safety", "changes"])
def test_check_vignettes_passes_against_the_installed_command(shared_dir, builtin_catalogue, vignettes, engine):
    if not CHECKER.is_file() or not vignettes.is_file():
        pytest.skip(f"{CHECKER} or {vignettes} is not there")
    command = f"{shlex.quote(_installed_command())} evaluate --engine {engine} --batch -"
    done = subprocess.run([sys.executable, str(CHECKER), str(vignettes), "--cmd", command],
                          capture_output=True, text=True, timeout=300)
    cases = len(json.loads(vignettes.read_text(encoding="utf-8"))["cases"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"{cases} passed, 0 failed"
