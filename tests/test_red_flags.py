"""Red flags that stand out (issue 19 §3), as properties over generated cases on both engines.

open_red_flags and open_assessment_questions split open_safety_questions by the red-flag levels the
triage ruleset declares; every open red flag could really raise the triage to such a level (a witness
is searched for); a case with every red flag answered has none; the CLI summary and the CDS card name
the red flags and not the questions for the assessment.
"""
from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from decision_core.adapters.http.cards import detail, summary
from decision_core.cli.summary import summarise
from decision_core.i18n.wording import triage_status

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def red_flag_levels(catalogue) -> set[str]:
    return {lv.id for lv in catalogue.levels if lv.red_flag}


def cases(catalogue, valid_facts):
    """Generated facts, some with most of their answers forgotten (the partial intakes red flags are about)."""
    names = sorted(catalogue.facts)

    @st.composite
    def draw(data_draw):
        facts = data_draw(valid_facts(catalogue))
        forget = data_draw(st.sets(st.sampled_from(names)))
        return {k: v for k, v in facts.items() if k not in forget}

    return draw()


def facts_behind(catalogue, rule) -> set[str]:
    """Every fact a rule reads, directly or through the findings it waits on."""
    out = {c.subject for c in rule.fact_conditions}
    todo = [c.subject for c in rule.when if c.op == "finding"]
    seen: set[str] = set()
    while todo:
        finding = todo.pop()
        if finding in seen:
            continue
        seen.add(finding)
        for r in catalogue.rules:
            if r.then.kind == "finding" and r.then.target == finding:
                out |= {c.subject for c in r.fact_conditions}
                todo.extend(c.subject for c in r.when if c.op == "finding")
    return out


def witnesses(catalogue, satisfy, level: str, fact: str):
    """Facts that fire some triage rule to ``level`` and set ``fact``: per rule, one per way to reach each
    finding it reads (each producer of it), so a case's known facts can be matched."""
    for rule in catalogue.rules:
        if rule.then.kind != "triage" or rule.then.target != level or fact not in facts_behind(catalogue, rule):
            continue
        base = satisfy(catalogue, dataclasses.replace(rule, when=tuple(c for c in rule.when if c.op != "finding")))
        if base is None:
            continue
        producers = [[satisfy(catalogue, r) for r in catalogue.rules
                      if r.then.kind == "finding" and r.then.target == c.subject]
                     for c in rule.when if c.op == "finding"]
        for ways in itertools.product(*producers):
            if all(w is not None for w in ways):
                witness = dict(base)
                for w in ways:
                    witness.update(w)
                if fact in witness:
                    yield witness


def partition_holds(result, catalogue) -> None:
    red = red_flag_levels(catalogue)
    assert [q.to_dict() for q in result.open_red_flags] == [
        q.to_dict() for q in result.open_safety_questions if q.could_raise_to in red]
    assert [q.to_dict() for q in result.open_assessment_questions] == [
        q.to_dict() for q in result.open_safety_questions if q.could_raise_to not in red]


