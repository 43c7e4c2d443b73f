"""The red-flag screen (decision_core.interview.screen, docs/interview.md): which facts it lists (from the catalogue), the
Questionnaire item, what a ticked, unticked or "None of these" answer means (properties over generated
answers), a contradictory answer refused, and the interview asking it first: on the public cases it ends
as direct evaluation does, showing few screens."""
from __future__ import annotations

import json
import types
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from decision_core.interview.flow import Interview, Outcome
from decision_core.interview.questionnaire import build_questionnaire, item_count
from decision_core.interview.questionnaire_response import InvalidResponse, facts_to_items, read_response
from decision_core.interview.screen import (NONE_CODE, OPTION_EXCLUSIVE, SCREEN_LINK_ID, read_screen,
                                  screen_codes, screen_facts)

PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "vignettes" / "public.json"
CASES = json.loads(PUBLIC.read_text())["cases"] if PUBLIC.exists() else []
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def screen_answer(codes):
    return {"linkId": SCREEN_LINK_ID, "answer": [{"valueCoding": {"code": code}} for code in codes]}


def known_answers(facts, leave_out=()):
    """The facts a response can carry: known (an empty list is an unanswered item, as skipped)."""
    return {k: v for k, v in facts.items() if v not in (None, []) and k not in leave_out}


def response(*items):
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(items)}


# ---------------------------------------------------------------------- which facts: the catalogue says


def test_the_screen_lists_the_catalogues_yes_no_red_flags(builtin_catalogue):
    listed = screen_facts(builtin_catalogue)
    assert listed == tuple(n for n, f in builtin_catalogue.facts.items() if f.red_flag and f.type == "bool")
    assert {"bladder_or_bowel_changes", "calf_swelling_redness", "leg_weakness", "fever_or_unwell"} <= set(listed)


def test_a_fact_joins_the_screen_by_its_data_not_by_name(builtin_catalogue):
    def with_flags(**flags):
        facts = {n: replace(f, red_flag=flags.get(n, f.red_flag)) for n, f in builtin_catalogue.facts.items()}
        return screen_facts(types.SimpleNamespace(facts=facts, rules=builtin_catalogue.rules))

    assert "night_pain" not in with_flags(night_pain=False)  # not marked a red flag: its own question
    assert "previous_hamstring_injury" in with_flags(previous_hamstring_injury=True)  # a triage rule reads it
    assert "swelling" not in with_flags(swelling=True)  # no rule raising the triage reads it: nothing to screen


# ---------------------------------------------------------------------- the Questionnaire item


def test_the_questionnaire_asks_the_screen_first_with_an_exclusive_none(builtin_catalogue):
    q = build_questionnaire(builtin_catalogue)
    screen = q["item"][0]
    assert screen["linkId"] == SCREEN_LINK_ID and screen["type"] == "choice" and screen["repeats"] is True
    assert screen["text"] == "Do you have any of these?"
    codes = [o["valueCoding"]["code"] for o in screen["answerOption"]]
    assert codes == [*screen_facts(builtin_catalogue), NONE_CODE]
    exclusive = [o["valueCoding"]["code"] for o in screen["answerOption"]
                 if {"url": OPTION_EXCLUSIVE, "valueBoolean": True} in o.get("extension", [])]
    assert exclusive == [NONE_CODE]
    assert screen["answerOption"][-1]["valueCoding"]["display"] == "None of these"
    # each red flag's own question stays, shown only while the screen is unanswered (asked once)
    own = {i["linkId"]: i for g in q["item"][1:] for i in g["item"]}
    for name in screen_facts(builtin_catalogue):
        assert own[name]["enableWhen"] == [{"question": SCREEN_LINK_ID, "operator": "exists", "answerBoolean": False}]
    assert "enableWhen" not in own["age"]
    assert item_count(builtin_catalogue) == len(builtin_catalogue.facts) + 1


# ---------------------------------------------------------------------- what an answer means (properties)


@pytest.mark.parametrize("engine", ["plain", "durable"])
@SETTINGS
@given(data=st.data())
def test_ticking_any_subset_is_those_true_and_the_rest_unknown(data, engine, builtin_catalogue, builtin_evaluators,
                                                               valid_facts):
    ev = builtin_evaluators[engine]
    listed = screen_facts(builtin_catalogue)
    others = known_answers(data.draw(valid_facts(builtin_catalogue)), listed)
    ticked = data.draw(st.lists(st.sampled_from(listed), unique=True))
    answers = read_response(response(*facts_to_items(others, builtin_catalogue), screen_answer(ticked)),
                            builtin_catalogue)
    expected = {**others, **{name: True for name in ticked}}
    assert answers.facts == expected
    assert sorted(answers.skipped) == sorted(set(listed) - set(ticked))  # unticked: asked, still unknown
    assert ev.evaluate(answers.facts).to_dict() == ev.evaluate(expected).to_dict()
    # the interview reads the screen the same way
    facts, skipped = Interview(ev).answer_screen(ticked, ev.validate(others))
    assert facts == ev.validate(expected) and set(skipped) == set(listed) - set(ticked)


