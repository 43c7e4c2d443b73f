"""Doses, steps, progressions and stop rules as ruleset data: every figure comes from a passage
that gives it, every exercise has numbered steps, and a bad dose is refused naming its field."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from decision_core.catalogue.loading import RulesetError, load_ruleset_file, parse_ruleset
from decision_core.catalogue.dose import Frequency

PLUGIN_RULESETS = (Path(__file__).parent.parent / "plugins" / "hamstring-strength-deficit"
                   / "hamstring_strength_deficit" / "rulesets")

WORDS = {1: ["one", "once", "a single"], 2: ["two", "twice", "both"], 3: ["three"], 4: ["four"], 5: ["five"],
         6: ["six"], 10: ["ten"], 12: ["twelve"], 15: ["fifteen"], 20: ["twenty"], 30: ["thirty"]}
PERIODS = {"day": ["day", "daily"], "week": ["week", "weekly"]}


def _items(builtin_catalogue):
    items = list(builtin_catalogue.recommendations.values())
    items += [rec for path in sorted(PLUGIN_RULESETS.glob("*.yaml"))
              for rec in load_ruleset_file(path, "hamstring_strength_deficit").recommendations]
    return items


def _says(quotes: str, number) -> bool:
    """Whether the quotes give this number, in digits or in words."""
    names = [str(number)] + WORDS.get(number, [])
    if number >= 120 and number % 60 == 0:  # a time in seconds, given in minutes
        names += [f"{number // 60} minutes", f"{number // 60} minute", f"{number // 60}-minute"]
    return any(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", quotes) for name in names)


def _figure_in(quotes: str, name: str, value) -> bool:
    if isinstance(value, tuple):
        return all(_says(quotes, v) for v in value)
    if isinstance(value, Frequency):
        if value.times == 1 and re.search(rf"\b{PERIODS[value.per][1]}\b|\bevery {value.per}\b", quotes):
            return True
        return _says(quotes, value.times) and any(word in quotes for word in PERIODS[value.per])
    if name == "per_side":
        return any(word in quotes for word in ("one leg", "each side", "each leg", "other side"))
    return _says(quotes, value)


def test_every_figure_from_the_source_rests_on_a_quote_that_gives_it(builtin_catalogue):
    checked = 0
    for item in _items(builtin_catalogue):
        dose = item.dose
        quotes = " ".join(c.quote or "" for c in dose.citations).lower()
        for name in dose.given():
            assert dose.basis.get(name) == "source", (item.id, name)
            assert dose.citations and any(c.quote and re.search(
                r"\d|\b(one|once|two|twice|three|four|five|ten|daily|weekly)\b", c.quote.lower())
                for c in dose.citations), (item.id, name)
            assert _figure_in(quotes, name, getattr(dose, name)), \
                f"{item.id}: its {name} {getattr(dose, name)!r} is not in {quotes!r}"
            checked += 1
    assert checked >= 25


@pytest.mark.parametrize("item_id, figures", [
    ("hamstring_curl", {"sets": 3, "reps": (10, 12), "frequency": Frequency(2, "week")}),
    ("nerve_flossing", {"sets": 2, "reps": (15, 30)}),
    ("supine_alternate_toe_touch", {"sets": 2, "reps": 10}),
    ("toe_touch_progression", {"sets": 1, "reps": 5}),
    ("posterior_pelvic_tilt_hold", {"reps": 15, "hold_seconds": 5}),
    ("pelvic_tilts", {"reps": 20}),
    ("foam_rolling", {"duration_seconds": (30, 60)}),
    ("gentle_hamstring_stretch", {"frequency": Frequency(2, "day")}),
    ("glute_bridge", {"frequency": Frequency(1, "day")}),
    ("moist_heat", {"duration_seconds": 1200}),
    ("squat", {}), ("deadlift", {}), ("plank", {}), ("hip_90_90_transitions", {}),
])
def test_the_doses_are_the_sources_own(builtin_catalogue, item_id, figures):
    dose = builtin_catalogue.recommendations[item_id].dose
    assert {name: getattr(dose, name) for name in dose.given()} == figures


def test_every_exercise_has_numbered_steps_and_a_one_sentence_summary(builtin_catalogue):
    exercises = [item for item in _items(builtin_catalogue) if item.kind == "exercise"]
    assert len(exercises) >= 20
    for item in exercises:
        assert 3 <= len(item.steps) <= 6, item.id
        for step in item.steps:
            assert step[0].isupper() and step.endswith(".") and len(step) <= 100, (item.id, step)
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", step), (item.id, step)  # no engine ids
        assert item.instructions.endswith(".") and ". " not in item.instructions.rstrip("."), item.id


def test_progressions_and_stop_rules_cite_their_sources(builtin_catalogue):
    items = _items(builtin_catalogue)
    notes = [(item.id, note) for item in items for note in (item.progression, item.stop_if) if note]
    assert len(notes) >= 25
    for item_id, note in notes:
        assert note.citations and all(c.quote for c in note.citations), item_id
    stop = builtin_catalogue.recommendations["nerve_flossing"].stop_if
    assert "back off" in stop.text and stop.citations[0].source == "004"
    # every exercise says when to stop: every seed-backed stop rule is about pain
    for item in items:
        if item.kind == "exercise":
            assert item.stop_if is not None and re.search(r"pain|hurt", item.stop_if.text), item.id
    # an item's source ids include its dose's, progression's and stop rule's
    curl = builtin_catalogue.recommendations["hamstring_curl"]
    assert "001" in curl.sources and "002" in curl.sources


def test_a_result_carries_steps_progression_and_stop_rule(builtin_evaluators):
    result = builtin_evaluators["plain"].evaluate(
        {"toe_touch_tension_behind_knee_or_low_back": True, "symptoms_change_with_neck_flexion": True})
    floss = next((r for r in result.recommendations if r.id == "nerve_flossing"), None)
    assert floss is not None, result.recommendation_ids
    data = floss.to_dict()
    assert data["dose"] == {"sets": 2, "reps": {"low": 15, "high": 30}, "detail": floss.dose["detail"],
                            "basis": {"sets": "source", "reps": "source"},
                            "citations": [{"source": "004", "quote": "15-30 reps X 2 sets"}]}
    assert data["steps"][0] == "Sit tall on a chair." and data["stop_if"]["citations"][0]["source"] == "004"
    assert "progression" not in data


# ------------------------------------------------------------------ refused doses name the field

FILE = """\
ruleset: dose_errors
version: 1.0.0
kind: recommendations
title: Bad doses
items:
  - id: bad_one
    name: Bad one
    kind: exercise
    intensity: gentle
    instructions: Do it.
    sources: [{source: "001", quote: "fixture words"}]
