"""Properties over generated valid facts (hypothesis): nothing crashes, a red
flag never lowers the triage, and evidence only ever names facts that were given."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from decision_core.catalogue.loading import Catalogue

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def evidence_items(result: dict):
    """Every item in a result that explains itself with patient facts."""
    for cause in result["causes"]:
        yield from cause["evidence"]
    yield from result["triage"]["reasons"]
    for finding in result["findings"]:
        yield from finding["evidence"]
    for item in result["recommendations"] + result["avoid"]:
        yield from item["reasons"]


@pytest.mark.parametrize("engine", ["durable", "plain"])
@pytest.mark.parametrize("which", ["mini", "builtin"])
@SETTINGS
@given(data=st.data())
def test_any_valid_facts_never_crash(request, data, which, engine, valid_facts):
    evaluators = request.getfixturevalue(f"{which}_evaluators")
    catalogue = evaluators[engine].catalogue
    facts = data.draw(valid_facts(catalogue))
    result = evaluators[engine].evaluate(facts).to_dict()
    json.dumps(result, allow_nan=False)  # the result is plain JSON
    assert result["triage"]["level"] in [lv.id for lv in catalogue.levels]
    assert [c["rank"] for c in result["causes"]] == list(range(1, len(result["causes"]) + 1))
    scores = [c["score"] for c in result["causes"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < c["confidence"] <= 1 for c in result["causes"])
    assert {r["id"] for r in result["rulesets"]} == {r.id for r in catalogue.rulesets}


def _red_flags(catalogue: Catalogue):
    return sorted(name for name, f in catalogue.facts.items() if f.red_flag and f.type == "bool")


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_adding_a_red_flag_never_lowers_the_triage(data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    rank = {lv.id: lv.rank for lv in builtin_catalogue.levels}
    facts = data.draw(valid_facts(builtin_catalogue))
    before = rank[ev.evaluate(facts).triage_level]
    flags = _red_flags(builtin_catalogue)
    assert flags, "the catalogue marks its red flags"
    flag = data.draw(st.sampled_from(flags))
    after = ev.evaluate({**facts, flag: True})
    assert rank[after.triage_level] >= before, (flag, after.triage["reasons"])


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_more_pain_never_lowers_the_triage(data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    rank = {lv.id: lv.rank for lv in builtin_catalogue.levels}
    facts = data.draw(valid_facts(builtin_catalogue))
    pain = builtin_catalogue.facts["pain_level"]
    current = facts.get("pain_level")
    raised = data.draw(st.integers(int(current) if current is not None else int(pain.min), int(pain.max)))
    before = rank[ev.evaluate(facts).triage_level]
    after = rank[ev.evaluate({**facts, "pain_level": raised}).triage_level]
    assert after >= before, (current, raised)


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_removing_a_fact_never_invents_evidence_for_it(data, engine, builtin_catalogue, builtin_evaluators,
                                                       valid_facts):
    ev = builtin_evaluators[engine]
    facts = data.draw(valid_facts(builtin_catalogue))
    given_facts = ev.validate(facts)
    assume(given_facts)
    removed = data.draw(st.sampled_from(sorted(given_facts)))
    fewer = {k: v for k, v in facts.items() if k != removed}
    result = ev.evaluate(fewer).to_dict()
    known = ev.validate(fewer)
    assert result["facts"] == known
    for item in evidence_items(result):
        named = set(item.get("facts", {})) | ({item["fact"]} if item.get("fact") else set())
        assert removed not in named, item
        assert named <= set(known), item
        for name, value in item.get("facts", {}).items():
            assert value == known[name], item


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_known_facts_are_never_asked_again(data, engine, builtin_catalogue, builtin_evaluators, valid_facts):
    ev = builtin_evaluators[engine]
    facts = data.draw(valid_facts(builtin_catalogue))
    result = ev.evaluate(facts)
    asked = [q.fact for q in result.next_questions]
    assert not set(asked) & set(result.facts)
    assert len(asked) == len(set(asked))
    assert set(asked) <= set(builtin_catalogue.facts)


@SETTINGS
@given(data=st.data())
def test_a_value_of_the_wrong_type_is_always_named(data, builtin_catalogue, builtin_evaluators, valid_facts):
    from decision_core.intake import InvalidFacts

    facts = data.draw(valid_facts(builtin_catalogue))
    name = data.draw(st.sampled_from(sorted(builtin_catalogue.facts)))
    fact = builtin_catalogue.facts[name]
    wrong = {"bool": st.sampled_from([1, 0, "true", "no"]),
             "int": st.sampled_from(["7", True, [3], float("nan")]),
             "number": st.sampled_from(["7", True, [3], float("inf")]),
             "choice": st.sampled_from(["not_a_value", 3, ["x"]]),
             "choices": st.sampled_from(["back_of_thigh", ["not_a_value"], [3]]),
             "list": st.sampled_from(["running", [3], [""]])}[fact.type]
    bad = data.draw(wrong)
    with pytest.raises(InvalidFacts) as info:
        builtin_evaluators["durable"].evaluate({**facts, name: bad})
    assert [k for k in info.value.errors if k.split("[")[0] == name], info.value.errors
    assert all(k.split("[")[0] == name for k in info.value.errors), info.value.errors

