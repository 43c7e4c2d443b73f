"""The typed result: its classes, its dictionary form and the HTTP schema stay one shape."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from decision_core.adapters.http import result_schemas as schemas
from decision_core.result.model import RESULT_CLASSES, Result, dict_keys

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("schema_name", sorted(RESULT_CLASSES))
def test_schema_has_exactly_the_fields_of_its_class(schema_name):
    schema = getattr(schemas, schema_name)()
    cls = RESULT_CLASSES[schema_name]
    assert set(schema.fields) == dict_keys(cls), schema_name


@SETTINGS
@given(data=st.data())
def test_dict_form_reads_back_to_the_same_result(data, builtin_evaluators, valid_facts):
    evaluator = builtin_evaluators["plain"]
    result = evaluator.evaluate(data.draw(valid_facts(evaluator.catalogue)))
    data = result.to_dict()
    assert Result.from_dict(data).to_dict() == data
    assert schemas.ResultSchema().validate(data) == {}


@SETTINGS
@given(data=st.data())
def test_dict_form_has_exactly_the_declared_keys(data, builtin_evaluators, valid_facts):
    evaluator = builtin_evaluators["plain"]
    data = evaluator.evaluate(data.draw(valid_facts(evaluator.catalogue))).to_dict()
    assert set(data) == dict_keys(Result) - {"record_id"}  # record_id: only when the evaluation is recorded
    for cause in data["causes"]:
        assert set(cause) == dict_keys(RESULT_CLASSES["CauseSchema"])
        for ev in cause["evidence"]:
            assert set(ev) <= dict_keys(RESULT_CLASSES["EvidenceSchema"])
    for rec in data["recommendations"]:
        assert set(rec) <= dict_keys(RESULT_CLASSES["RecommendationSchema"])
