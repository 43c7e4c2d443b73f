"""The intake boundary: strict JSON types, ranges and enums, unknown = absent or
null, and an error that names every offending field."""
from __future__ import annotations

import json
import math
import re

import pytest

from decision_core.intake import Intake, InvalidFacts


@pytest.fixture(scope="module")
def intake(mini_catalogue):
    return Intake(mini_catalogue)


def errors_of(intake, facts):
    with pytest.raises(InvalidFacts) as info:
        intake.validate(facts)
    return info.value.errors


def test_every_fact_type_is_accepted(intake):
    facts = {"sitting": 7.5, "cramp": False, "red": True, "places": ["c", "a"], "sports": ["Running", " yoga "],
             "mood": "bad"}
    assert intake.validate(facts) == {
        "sitting": 7.5, "cramp": False, "red": True,
        "places": ["a", "c"],  # choices: sorted, duplicates dropped
        "sports": ["running", "yoga"],  # free words: lower case, trimmed, sorted
        "mood": "bad",
    }


def test_absent_and_null_both_mean_unknown(intake):
    assert intake.validate({}) == {}
    assert intake.validate({"cramp": None, "sitting": None, "places": None, "mood": None}) == {}
    assert intake.validate({"cramp": False, "sitting": 0}) == {"cramp": False, "sitting": 0}  # "no" and 0 are known


def test_range_bounds_are_inclusive(intake):
    assert intake.validate({"sitting": 0})["sitting"] == 0
    assert intake.validate({"sitting": 24})["sitting"] == 24


def test_every_offending_field_is_named_at_once(intake):
    errors = errors_of(intake, {
        "sitting": 25,            # out of range
        "cramp": "yes",           # wrong type
        "mood": "grumpy",         # unknown enum value
        "places": ["a", "knee"],  # unknown enum value in a list
        "sports": "running",      # a word where a list is expected
        "favourite_colour": "blue",  # not a fact
        "sitting_hours": 3,       # not a fact either (a near miss)
        "red": True,              # fine: must not be named
    })
    assert set(errors) == {"sitting", "cramp", "mood", "places[1]", "sports", "favourite_colour", "sitting_hours"}
    assert "greater than or equal to 0" in errors["sitting"][0] and "less than or equal to 24" in errors["sitting"][0]
    assert "boolean" in errors["cramp"][0]
    assert "good" in errors["mood"][0] and "bad" in errors["mood"][0]
    assert "Unknown field" in errors["favourite_colour"][0]


@pytest.mark.parametrize("value", [1, 0, "true", "false", "yes", [True]])
def test_booleans_must_be_true_or_false(intake, value):
    errors = errors_of(intake, {"cramp": value})
    assert list(errors) == ["cramp"]


@pytest.mark.parametrize("value", ["7", "7.5", "", True, False, [7], {"hours": 7}])
def test_numbers_must_be_numbers(intake, value):
    errors = errors_of(intake, {"sitting": value})
    assert list(errors) == ["sitting"]
    assert "number" in errors["sitting"][0].lower()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_rejected(intake, value):
    assert list(errors_of(intake, {"sitting": value})) == ["sitting"]


def test_nan_from_json_text_is_rejected(intake):
    facts = json.loads('{"sitting": NaN}')  # Python's json accepts it; we must not
    assert "finite" in errors_of(intake, facts)["sitting"][0]


def test_an_int_fact_takes_whole_numbers_only(builtin_catalogue):
    intake = Intake(builtin_catalogue)
    ints = [f for f in builtin_catalogue.facts.values() if f.type == "int"]
    assert ints, "the catalogue has int facts (age, pain_level)"
    fact = ints[0]
    whole = fact.min if fact.min is not None else 0
    assert intake.validate({fact.name: float(whole)}) == {fact.name: int(whole)}
    assert type(intake.validate({fact.name: float(whole)})[fact.name]) is int
    assert "whole number" in errors_of(intake, {fact.name: whole + 0.5})[fact.name][0]


def test_choice_values_are_case_sensitive_words(intake):
    assert list(errors_of(intake, {"mood": "Good"})) == ["mood"]
    assert list(errors_of(intake, {"mood": 1})) == ["mood"]
    assert list(errors_of(intake, {"mood": ["good"]})) == ["mood"]


def test_list_items_are_checked_one_by_one(intake):
    errors = errors_of(intake, {"sports": ["running", 3, ""], "places": "a"})
    assert set(errors) == {"sports[1]", "sports[2]", "places"}


def test_lists_have_a_length_limit(intake, mini_catalogue):
    limit = mini_catalogue.facts["sports"].max_items
    assert intake.validate({"sports": [f"s{i}" for i in range(limit)]})
    assert list(errors_of(intake, {"sports": [f"s{i}" for i in range(limit + 1)]})) == ["sports"]


@pytest.mark.parametrize("raw", [[], ["cramp"], "cramp", 3, None])
def test_facts_must_be_an_object(intake, raw):
    assert list(errors_of(intake, raw)) == ["_schema"]


def test_the_error_reads_well_and_serialises(intake):
    with pytest.raises(InvalidFacts) as info:
        intake.validate({"sitting": "7", "nope": 1})
    exc = info.value
    assert "sitting" in str(exc) and "nope" in str(exc)
    body = exc.to_dict()
    assert body["error"] == "invalid_facts" and set(body["fields"]) == {"sitting", "nope"}
    json.dumps(body)


