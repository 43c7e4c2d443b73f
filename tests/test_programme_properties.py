"""Properties of the patient's programme (issue 19), over generated cases and every worked case, on both
engines: at most five exercises, each with a full dose; nothing that contradicts the patient's answers (no
running item for someone who does not run, no training item for someone who neither trains nor plays, no
lift with weights unless pain-free with every safety question answered); the programme is a choice among
the recommendations, and the alternatives are exactly the rest.

The answers are read here from the facts themselves, not through the programme ruleset's fit rules, so a
fit rule that let too much through would fail these tests.
"""
from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from decision_core.catalogue.dose import BASES, Dose
from decision_core.testing import random_facts

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINES = ["durable", "plain"]
MAX_EXERCISES = 5
RUNNING_WORDS = {"running", "sprinting", "jogging", "athletics", "marathon", "triathlon"}
LIFTING_WORDS = {"weightlifting", "gym", "powerlifting", "crossfit"}


def check_programme(result, catalogue) -> Counter:
    """Assert every property of ``result.programme``; count what it held (so a run can show the
    properties were not met vacuously)."""
    seen: Counter = Counter()
    programme, facts = result.programme, result.facts
    recs = {r.id: r for r in result.recommendations}
    assert programme is not None
    exercises = [i for p in programme.phases for i in p.items]
    chosen = programme.chosen_ids
    context = (facts, chosen)

    # a choice among the allowed items; the alternatives are exactly the rest, in the recommendations' order
    assert len(chosen) == len(set(chosen)), context
    assert set(chosen) <= set(recs), context
    assert [a.id for a in programme.alternatives] == [r for r in recs if r not in set(chosen)], context
    assert all(a.why for a in programme.alternatives)

    # the hold, the limits, the phases
    assert programme.on_hold == result.programme_on_hold
    if programme.on_hold:
        assert not programme.phases and not any(recs[i].kind == "exercise" for i in chosen), context
    assert len(exercises) <= MAX_EXERCISES, context
    assert all(p.items for p in programme.phases), "a phase with no items is left out"
    assert programme.weeks >= programme.review_in_weeks >= 1

    # every exercise has a full dose; each figure says where it came from; the source's figures are kept
    for item in exercises:
        dose = Dose.from_dict(item.dose)
        assert not dose.missing("exercise"), (item.id, item.dose)
        assert set(dose.basis) == set(dose.given()) and set(dose.basis.values()) <= set(BASES), item.dose
        assert item.starting_dose == ("default" in dose.basis.values()), item.dose
        source = recs[item.id].dose
        for name, basis in dose.basis.items():
            if basis == "source":
                assert item.dose[name] == source[name], (item.id, name)
        seen["starting_dose" if item.starting_dose else "source_dose"] += 1

    # an exercise in the everyday list (a warm-up tied to a run) still says how much: sets and an amount
    for item in programme.lifestyle:
        if recs[item.id].kind == "exercise":
            missing = Dose.from_dict(item.dose).missing("exercise")
            assert not set(missing) - {"frequency"}, (item.id, item.dose)

    # no two chosen items do the same job
    jobs = catalogue.programme.jobs
    done = [t for i in chosen for t in set(recs[i].tags) & jobs]
    assert len(done) == len(set(done)), (chosen, done)

    # nothing contradicts the patient's answers
    sports = set(facts.get("sports") or ())
    for item_id in chosen:
        tags = set(recs[item_id].tags)
        if "running" in tags:
            assert sports & RUNNING_WORDS, (item_id, facts)
            seen["running"] += 1
        if "training" in tags:
            assert sports or facts.get("activity_level") in ("recreational", "competitive"), (item_id, facts)
            seen["training"] += 1
        if "loaded" in tags:
            assert facts.get("pain_level") == 0 and facts.get("sharp_pain") is False, (item_id, facts)
            assert not result.open_safety_questions and result.triage.confirmed, (item_id, result.open_safety_questions)
            assert facts.get("strength_training_focus") in ("quads", "balanced", "posterior_chain") \
                or sports & LIFTING_WORDS, (item_id, facts)
            seen["loaded"] += 1
    # what the safety policy puts first, and every referral, is always in the programme
    for rec in result.recommendations:
        if rec.leads or rec.kind == "referral":
            assert rec.id in chosen, (rec.id, chosen)
    seen["exercises"] += bool(exercises)
    seen["alternatives"] += bool(programme.alternatives)
    return seen


def fitting_facts(catalogue, rng) -> dict:
    """A case that could take any item: every red flag answered no, pain 0, no sharp pain, most other facts
    known (so lifts, running and training items can be chosen, and the properties are tested where they bite)."""
    facts = random_facts(catalogue, rng, known=rng.choice([0.3, 0.6, 0.9]))
    facts.update({name: False for name, fact in catalogue.facts.items() if fact.red_flag and fact.type == "bool"})
    # runners, players of other sports, lifters and neither, in about equal numbers
    facts["sports"] = rng.choice([[], ["running"], ["football"], ["cycling", "yoga"], ["gym", "sprinting"],
                                  ["weightlifting"], ["chess"]])
    # pain-free, or nearly: a little pain (1, 2) must keep the lifts out as surely as none lets them in
    facts.update(pain_level=rng.choice([0, 0, 1, 2]), sharp_pain=False, stretching_is_painful=False)
    return facts


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(data=st.data())
def test_any_valid_facts_give_a_programme_that_keeps_its_properties(data, engine, builtin_evaluators, valid_facts):
    evaluator = builtin_evaluators[engine]
    result = evaluator.evaluate(data.draw(valid_facts(evaluator.catalogue)))
    check_programme(result, evaluator.catalogue)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_thousand_generated_cases_keep_the_programme_properties(engine, builtin_evaluators, generated_cases):
    evaluator = builtin_evaluators[engine]
    catalogue = evaluator.catalogue
    seen: Counter = Counter()
    cases = generated_cases(catalogue, 1500, seed=19, invalid_every=0)
    rng = random.Random(19)
    cases += [fitting_facts(catalogue, rng) for _ in range(500)]
    assert len(cases) == 2000
    for facts in cases:
        seen += check_programme(evaluator.evaluate(facts), catalogue)
    # the properties were tested where they bite, not only on empty programmes
    for what in ("exercises", "alternatives", "starting_dose", "source_dose", "running", "training", "loaded"):
        assert seen[what] > 0, (what, seen)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_worked_case_keeps_the_programme_properties(engine, builtin_evaluators, shared_dir):
    evaluator = builtin_evaluators[engine]
    checked = 0
    for name in ("public", "safety", "changes"):
        path = shared_dir / "vignettes" / f"{name}.json"
        if not path.is_file():
            continue
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            check_programme(evaluator.evaluate(case["facts"]), evaluator.catalogue)
            checked += 1
    assert checked >= 14
