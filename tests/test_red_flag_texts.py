"""What people read about red flags (issue 19 §3): the CDS card, the CLI summary, the interview's status,
in English and Spanish; and the lint checks of the red-flag levels."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from decision_core.adapters.http.cards import build_card, summary
from decision_core.interview.adaptive import next_question
from decision_core.i18n.translations import get_translator, translate_result
from decision_core.interview.flow import Interview
from decision_core.lint.linter import lint_paths
from decision_core.cli.summary import summarise

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "decision_core.cli.main"]
DESK = {"age": 38, "activity_level": "sedentary", "sitting_hours_per_day": 10, "uses_standing_desk": False,
        "tightness_side": "both", "onset": "gradual", "pain_level": 2, "sharp_pain": False,
        "glute_bridge_hamstring_cramp": True}  # the public worked case desk-worker-sleepy-glutes
# every red flag of the built-in triage answered "no" (and the onset gradual)
NO_RED_FLAGS = {"bladder_or_bowel_changes": False, "calf_swelling_redness": False, "fever_or_unwell": False,
                "leg_weakness": False, "onset": "gradual", "onset_during_sprint_or_kick": False,
                "popping_sensation": False, "bruising": False}


@pytest.fixture(scope="module")
def ev(builtin_evaluators):
    return builtin_evaluators["plain"]


def card(ev, facts):
    result = ev.evaluate(facts)
    shown = ev.catalogue.shown_level(result.triage.level).presentation
    return result, build_card(result, {}, {"label": "L"}, None, shown, ev.catalogue)


def test_the_desk_workers_card_names_its_red_flags_and_asks_for_action(ev):
    result, c = card(ev, DESK)
    assert len(result.open_safety_questions) == 15 and len(result.open_red_flags) == 9
    assert c["summary"] == ("Hamstring tightness: Self-care at home, once 9 red flags are ruled out; "
                            "likely Underactive glutes and Sitting too much")
    assert c["indicator"] == "warning"  # something to act on: rule the red flags out before the patient starts
    detail = c["detail"]
    emergency = detail.index("**If any of these is true, do not start: call your local emergency number now.**")
    clinic = detail.index("**If any of these is true, do not start: call your physiotherapist or doctor today.**")
    causes = detail.index("**Likely causes**")
    assert emergency < clinic < causes
    assert "- Is one of your calves swollen, warm, red or tender to touch? (`calf_swelling_redness`)" in \
        detail[emergency:clinic]
    assert "- Does it hurt to walk? (`pain_when_walking`)" in detail[clinic:causes]
    assert "Safety questions still open" not in detail
    practitioner = detail.split("**Questions for the assessment (not red flags)**")[1]
    assert "- Does the pain wake you at night, or get worse when you rest at night? (`night_pain`)" in practitioner
    assert "night" not in detail[:causes]


def test_a_card_with_every_red_flag_ruled_out_is_informational(ev):
    result, c = card(ev, {**DESK, **NO_RED_FLAGS})
    assert result.open_red_flags == [] and result.open_assessment_questions  # not confirmed, yet nothing urgent open
    assert c["indicator"] == "info"
    assert c["summary"] == "Hamstring tightness: Self-care at home; likely Underactive glutes and Sitting too much"
    assert "do not start" not in c["detail"]


def test_few_red_flags_are_named_in_the_card_summary(ev):
    one = {**DESK, **NO_RED_FLAGS}
    del one["calf_swelling_redness"]
    assert summary(ev.evaluate(one), ev.catalogue) == (
        "Hamstring tightness: Self-care at home, once this red flag is ruled out: Swollen, red or warm calf")
    del one["leg_weakness"]
    assert summary(ev.evaluate(one), ev.catalogue).endswith(
        "once these red flags are ruled out: Swollen, red or warm calf; Leg weakness")


def test_the_almost_nothing_known_card_counts_its_red_flags(ev):
    result = ev.evaluate({"tightness_side": "left"})
    assert summary(result, ev.catalogue) == (
        f"Hamstring tightness: Self-care at home, once {len(result.open_red_flags)} red flags are ruled out; "
        "no single cause stands out yet")


def test_an_urgent_card_counts_the_red_flags_still_open_before_its_reason(ev):
    result, c = card(ev, {"onset": "sudden", "popping_sensation": True})
    assert result.triage.level == "urgent" and len(result.open_red_flags) == 2
    assert c["summary"].startswith("Hamstring tightness, SEE A DOCTOR OR PHYSIOTHERAPIST WITHIN DAYS (2 red flags "
                                   "open): It started suddenly")
    assert c["indicator"] == "critical" and len(c["summary"]) < 140


def test_the_cli_summary_lists_the_red_flags_as_a_checklist(ev):
    text = summarise(ev.evaluate(DESK), ev.catalogue)
    head = text.split("\n\n")[0].splitlines()
    assert head[1:5] == [
        "  If any of these is true, do not start: call your local emergency number now.",
        "    [ ] Have you had any new problems controlling your bladder or bowels, or numbness between your legs or "
        "around your bottom?",
        "    [ ] Is one of your calves swollen, warm, red or tender to touch?",
        "  If any of these is true, do not start: call your physiotherapist or doctor today.",
    ]
    assert head[-1] == "  To rule them out, also answer: Where it hurts"
    assert sum(line.startswith("    [ ] ") for line in head) == 8
    practitioner = text.split("Questions for the assessment (not red flags):\n")[1]
    assert "  ? Have you lost weight recently without trying?  [unexplained_weight_loss]" in practitioner
    assert "Safety questions still open" not in text


def test_on_hold_the_red_flags_say_whom_to_call_and_nothing_about_starting(ev):
    """Urgent: there is no programme to start, so the checklist only says whom to call."""
    sprinter = {"onset": "sudden", "onset_during_sprint_or_kick": True, "popping_sensation": True, "pain_level": 6}
    result = ev.evaluate(sprinter)
    assert result.programme_on_hold and result.open_red_flags
    text = summarise(result, ev.catalogue)
    assert "  If any of these is true: call your local emergency number now." in text.splitlines()
    assert "do not start" not in text
    es = get_translator("es")
    spanish = summarise(translate_result(result, es), ev.catalogue, es.gettext)
    assert "Si alguna de estas cosas le ocurre: llame ahora al número de emergencias de su zona." in spanish


def test_the_cli_summary_in_spanish(ev):
    es = get_translator("es")
    text = summarise(translate_result(ev.evaluate(DESK), es), ev.catalogue, es.gettext)
    assert "  Si alguna de estas cosas le ocurre, no empiece: llame ahora al número de emergencias de su zona." in text
    assert "\n  Para descartarlas, responda también: " in text
    assert "Preguntas para la valoración (no son señales de alarma):" in text


def test_the_next_question_status_says_not_yet_known_until_the_red_flags_are_answered(ev):
    interview = Interview(ev)
    qr, _ = next_question({"resourceType": "QuestionnaireResponse", "status": "in-progress"}, interview)
    texts = {i["linkId"]: i["text"] for i in qr["contained"][-1]["item"] if i["linkId"].startswith("interview-")}
    assert texts["interview-triage"] == "Triage: not yet known until the red flags are answered."
    es = get_translator("es")
    qr, _ = next_question({"resourceType": "QuestionnaireResponse", "status": "in-progress"}, interview, es)
    texts = {i["linkId"]: i["text"] for i in qr["contained"][-1]["item"] if i["linkId"].startswith("interview-")}
    assert texts["interview-triage"] == "Triaje: aún no se sabe hasta que se respondan las señales de alarma."


def test_the_interview_command_says_the_triage_is_not_yet_known():
    out = subprocess.run(CLI + ["interview"], input="quit\n", text=True, capture_output=True, timeout=120,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert "\nTriage: not yet known until the red flags are answered.\n" in out.stdout


# ------------------------------------------------------------------ lint


def _mini_with(tmp_path, old: str, new: str) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", folder)
    triage = folder / "triage.yaml"
    text = triage.read_text()
    assert old in text
    triage.write_text(text.replace(old, new))
    return folder


def _codes(folder: Path) -> list[str]:
    return [i.code for i in lint_paths([folder]).issues]


def test_lint_the_red_flag_levels(tmp_path):
    assert not {"red_flag_level_order", "red_flag_without_contact", "no_red_flag_level"} & set(
        _codes(REPO / "tests" / "fixtures" / "mini"))
    # a red-flag level below one that is not
    folder = _mini_with(tmp_path / "a", "advice: Emergency care now., red_flag: true, contact: emergency,",
                        "advice: Emergency care now.,")
    assert "red_flag_level_order" in _codes(folder)
    # a red-flag level with nobody to call
    folder = _mini_with(tmp_path / "b", "red_flag: true, contact: clinic,", "red_flag: true,")
    assert "red_flag_without_contact" in _codes(folder)
    # none declared: a warning
    folder = _mini_with(tmp_path / "c", "red_flag: true, contact: clinic,", "")
    folder.joinpath("triage.yaml").write_text(folder.joinpath("triage.yaml").read_text().replace(
        "red_flag: true, contact: emergency,", ""))
    issues = {i.code: i.severity for i in lint_paths([folder]).issues}
    assert issues.get("no_red_flag_level") == "warning"


def test_the_cli_json_carries_the_split(tmp_path):
    case = tmp_path / "desk.json"
    case.write_text(json.dumps(DESK))
    out = subprocess.run(CLI + ["evaluate", "--json", str(case)], capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout)
    assert [q["fact"] for q in result["open_red_flags"]][:2] == ["bladder_or_bowel_changes", "calf_swelling_redness"]
    assert len(result["open_red_flags"]) + len(result["open_assessment_questions"]) == len(
        result["open_safety_questions"])
