"""The typed result is declared once (decision_core.result.shape): its dictionary form, its reading
back and its schema are generated from the dataclasses. Checked here: the generated schema accepts
every generated result and round-trips it, the dictionary form reads back to the same result, a
dictionary that is not a result is refused, and the declaration's rules (left-out keys, key order,
saved results of before) hold."""
from __future__ import annotations

import dataclasses

import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from decision_core.adapters.http import result_schemas
from decision_core.result.model import RESULT_CLASSES, Evidence, Result, SafetyQuestion
from decision_core.result.schema import result_schemas as generated_schemas
from decision_core.result.shape import slots_of

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data(), engine=st.sampled_from(["durable", "plain"]))
def test_the_schema_accepts_every_result_and_round_trips_it(data, engine, builtin_evaluators, valid_facts):
    evaluator = builtin_evaluators[engine]
    result = evaluator.evaluate(data.draw(valid_facts(evaluator.catalogue)))
    as_dict = orjson.loads(result.to_json())
    schema = result_schemas.ResultSchema()
    assert schema.validate(as_dict) == {}
    assert schema.dump(schema.load(as_dict)) == as_dict  # nothing lost or changed by the schema
    assert Result.from_dict(as_dict).to_dict() == as_dict  # nor by reading it back
    recorded = dataclasses.replace(result, record_id="r-1", programme=None)
    assert schema.validate(recorded.to_dict()) == {}


def test_the_http_schemas_are_the_generated_ones_one_per_class():
    schemas = generated_schemas(Result)
    assert result_schemas.SCHEMAS == schemas
    assert set(schemas) == set(RESULT_CLASSES)
    for name, cls in RESULT_CLASSES.items():
        assert list(schemas[name]().fields) == [s.name for s in slots_of(cls)], name


def test_a_key_is_required_exactly_when_it_is_always_written(builtin_evaluators):
    result = builtin_evaluators["plain"].evaluate({})
    data = result.to_dict()
    required = {name for name, f in result_schemas.ResultSchema().fields.items() if f.required}
    assert required == set(data)  # record_id: only when the evaluation is kept
    evidence = result_schemas.EvidenceSchema().fields
    assert not evidence["strength"].required and not evidence["strength"].allow_none
    assert evidence["fact"].required and evidence["fact"].allow_none


def test_left_out_keys_and_computed_ones():
    ev = Evidence(rule="r", because="b", facts={"sitting": 8, "age": 40}, sources=["001"])
    assert list(ev.to_dict()) == ["fact", "value", "facts", "rule", "because", "sources", "citations"]
    assert ev.to_dict()["fact"] == "sitting" and ev.to_dict()["value"] == 8
    ev.strength, ev.weight = "strong", 2.0
    assert list(ev.to_dict())[-2:] == ["strength", "weight"]
    assert Evidence.from_dict(ev.to_dict()) == ev


def test_a_dictionary_that_is_not_a_result_is_refused(builtin_evaluators):
    data = builtin_evaluators["plain"].evaluate({}).to_dict()
    with pytest.raises(KeyError, match="triage"):
        Result.from_dict({k: v for k, v in data.items() if k != "triage"})
    with pytest.raises(KeyError, match="level"):
        Result.from_dict({**data, "triage": {"name": "x"}})
    with pytest.raises(TypeError):
        Result.from_dict({**data, "causes": 3})
    errors = result_schemas.ResultSchema().validate({**data, "causes": [{"id": 3}]})
    assert "rank" in errors["causes"][0] and "id" in errors["causes"][0]


def test_a_result_saved_before_later_fields_still_reads(builtin_evaluators):
    data = builtin_evaluators["plain"].evaluate({}).to_dict()
    question = {"fact": "night_pain", "question": "Pain at night?", "could_raise_to": "urgent"}
    old = {k: v for k, v in data.items() if k not in (
        "policy", "programme_on_hold", "findings", "fired_rules", "engine", "programme",
        "open_red_flags", "open_assessment_questions")}
    old["open_safety_questions"] = [question]
    old["triage"] = {**data["triage"], "reasons": [{"fact": "age", "value": 70, "rule": "r", "because": "b"}]}
    result = Result.from_dict(old)
    assert result.open_red_flags == [SafetyQuestion(**question)]  # unknown is not "no"
    assert result.open_assessment_questions == [] and result.policy == [] and result.programme is None
    assert result.triage.reasons[0].facts == {"age": 70} and result.engine == ""