def test_the_builtin_triage_declares_its_red_flag_levels(builtin_catalogue):
    # declared in rulesets/triage.yaml, the most severe levels, each with whom to call
    levels = sorted(builtin_catalogue.levels, key=lambda lv: lv.rank)
    flags = [lv.red_flag for lv in levels]
    assert any(flags) and not flags[0] and flags == sorted(flags)
    assert all(lv.contact in ("clinic", "emergency") for lv in levels if lv.red_flag)


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_red_flags_and_assessment_questions_partition_the_open_safety_questions(
        data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    result = ev.evaluate(data.draw(cases(builtin_catalogue, valid_facts)))
    partition_holds(result, builtin_catalogue)
    back = type(result).from_dict(result.to_dict())
    assert back.to_dict() == result.to_dict()
    # the triage is "not yet known" exactly while red flags are open
    assert ("not yet known" in triage_status(result)) == bool(result.open_red_flags)


@pytest.mark.parametrize("engine", ["durable", "plain"])
@FEW
@given(data=st.data())
def test_every_open_red_flag_could_raise_the_triage_to_a_red_flag_level(
        data, engine, builtin_catalogue, builtin_evaluators, valid_facts, satisfy):
    ev = builtin_evaluators[engine]
    rank = {lv.id: lv.rank for lv in builtin_catalogue.levels}
    result = ev.evaluate(data.draw(cases(builtin_catalogue, valid_facts)))
    known = result.facts
    for q in result.open_red_flags:
        assert q.could_raise_to in red_flag_levels(builtin_catalogue)
        assert q.fact not in known
        # a witness: the known answers kept, some answers to unknown facts (this one among them) that reach it
        raised = False
        for witness in witnesses(builtin_catalogue, satisfy, q.could_raise_to, q.fact):
            trial = {**known, **{k: v for k, v in witness.items() if k not in known}}
            if rank[ev.evaluate(trial).triage_level] >= rank[q.could_raise_to]:
                raised = True
                break
        assert raised, (q.fact, q.could_raise_to, known)


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_a_case_with_every_red_flag_answered_has_none_open(data, engine, builtin_catalogue, builtin_evaluators,
                                                           valid_facts):
    ev = builtin_evaluators[engine]
    red = red_flag_levels(builtin_catalogue)
    behind = set().union(*(facts_behind(builtin_catalogue, r) for r in builtin_catalogue.rules
                           if r.then.kind == "triage" and r.then.target in red))
    facts = dict(data.draw(cases(builtin_catalogue, valid_facts)))
    # answer every fact a red-flag rule reads (some with the answer that raises it, some not)
    for name in sorted(behind):
        if facts.get(name) is None:
            facts[name] = data.draw(some_value(builtin_catalogue.facts[name]), label=name)
    result = ev.evaluate(facts)
    assert result.open_red_flags == []
    partition_holds(result, builtin_catalogue)
    assert "not yet known" not in triage_status(result)


def some_value(fact):
    """Any valid answer to one fact."""
    if fact.type == "bool":
        return st.booleans()
    if fact.type == "choice":
        return st.sampled_from(fact.values)
    if fact.type in ("int", "number"):
        return st.integers(int(fact.min or 0), int(fact.max if fact.max is not None else 100))
    if fact.type == "choices":
        return st.lists(st.sampled_from(fact.values), unique=True, max_size=len(fact.values))
    return st.lists(st.sampled_from(["running", "yoga"]), max_size=2)


def _safety_part(text: str) -> str:
    """The CLI summary's triage part: up to the first blank line."""
    return text.split("\n\n", 1)[0]


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_the_cli_summary_and_the_card_name_the_red_flags_and_no_assessment_question(
        data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    result = ev.evaluate(data.draw(cases(builtin_catalogue, valid_facts)))
    facts = builtin_catalogue.facts
    text = summarise(result, builtin_catalogue)
    safety = _safety_part(text)
    also = safety.split("To rule them out, also answer: ")[1] if "also answer" in safety else ""
    for q in result.open_red_flags:  # a yes/no one ticked, the others (where, how much, how) to answer
        assert f"[ ] {q.question}" in safety if facts[q.fact].type == "bool" else facts[q.fact].label in also
    for q in result.open_assessment_questions:
        assert q.question not in safety
        assert f"? {q.question}  [{q.fact}]" in text.split("Questions for the assessment", 1)[1]
    card_summary = summary(result, builtin_catalogue)
    assert len(card_summary) < 140
    flags = result.open_red_flags
    named = all(facts[q.fact].label in card_summary for q in flags)
    counted = (f"{len(flags)} red flags" if len(flags) != 1 else "1 red flag") in card_summary
    assert not flags or named or counted, card_summary
    if not flags:
        assert "red flag" not in card_summary
    for q in result.open_assessment_questions:
        assert q.question not in card_summary
        if not any(facts[q.fact].label in facts[r.fact].label for r in flags):
            assert facts[q.fact].label not in card_summary.split(";")[0], card_summary
    card_detail = detail(result, builtin_catalogue)
    checklist = card_detail.split("**Likely causes**")[0].split("No single cause")[0]
    for q in flags:
        assert f"- {q.question} (`{q.fact}`)" in checklist
    for q in result.open_assessment_questions:
        assert q.question not in checklist
        assert f"- {q.question} (`{q.fact}`)" in card_detail.split("**Questions for the assessment")[1]


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_at_a_level_holding_the_programme_only_questions_that_could_change_the_handling(
        data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    result = ev.evaluate(data.draw(cases(builtin_catalogue, valid_facts)))
    rank = {lv.id: lv.rank for lv in builtin_catalogue.levels}
    if not ev.held.holds(rank[result.triage_level]):
        return
    for q in result.next_questions:
        if q.kind == "safety":
            assert rank[q.why.split("could raise the triage to ")[1].split(";")[0]] > rank[result.triage_level]
            continue
        # a diagnosis question: its answer could list a cause whose allowed item the result lacks
        matters = ev.held.causes_that_matter(rank[result.triage_level], set(result.recommendation_ids))
        assert any(c in q.why for c in matters), (q.fact, q.why, matters)


def test_no_cause_is_asked_about_at_emergency_and_no_posture_question_at_urgent(builtin_evaluators):
    ev = builtin_evaluators["plain"]
    emergency = ev.evaluate({"bladder_or_bowel_changes": True})
    assert all(q.kind == "safety" for q in emergency.next_questions)
    strain = ev.evaluate({"onset": "sudden", "popping_sensation": True, "sitting_hours_per_day": 9})
    assert strain.triage_level == "urgent" and "relative_rest_ice_compression" in strain.recommendation_ids
    assert [q.fact for q in strain.next_questions] == ["bladder_or_bowel_changes", "calf_swelling_redness"]
    weak = ev.evaluate({"leg_weakness": True, "sitting_hours_per_day": 9})
    asked = [q.fact for q in weak.next_questions]
    assert "standing_posture" not in asked and "glute_bridge_hamstring_cramp" not in asked
    # what decides the suspected-strain care (ice and compression) is still worth asking
    assert {"popping_sensation", "bruising"} <= set(asked)


def test_a_pop_with_the_onset_unknown_leaves_the_onset_a_red_flag(builtin_evaluators):
    for ev in builtin_evaluators.values():
        result = ev.evaluate({"popping_sensation": True, "bruising": False, "pain_locations": ["back_of_thigh"]})
        assert "onset" in [q.fact for q in result.open_red_flags]
        assert "not yet known" in triage_status(result)
        # once the onset is known not to be sudden, and not a sprint or kick, the walking pain cannot make it urgent
        calm = ev.evaluate({"onset": "gradual", "onset_during_sprint_or_kick": False, "popping_sensation": False,
                            "bruising": False})
        assert "pain_when_walking" not in [q.fact for q in calm.open_safety_questions]


def test_saved_results_without_the_split_count_every_open_question_as_a_red_flag(builtin_evaluators):
    result = builtin_evaluators["plain"].evaluate({"sitting_hours_per_day": 9})
    saved = result.to_dict()
    del saved["open_red_flags"], saved["open_assessment_questions"]
    back = type(result).from_dict(saved)
    assert back.open_red_flags == back.open_safety_questions and back.open_assessment_questions == []