"""


@pytest.mark.parametrize("dose, field, message", [
    ({"reps": "many", "sources": ["001"]}, "dose.reps", "'many' is not a number"),
    ({"sets": 0, "sources": ["001"]}, "dose.sets", "must be a positive number"),
    ({"reps": "12-10", "sources": ["001"]}, "dose.reps", "runs backwards"),
    ({"hold_seconds": {"low": 5}, "sources": ["001"]}, "dose.hold_seconds", "positive number"),
    ({"frequency": "after every run", "sources": ["001"]}, "dose.frequency", "daily, weekly, N/day, N/week"),
    ({"frequency": {"times": 2, "per": "month"}, "sources": ["001"]}, "dose.frequency", "per must be one of day, week"),
    ({"weeks": 0, "sources": ["001"]}, "dose.weeks", "greater than or equal to 1"),
    ({"per_side": "left", "sources": ["001"]}, "dose.per_side", "Not a valid boolean"),
    ({"sets": 3}, "dose.sources", "a dose with figures needs sources"),
    ({"hold": "5 s"}, "dose.hold", "'hold' is now hold_seconds"),
    ({"duration": "30-60 s"}, "dose.duration", "'duration' is now duration_seconds"),
    ({"reps": 10, "sources": [{"source": "001"}], "tempo": "slow"}, "dose.tempo", "Unknown field"),
])
def test_a_bad_dose_is_refused_naming_file_item_and_field(dose, field, message):
    raw = yaml.safe_load(FILE)
    raw["items"][0]["dose"] = dose
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(raw, "bad.yaml")
    problem = next(p for p in caught.value.problems if p.field == field)
    assert problem.file == "bad.yaml" and problem.rule == "item bad_one" and message in problem.message, problem
    assert f"bad.yaml, rule item bad_one, field {field}: " in str(caught.value)


@pytest.mark.parametrize("extra, field, message", [
    ("steps: []", "steps", "Length must be between 1 and 8"),
    ("steps: [ok]", "steps.0", "Length must be between 3 and 200"),
    ("stop_if: {text: Stop if it hurts.}", "stop_if.sources", "Missing data"),
    ("progression: {sources: ['001']}", "progression.text", "Missing data"),
])
def test_bad_steps_and_notes_are_refused_naming_the_field(extra, field, message):
    raw = yaml.safe_load(FILE + textwrap.indent(extra, "    ") + "\n")
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(raw, "bad.yaml")
    assert any(p.field == field and message in p.message for p in caught.value.problems), caught.value


def test_steps_alone_make_the_instructions():
    raw = yaml.safe_load(FILE.replace("    instructions: Do it.\n", "    steps: [Lie down., Lift your hips.]\n"))
    rec = parse_ruleset(raw, "ok.yaml").recommendations[0]
    assert rec.instructions == "Lie down. Lift your hips." and rec.steps == ("Lie down.", "Lift your hips.")
    raw = yaml.safe_load(FILE.replace("    instructions: Do it.\n", ""))
    with pytest.raises(RulesetError, match="field instructions: an item needs instructions"):
        parse_ruleset(raw, "bad.yaml")
