"""``Result.to_json()`` (decision_core.result.json_writer) writes exactly ``orjson.dumps(result.to_dict())``:
the public JSON contract, byte for byte, on generated cases and both engines."""
from __future__ import annotations

import dataclasses

import orjson
import pytest

from decision_core.result import json_writer as result_json
from decision_core.catalogue.citations import Citation
from decision_core.i18n.translations import get_translator, translate_result
from decision_core.intake import InvalidFacts
from decision_core.result.model import Result


def _results(evaluator, cases):
    for facts in cases:
        try:
            yield evaluator.evaluate(facts)
        except InvalidFacts:
            continue


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_same_bytes_as_the_dictionary_form_on_4000_cases(engine, builtin_evaluators, builtin_catalogue,
                                                         generated_cases):
    evaluator = builtin_evaluators[engine]
    differ, seen = [], 0
    for i, result in enumerate(_results(evaluator, generated_cases(builtin_catalogue, 4000, seed=22))):
        seen += 1
        if result.to_json() != orjson.dumps(result.to_dict()):
            differ.append(i)
    assert seen > 3500
    assert differ == []


def test_same_bytes_for_results_read_back_recorded_translated_or_without_a_programme(builtin_evaluators,
                                                                                     builtin_catalogue,
                                                                                     generated_cases):
    evaluator = builtin_evaluators["plain"]
    spanish = get_translator("es")
    for result in list(_results(evaluator, generated_cases(builtin_catalogue, 60, seed=5))):
        variants = [Result.from_dict(result.to_dict()), translate_result(result, spanish),
                    dataclasses.replace(result, record_id="r-123", programme=None)]
        for variant in variants:
            assert variant.to_json() == orjson.dumps(variant.to_dict())


def test_a_citation_without_a_quote_and_a_changed_citation_list(builtin_evaluators, builtin_catalogue,
                                                                generated_cases):
    evaluator = builtin_evaluators["plain"]
    result = next(r for r in _results(evaluator, generated_cases(builtin_catalogue, 200, seed=3))
                  if any(c.citations for c in r.causes))
    cause = next(c for c in result.causes if c.citations)
    result.to_json()  # the citations' JSON is now remembered
    cause.citations.append(Citation("001"))  # the same first citation, a longer list: not the remembered JSON
    cause.citations.insert(0, Citation("005", 'a "quoted" passage'))
    assert result.to_json() == orjson.dumps(result.to_dict())
    assert b'{"source":"001"}' in result.to_json()


def test_same_bytes_when_the_memory_of_citations_starts_again(builtin_evaluators, builtin_catalogue,
                                                              generated_cases, monkeypatch):
    monkeypatch.setattr(result_json, "_CACHE_MAX", 3)
    monkeypatch.setattr(result_json, "_CITATIONS", {})
    monkeypatch.setattr(result_json, "_HELD", 0)
    evaluator = builtin_evaluators["plain"]
    for result in list(_results(evaluator, generated_cases(builtin_catalogue, 30, seed=9))):
        assert result.to_json() == orjson.dumps(result.to_dict())
    assert 1 <= result_json._HELD <= 3
    assert sum(map(len, result_json._CITATIONS.values())) == result_json._HELD