def test_validation_does_not_touch_the_input(intake):
    raw = {"sports": ["Running"], "places": ["c", "a", "c"]}
    snapshot = json.loads(json.dumps(raw))
    intake.validate(raw)
    assert raw == snapshot


# ------------------------------------------------- the public vocabulary (domain.md §1)


def _domain_facts(domain_md: str) -> dict[str, dict]:
    """Fact name -> {type, min, max, values} from the table in domain.md §1."""
    section = domain_md.split("## 1.", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)]  # cells split on unescaped |
        if len(cells) < 4 or not re.fullmatch(r"`[a-z_0-9]+`", cells[1]):
            continue
        name, spec = cells[1].strip("`"), cells[2]
        values = re.findall(r"`([a-z_0-9]+)`", spec)
        entry: dict = {"min": None, "max": None, "values": tuple(values)}
        if spec.startswith("list of") and values:
            entry["type"] = "choices"
        elif spec.startswith("list of"):
            entry["type"] = "list"
        elif values:
            entry["type"] = "choice"
        else:
            entry["type"] = spec.split()[0]
            span = re.search(r"(\d+)\s*[–-]\s*(\d+)", spec)
            lower = re.search(r"≥\s*(\d+)", spec)
            if span:
                entry["min"], entry["max"] = float(span.group(1)), float(span.group(2))
            elif lower:
                entry["min"] = float(lower.group(1))
        out[name] = entry
    return out


def test_the_catalogue_has_every_fact_of_the_public_vocabulary(builtin_catalogue, shared_dir):
    expected = _domain_facts((shared_dir / "spec" / "domain.md").read_text(encoding="utf-8"))
    assert len(expected) >= 40, "could not read the fact table of domain.md"
    facts = builtin_catalogue.facts
    missing = sorted(set(expected) - set(facts))
    assert not missing, f"facts of domain.md missing from the catalogue: {missing}"
    wrong = {}
    for name, want in expected.items():
        fact = facts[name]
        got = {"type": fact.type, "min": fact.min, "max": fact.max, "values": set(fact.values)}
        want = {**want, "values": set(want["values"]) if want["type"] != "list" else set()}
        if got["type"] != want["type"] or got["values"] != want["values"] or got["min"] != want["min"] or \
                (want["max"] is not None and got["max"] != want["max"]):
            wrong[name] = (got, want)
    assert not wrong, f"facts that differ from domain.md (got, domain.md): {wrong}"


def test_builtin_intake_rejects_what_domain_md_forbids(builtin_catalogue):
    intake = Intake(builtin_catalogue)
    errors = errors_of(intake, {"age": 9, "pain_level": 11, "sitting_hours_per_day": "8",
                                "onset": "slow", "pain_locations": ["knee"], "sharp_pain": 1,
                                "straight_leg_raise_degrees": 121, "tightness_duration_weeks": -1,
                                "hamstring_length": 3})
    assert set(errors) == {"age", "pain_level", "sitting_hours_per_day", "onset", "pain_locations[0]",
                           "sharp_pain", "straight_leg_raise_degrees", "tightness_duration_weeks",
                           "hamstring_length"}


def _schema_outcome(intake, raw):
    """What the full marshmallow schema says about raw facts: (data, None) or (None, errors)."""
    from marshmallow import ValidationError

    from decision_core.intake import _flatten

    try:
        return {k: v for k, v in intake.schema.load(dict(raw)).items() if v is not None}, None
    except ValidationError as exc:
        return None, {k: sorted(v) for k, v in _flatten(exc.messages).items()}


WRONG_VALUES = [1, 0, 5, 30, "true", "7", 7.5, -1, 1000, None, [], ["x"], [3], "not_a_value", {"a": 1}, float("nan")]


def test_validation_agrees_with_the_full_schema(builtin_catalogue):
    # Intake validates only the fields sent; it must say exactly what schema.load says.
    from hypothesis import given, settings, strategies as st

    intake = Intake(builtin_catalogue)  # one for every example: answers it remembers must not change a verdict
    names = sorted(builtin_catalogue.facts) + ["not_a_fact"]
    words = sorted({v for f in builtin_catalogue.facts.values() for v in f.values})
    values = WRONG_VALUES + [True, False] + words

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.sampled_from(names), st.sampled_from(values), max_size=8))
    def agree(raw):
        data, errors = _schema_outcome(intake, raw)
        try:
            got = intake.validate(raw)
        except InvalidFacts as exc:
            assert errors == {k: sorted(v) for k, v in exc.errors.items()}
        else:
            assert errors is None
            assert set(got) == set(data)

    agree()


def test_a_remembered_answer_is_valid_only_for_its_own_field_and_type(intake):
    # valid answers are remembered per (field, type, value): nothing carries over to another field or type
    assert intake.validate({"cramp": True, "mood": "good"}) == {"cramp": True, "mood": "good"}
    assert intake.validate({"cramp": True, "mood": "good"}) == {"cramp": True, "mood": "good"}
    assert list(errors_of(intake, {"cramp": 1})) == ["cramp"]
    assert list(errors_of(intake, {"cramp": "good"})) == ["cramp"]
    assert list(errors_of(intake, {"mood": "Good"})) == ["mood"]
    assert list(errors_of(intake, {"favourite_colour": "good"})) == ["favourite_colour"]
    assert type(intake.validate({"cramp": True})["cramp"]) is bool
    assert intake.validate({"sitting": 7}) == {"sitting": 7}
    assert list(errors_of(intake, {"sitting": True})) == ["sitting"]  # True == 1 in Python, not here
    assert list(errors_of(intake, {"cramp": 7})) == ["cramp"]
