"""The interview: the intake as a FHIR Questionnaire, reading QuestionnaireResponses, the stopping
rule (decision_core.interview.flow, docs/interview.md), and ``decision-core questionnaire`` / ``interview``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from decision_core.catalogue.loading import RulesetError, parse_ruleset
from decision_core.i18n.translations import get_translator
from decision_core.interview.flow import Interview, Outcome
from decision_core.installation import default_core
from decision_core.interview.questionnaire import QUESTIONNAIRE_URL, build_questionnaire
from decision_core.interview.questionnaire_response import InvalidResponse, facts_to_items, read_response
from decision_core.intake import FACT_CODE_SYSTEM
from decision_core.interview.screen import screen_codes

REPO = Path(__file__).resolve().parent.parent
PUBLIC = REPO.parent / "shared" / "vignettes" / "public.json"
CASES = json.loads(PUBLIC.read_text())["cases"] if PUBLIC.exists() else []
CLI = [sys.executable, "-m", "decision_core.cli.main"]


def validate(model, resource):
    return model.model_validate(resource) if hasattr(model, "model_validate") else model.parse_obj(resource)


@pytest.fixture(scope="module")
def evaluator():
    from decision_core import get_evaluator

    return get_evaluator("plain")


@pytest.fixture(scope="module")
def interview(evaluator):
    return Interview(evaluator)


def items(questionnaire):
    """The fact items, group by group (the red-flag screen before the groups is tested in test_screen.py)."""
    for group in questionnaire["item"]:
        if group["type"] == "group":
            yield from group["item"]


# ---------------------------------------------------------------------- the Questionnaire


@pytest.mark.parametrize("lang", [None, "es"])
def test_the_questionnaire_validates_and_has_one_coded_item_per_fact(lang):
    catalogue = default_core().catalogue
    q = build_questionnaire(catalogue, get_translator(lang))
    validate(Questionnaire, q)
    assert q["url"] == QUESTIONNAIRE_URL and q["status"] == "active"
    by_link = {item["linkId"]: item for item in items(q)}
    assert list(by_link) == [f.name for gid in catalogue.groups for f in catalogue.facts.values() if f.group == gid] + [
        f.name for f in catalogue.facts.values() if f.group not in catalogue.groups]
    for name, item in by_link.items():
        assert item["code"] == [{"system": FACT_CODE_SYSTEM, "code": name, "display": item["code"][0]["display"]}]
    if lang == "es":
        assert by_link["age"]["text"] == "¿Cuántos años tiene?"


def test_groups_enable_when_and_answer_options_come_from_the_catalogue():
    q = build_questionnaire(default_core().catalogue)
    groups = {g["linkId"]: [i["linkId"] for i in g["item"]] for g in q["item"] if g["type"] == "group"}
    assert list(groups)[:6] == ["group-about_you", "group-symptoms", "group-safety", "group-history",
                                "group-training", "group-home_tests"]
    assert "bladder_or_bowel_changes" in groups["group-safety"]
    by_link = {item["linkId"]: item for item in items(q)}
    assert by_link["previous_injury_months_ago"]["enableWhen"] == [
        {"question": "previous_hamstring_injury", "operator": "=", "answerBoolean": True}]
    options = by_link["activity_level"]["answerOption"]
    assert [o["valueCoding"]["code"] for o in options] == ["sedentary", "recreational", "competitive"]
    assert options[0]["valueCoding"]["display"] == "Mostly sitting"
    assert by_link["pain_locations"]["repeats"] is True and by_link["pain_locations"]["type"] == "choice"
    assert by_link["sharp_pain"]["type"] == "boolean"
    assert by_link["age"]["type"] == "integer" and by_link["sitting_hours_per_day"]["type"] == "decimal"


FACTS_FILE = {"ruleset": "x_facts", "version": "1.0.0", "kind": "facts", "title": "t",
              "groups": [{"id": "g", "title": "G"}]}


def _facts_problems(*facts):
    from decision_core.catalogue.loading import CatalogueBuilder, builtin_rulesets_dir, load_documents, ruleset_files

    builder = CatalogueBuilder()
    for doc in load_documents((p, "decision_core") for p in ruleset_files(builtin_rulesets_dir())):
        builder.add(doc)
    try:
        builder.add(parse_ruleset({**FACTS_FILE, "facts": list(facts)}, "x.yaml", "plugin_x"))
        builder.build()
    except RulesetError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_interview_data_is_validated_naming_file_fact_and_field():
    base = {"name": "x_one", "type": "bool", "label": "X", "question": "Is it so?"}
    assert _facts_problems({**base, "group": "g"}) == []
    assert _facts_problems({**base, "group": "nowhere"}) == [
        "x.yaml (plugin plugin_x), rule fact x_one, field group: unknown group 'nowhere' (declared: about_you, "
        "symptoms, safety, history, training, home_tests, g)"]
    assert _facts_problems({**base, "enable_when": ["no_such_fact is true"]}) == [
        "x.yaml (plugin plugin_x), rule fact x_one, field enable_when: unknown fact 'no_such_fact' in "
        "'no_such_fact is true'"]
    (problem,) = _facts_problems({**base, "enable_when": ["activity_level is lazy"]})
    assert "field enable_when" in problem and "'lazy' is not a value of 'activity_level'" in problem
    (problem,) = _facts_problems({**base, "value_labels": {"a": "A"}})
    assert "facts.0.value_labels" in problem and "a bool fact takes no value_labels" in problem
    (problem,) = _facts_problems({**base, "type": "choice", "values": ["a"], "value_labels": {"b": "B"}})
    assert "labels for values the fact does not list: b" in problem
    (problem,) = _facts_problems({**base, "enable_when": ["finding sudden_injury"]})
    assert "enable_when takes conditions on facts" in problem


# ---------------------------------------------------------------------- QuestionnaireResponses


def qr_of(facts, catalogue, skipped=()):
    return {"resourceType": "QuestionnaireResponse", "questionnaire": QUESTIONNAIRE_URL, "status": "completed",
            "item": facts_to_items(facts, catalogue, list(skipped))}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_response_reads_back_as_the_same_facts(case, evaluator):
    facts = evaluator.validate(case["facts"])
    qr = qr_of(facts, evaluator.catalogue, skipped=["night_pain"])
    validate(QuestionnaireResponse, qr)
    answers = read_response(qr, evaluator.catalogue)
    assert evaluator.validate(answers.facts) == facts
    assert answers.skipped == ["night_pain"]


@pytest.mark.parametrize("qr, where, says", [
    ({"resourceType": "Patient"}, "resourceType", "must be a QuestionnaireResponse"),
    ({"resourceType": "QuestionnaireResponse", "questionnaire": "http://other/Q"}, "questionnaire", "not 'http://other/Q'"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "shoe_size", "answer": [{"valueInteger": 9}]}]},
     "item[0].linkId", "'shoe_size' is not a question"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "sharp_pain", "answer": [{"valueString": "yes"}]}]},
     "item[0].answer[0].valueString", "'sharp_pain' a yes/no question"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "onset", "answer": [
        {"valueCoding": {"code": "sudden"}}, {"valueCoding": {"code": "gradual"}}]}]}, "item[0].answer", "takes one answer"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "onset", "answer": [
        {"valueCoding": {"system": "urn:x", "code": "sudden"}}]}]}, "item[0].answer[0].valueCoding.system", "codes are in"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "age", "answer": [{}]}]}, "item[0].answer[0]",
     "exactly one value[x]"),
    ({"resourceType": "QuestionnaireResponse", "item": "age"}, "item", "must be a list"),
])
def test_a_bad_response_names_the_item_and_field(qr, where, says, evaluator):
    with pytest.raises(InvalidResponse) as info:
        read_response(qr, evaluator.catalogue)
    assert where in info.value.errors, info.value.errors
    assert says in " ".join(info.value.errors[where])


# ---------------------------------------------------------------------- the stopping rule


def answer_from(facts, interview=None):
    """A patient answering from these facts (the red-flag screen: ticking those that are true)."""
    return lambda question: (screen_codes(interview.screen, facts) if question.type == "screen"
                             else facts.get(question.fact))


def test_every_public_case_stops_with_the_triage_and_top_cause_of_its_facts(evaluator, interview):
    assert CASES, "public vignettes missing"
    total = len(evaluator.catalogue.facts)
    shares = []
    for case in CASES:
        facts = evaluator.validate(case["facts"])
        step, asked = interview.run(answer_from(facts, interview))
        direct = Outcome.of(evaluator.evaluate_valid(facts))
        got = Outcome.of(step.result)
        assert (got.triage, got.top) == (direct.triage, direct.top), case["id"]
        assert got.causes == direct.causes, case["id"]
        assert len(asked) == len(set(asked)), f"{case['id']}: a question was asked twice"
        shares.append(len(asked) / total)
    assert sum(shares) / len(shares) < 0.5


def test_urgent_or_emergency_stops_at_once_with_what_to_do(evaluator, interview):
    step = interview.next_step(evaluator.validate({"bladder_or_bowel_changes": True}))
    assert step.done and step.reason == "stop_level" and step.result.triage.level == "emergency"
    step = interview.next_step(evaluator.validate({"leg_weakness": True}), ["bladder_or_bowel_changes"])
    assert step.done and step.result.triage.level == "urgent" and "within the next few days" in step.result.triage.advice


def test_red_flags_come_first_most_severe_first(evaluator, interview):
    step, asked = interview.run(lambda q: None)
    red = [n for n, f in evaluator.catalogue.facts.items() if f.red_flag]
    assert asked[0] == "red-flag-screen"  # the screen first: every yes/no red flag in one question
    assert {"bladder_or_bowel_changes", "calf_swelling_redness"} <= set(interview.screen)  # those that mean an emergency
    assert set(red) <= set(asked) | set(interview.screen), "every red-flag question is asked before the interview stops"
    assert step.reason == "settled"


def test_no_open_question_could_change_the_outcome_when_it_stops(evaluator, interview):
    facts = evaluator.validate(CASES[0]["facts"])
    step, asked = interview.run(answer_from(facts, interview))
    now = Outcome.of(step.result)
    skipped = list(step.skipped)
    closed = set(step.facts) | set(skipped)
    for name in evaluator.catalogue.facts:
        if name in closed or not interview.enabled(name, step.facts):
            continue
        for value in interview.probes(evaluator.catalogue.facts[name]):
            assert Outcome.of(evaluator.evaluate_valid({**step.facts, name: value})) == now, (name, value)
    # every red-flag question that could still raise the triage (knowing the skips) is closed
    planned = evaluator.evaluate_valid(step.facts, question_limit=1000, skipped=frozenset(skipped))
    assert not [q.fact for q in planned.open_safety_questions if q.fact not in closed]


def test_a_skipped_question_is_not_asked_again_and_enable_when_is_honoured(evaluator, interview):
    step = interview.next_step({}, ["bladder_or_bowel_changes"])
    assert step.screen and "bladder_or_bowel_changes" in step.screen  # the screen lists it; its answer stays skipped
    step = interview.next_step({}, interview.screen)  # the screen left unanswered: none of its red flags again
    assert not step.screen and step.question.fact not in interview.screen
    asked_for = []
    interview.run(lambda q: asked_for.append(q.fact))
    assert "previous_injury_months_ago" not in asked_for  # only after previous_hamstring_injury is yes
    assert not interview.enabled("previous_injury_months_ago", {})
    assert not interview.enabled("previous_injury_months_ago", {"previous_hamstring_injury": False})
    assert interview.enabled("previous_injury_months_ago", {"previous_hamstring_injury": True})


# ---------------------------------------------------------------------- the command line


def run_cli(args, stdin=""):
    return subprocess.run(CLI + args, input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


def test_questionnaire_command_prints_the_questionnaire():
    out = run_cli(["questionnaire", "--lang", "es"])
    assert out.returncode == 0, out.stderr
    q = json.loads(out.stdout)
    validate(Questionnaire, q)
    assert [i["text"] for i in q["item"][:2]] == ["¿Tiene alguno de estos?", "Sobre usted"]  # the screen, then the groups


def test_interview_piped_answers_skips_goes_back_and_writes_the_handout(tmp_path):
    # The red-flag screen: skip, then back, then the swollen calf ticked -> emergency, stop at once.
    report = tmp_path / "handout.html"
    out = run_cli(["interview", "--report", str(report)], stdin="\nback\n10\n")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.count("1. Do you have any of these?") == 2  # asked again after 'back'
    assert "10) Swollen, red or warm calf" in text and "13) None of these" in text
    assert "Stop here: Seek emergency care now" in text
    assert "TRIAGE: EMERGENCY" in text
    assert report.read_bytes().startswith(b"<!DOCTYPE html>") or b"<html" in report.read_bytes()[:500]


def test_interview_in_spanish_with_answer_options():
    out = run_cli(["interview", "--lang", "es"], stdin="n\n" + "\n" * 30)
    assert out.returncode == 0, out.stderr
    assert "1. ¿Tiene alguno de estos?" in out.stdout
    assert "13) Ninguno de estos" in out.stdout
    assert "2. " in out.stdout  # "None of these" answered the screen: the interview goes on


def test_interview_through_a_real_terminal(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    report = tmp_path / "handout.pdf"
    child = pexpect.spawn(CLI[0], CLI[1:] + ["interview", "--report", str(report)], encoding="utf-8", timeout=60,
                          dimensions=(50, 200))
    child.expect("Enter skips")
    child.expect(r"1\. Do you have any of these\?")
    child.sendline("maybe")
    child.expect(r"Answer with the number of an option")
    child.sendline("9, 13")
    child.expect(r"'None of these' cannot go with another answer")
    child.sendline("9")  # a fever: its follow-ups come next
    child.expect(r"2\. Where do you feel the pain")
    child.sendline("")  # skipped
    child.expect(r"3\. ")
    child.sendline("8")
    child.expect("Stop here: See a doctor or physiotherapist")
    child.expect("Handout written to")
    child.expect(pexpect.EOF)
    child.close()