@pytest.mark.parametrize("engine", ["plain", "durable"])
@SETTINGS
@given(data=st.data())
def test_none_of_these_is_every_listed_fact_false(data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    listed = screen_facts(builtin_catalogue)
    others = known_answers(data.draw(valid_facts(builtin_catalogue)), listed)
    answers = read_response(response(screen_answer([NONE_CODE]), *facts_to_items(others, builtin_catalogue)),
                            builtin_catalogue)
    expected = {**others, **{name: False for name in listed}}
    assert answers.facts == expected and answers.skipped == []
    assert ev.evaluate(answers.facts).to_dict() == ev.evaluate(expected).to_dict()


@SETTINGS
@given(data=st.data())
def test_what_a_patient_ticks_says_what_the_screen_can(data, builtin_catalogue, valid_facts):
    listed = screen_facts(builtin_catalogue)
    facts = {k: v for k, v in data.draw(valid_facts(builtin_catalogue)).items() if v is not None}
    codes = screen_codes(listed, facts)
    if codes is None:  # nothing true and something unknown: left unanswered
        assert not any(facts.get(n) is True for n in listed) and not all(facts.get(n) is False for n in listed)
        return
    read, unknown = read_screen(listed, codes)
    assert all(facts[name] == value for name, value in read.items())  # never says more than the facts
    assert all(facts.get(name) is not True for name in unknown)  # every true red flag is ticked


def test_an_unanswered_screen_leaves_every_red_flag_unknown(builtin_catalogue):
    answers = read_response(response({"linkId": SCREEN_LINK_ID}), builtin_catalogue)
    assert answers.facts == {} and sorted(answers.skipped) == sorted(screen_facts(builtin_catalogue))


@pytest.mark.parametrize("items, where, says", [
    ([screen_answer(["shoe_size"])], "item[0].answer[0].valueCoding.code", "is not one of its options"),
    ([{"linkId": SCREEN_LINK_ID, "answer": [{"valueBoolean": True}]}], "item[0].answer[0]", "valueCoding"),
])
def test_a_bad_screen_answer_names_the_item(items, where, says, builtin_catalogue):
    with pytest.raises(InvalidResponse) as info:
        read_response(response(*items), builtin_catalogue)
    assert says in " ".join(info.value.errors.get(where, [])), info.value.errors
    assert SCREEN_LINK_ID in " ".join(info.value.errors[where])


@pytest.mark.parametrize("items, facts", [
    # "None of these" beside a ticked option: the ticked one is "yes", the rest not known to be "no"
    ([screen_answer(["fever_or_unwell", NONE_CODE])], {"fever_or_unwell": True}),
    # the screen and a fact's own item disagree, in either order: the "yes" wins
    ([{"linkId": "sharp_pain", "answer": [{"valueBoolean": False}]}, screen_answer(["sharp_pain"])],
     {"sharp_pain": True}),
    ([screen_answer(["sharp_pain"]), {"linkId": "sharp_pain", "answer": [{"valueBoolean": False}]}],
     {"sharp_pain": True}),
    ([screen_answer([NONE_CODE]), {"linkId": "leg_weakness", "answer": [{"valueBoolean": True}]}],
     "leg_weakness"),
])
def test_where_answers_about_a_red_flag_disagree_the_yes_wins(items, facts, builtin_catalogue):
    answers = read_response(response(*items), builtin_catalogue)
    if isinstance(facts, str):  # "None of these" and the fact's own "yes": that one yes, every other one no
        listed = screen_facts(builtin_catalogue)
        assert answers.facts == {name: name == facts for name in listed}
    else:
        assert answers.facts == facts
        assert all(name not in answers.facts for name in answers.skipped)
    read, unknown = read_screen(screen_facts(builtin_catalogue), ["leg_weakness", NONE_CODE])
    assert read == {"leg_weakness": True} and "fever_or_unwell" in unknown


def test_a_red_flag_answered_alike_on_the_screen_and_its_own_item_is_read(builtin_catalogue):
    answers = read_response(response({"linkId": "sharp_pain", "answer": [{"valueBoolean": True}]},
                                     screen_answer(["sharp_pain"])), builtin_catalogue)
    assert answers.facts == {"sharp_pain": True}
    assert "sharp_pain" not in answers.skipped


# ---------------------------------------------------------------------- the interview: the screen first


def answer_from(facts, interview):
    return lambda q: screen_codes(interview.screen, facts) if q.type == "screen" else facts.get(q.fact)


def test_the_screen_comes_first_then_only_the_follow_ups_a_ticked_flag_needs(builtin_evaluators):
    interview = Interview(builtin_evaluators["plain"])
    first = interview.next_step({})
    assert first.screen == interview.screen and first.question.fact == SCREEN_LINK_ID
    # a fever ticked: what would make it urgent is how much it hurts and where, never the other red flags
    facts, skipped = interview.answer_screen(["fever_or_unwell"], {})
    step = interview.next_step(facts, skipped)
    assert not step.screen and step.question.fact in ("pain_level", "pain_locations")
    asked = interview.run(lambda q: None, facts, skipped)[1]
    assert not set(asked) & set(interview.screen), asked
    # the stop rule is unchanged: a ticked emergency sign stops at once
    facts, skipped = interview.answer_screen(["calf_swelling_redness"], {})
    assert interview.next_step(facts, skipped).reason == "stop_level"


@pytest.mark.parametrize("engine", ["plain", "durable"])
def test_public_cases_end_as_direct_evaluation_showing_few_screens(engine, builtin_evaluators):
    """Issue 19 §7: screens shown (the screen counts as one) / questions on the whole form <= 0.35."""
    assert CASES, "public vignettes missing"
    evaluator = builtin_evaluators[engine]
    interview = Interview(evaluator)
    total = item_count(evaluator.catalogue)
    shown = []
    for case in CASES:
        facts = evaluator.validate(case["facts"])
        step, asked = interview.run(answer_from(facts, interview))
        direct = Outcome.of(evaluator.evaluate_valid(facts))
        assert Outcome.of(step.result) == direct, case["id"]  # triage, top cause and listed causes
        assert asked[0] == SCREEN_LINK_ID, case["id"]
        assert len(asked) == len(set(asked)) and not set(asked) & set(interview.screen), case["id"]
        shown.append(len(asked))
    assert sum(shown) / (total * len(shown)) <= 0.35, shown
