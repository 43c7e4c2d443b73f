"""The dose model (decision_core/catalogue/dose.py): reading doses and short specs, ranges, the three layers
(source, clinic, practitioner) with a basis per figure, what a full dose still lacks, and its text."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from decision_core.catalogue.citations import Citation
from decision_core.catalogue.dose import (
    AMOUNT_FIELDS,
    FIGURES,
    Dose,
    DoseError,
    Frequency,
    amount,
    dose_text,
    figure_texts,
    frequency,
    parse_spec,
    resolve,
    same_figures,
)

# ------------------------------------------------------------------ short specs


@pytest.mark.parametrize("spec, expected", [
    ("3x12@daily", Dose(sets=3, reps=12, frequency=Frequency(1, "day"))),
    ("2x15-30@2/week", Dose(sets=2, reps=(15, 30), frequency=Frequency(2, "week"))),
    ("1x5x5s", Dose(sets=1, reps=5, hold_seconds=5)),
    ("3x30s@2/day", Dose(sets=3, hold_seconds=30, frequency=Frequency(2, "day"))),
    ("30-60s", Dose(duration_seconds=(30, 60))),
    ("3x10+side@weekly~6w", Dose(sets=3, reps=10, per_side=True, frequency=Frequency(1, "week"), weeks=6)),
    (" 3 \u00d7 12 @ daily ", Dose(sets=3, reps=12, frequency=Frequency(1, "day"))),
    ("15", Dose(reps=15)),
])
def test_a_short_spec_reads_as_its_figures_each_from_the_practitioner(spec, expected):
    dose = parse_spec(spec)
    assert dose == expected
    assert dose.basis == {name: "practitioner" for name in dose.given()}
    assert parse_spec(spec, basis="clinic").basis == {name: "clinic" for name in dose.given()}


@pytest.mark.parametrize("spec, names", [
    ("3x12@fortnightly", "frequency: 'fortnightly'"),
    ("3x12@25/day", "frequency: 25 times a day is more than 20"),
    ("3x0", "reps: must be a positive number"),
    ("0x12", "sets: must be a positive number"),
    ("3x12~0w", "weeks: must be a whole number of at least 1"),
    ("three sets", "'three sets' is not a dose such as 3x12@daily"),
    ("3x12@daily@weekly", "is not a dose such as"),
])
def test_a_bad_spec_is_refused_naming_the_part(spec, names):
    with pytest.raises(DoseError) as caught:
        parse_spec(spec)
    assert names in str(caught.value)


# ------------------------------------------------------------------ figures, ranges, frequencies


@pytest.mark.parametrize("value, expected", [
    (12, 12), ("12", 12), (2.5, 2.5), ("10-12", (10, 12)), ("10\u201312", (10, 12)), ([10, 12], (10, 12)),
    ({"low": 30, "high": 60}, (30, 60)), ("5-5", 5), (4.0, 4),
])
def test_a_figure_is_a_number_or_a_range(value, expected):
    assert amount(value, "reps") == expected


@pytest.mark.parametrize("value, message", [
    (0, "reps: must be a positive number, not 0"), (-3, "must be a positive number"), (True, "not True"),
    ("ten", "reps: 'ten' is not a number"), ({"low": 12, "high": 10}, "runs backwards"),
    (20000, "is more than 10000"), (None, "must be a positive number"),
])
def test_a_bad_figure_is_refused_naming_the_field(value, message):
    with pytest.raises(DoseError, match="^reps: ") as caught:
        amount(value, "reps")
    assert message in str(caught.value)


@pytest.mark.parametrize("value, expected", [
    ("daily", Frequency(1, "day")), ("weekly", Frequency(1, "week")), ("2/week", Frequency(2, "week")),
    ("3 / day", Frequency(3, "day")), ("twice a week", Frequency(2, "week")), ("twice-daily", Frequency(2, "day")),
    ("3 times a day", Frequency(3, "day")), ("once per week", Frequency(1, "week")),
    ({"times": 2, "per": "week"}, Frequency(2, "week")), ({"per": "day"}, Frequency(1, "day")),
])
def test_how_often_reads_words_short_forms_and_mappings(value, expected):
    assert frequency(value) == expected


@pytest.mark.parametrize("value", ["several times a day", "after every run", {"times": 2, "per": "month"}, 3,
                                   {"times": 0, "per": "day"}])
def test_how_often_refuses_what_is_not_a_count_per_day_or_week(value):
    with pytest.raises(DoseError, match="^frequency"):
        frequency(value)


def test_from_dict_reads_every_field_and_refuses_unknown_ones():
    dose = Dose.from_dict({"sets": 3, "reps": "10-12", "per_side": True, "frequency": "2/week", "weeks": 6,
                           "detail": "Slowly."}, basis="source")
    assert dose == Dose(sets=3, reps=(10, 12), per_side=True, frequency=Frequency(2, "week"), weeks=6,
                        detail="Slowly.")
    assert dose.basis == {"sets": "source", "reps": "source", "per_side": "source", "frequency": "source",
                          "weeks": "source"}
    with pytest.raises(DoseError, match="unknown dose field 'hold'"):
        Dose.from_dict({"hold": "5 s"})
    with pytest.raises(DoseError, match="per_side: must be true or false"):
        Dose.from_dict({"per_side": "yes"})
    with pytest.raises(DoseError, match="a dose is a mapping"):
        Dose.from_dict([3, 12])
    assert Dose.from_dict(None) == Dose()


# ------------------------------------------------------------------ layers and basis

SOURCE = Dose(sets=3, reps=(10, 12), frequency=Frequency(2, "week"), detail="From the article.",
              basis={"sets": "source", "reps": "source", "frequency": "source"},
              citations=(Citation("001", "Add 3 sets of 10 to 12 reps to your routine twice per week."),))
CLINIC = Dose(sets=2, reps=8, frequency=Frequency(1, "day"), weeks=6)


def test_the_source_wins_over_the_clinic_and_the_clinic_fills_what_the_source_leaves_out():
    dose = resolve(SOURCE, CLINIC)
    assert (dose.sets, dose.reps, dose.frequency, dose.weeks) == (3, (10, 12), Frequency(2, "week"), 6)
    assert dose.basis == {"sets": "source", "reps": "source", "frequency": "source", "weeks": "clinic"}
    assert dose.citations == SOURCE.citations and dose.detail == "From the article."


def test_a_practitioners_override_replaces_the_whole_dose_but_the_programme_length():
    dose = resolve(SOURCE, CLINIC, parse_spec("4x30s"))
    assert (dose.sets, dose.reps, dose.hold_seconds, dose.frequency, dose.weeks) == (4, None, 30, None, 6)
    assert dose.basis == {"sets": "practitioner", "hold_seconds": "practitioner", "weeks": "clinic"}
    assert dose.citations == (), "nothing of it rests on the source any more"
    assert resolve(SOURCE, CLINIC, parse_spec("3x12~4w")).weeks == 4


def test_no_citations_once_nothing_comes_from_the_source():
    dose = resolve(SOURCE, None, parse_spec("2x8@daily"))
    assert set(dose.basis.values()) == {"practitioner"} and dose.citations == ()


def test_a_source_without_figures_and_no_clinic_leaves_the_gaps():
    dose = resolve(Dose(detail="Gently."), None, None)
    assert dose.given() == [] and dose.missing("exercise") == ["sets", "reps", "frequency"]
    assert dose_text(dose) == "" and dose.detail == "Gently."


def test_what_a_full_dose_still_lacks():
    assert Dose().missing("exercise") == ["sets", "reps", "frequency"]
    assert Dose(duration_seconds=(30, 60)).missing("exercise") == ["sets", "frequency"]
    assert Dose(sets=1, hold_seconds=5, frequency=Frequency(1, "day")).missing("exercise") == []
    assert Dose().missing("referral") == [] and Dose().missing("lifestyle") == []


# ------------------------------------------------------------------ text


@pytest.mark.parametrize("dose, text", [
    (SOURCE, "3 sets, 10\u201312 reps, twice a week"),
    (Dose(sets=1, reps=1), "1 set, 1 rep"),
    (Dose(reps=15, hold_seconds=5), "15 reps, hold 5 s"),
    (Dose(duration_seconds=(30, 60), per_side=True), "30\u201360 s, each side"),
    (Dose(duration_seconds=1200), "20 min"),
    (Dose(duration_seconds=90), "90 s"),
    (Dose(frequency=Frequency(1, "day"), weeks=1), "every day, for 1 week"),
    (Dose(frequency=Frequency(3, "week"), weeks=6), "3 times a week, for 6 weeks"),
    (Dose(sets=2.5), "2.5 sets"),
    (Dose(per_side=False), ""),
])
def test_a_dose_reads_as_one_phrase(dose, text):
    assert dose_text(dose) == text


def test_the_text_goes_through_the_translation_callable():
    spanish = {"{n} sets": "{n} series", "{n} reps": "{n} repeticiones", "twice a week": "dos veces por semana"}
    assert figure_texts(SOURCE, lambda s: spanish.get(s, s)) == {
        "sets": "3 series", "reps": "10\u201312 repeticiones", "frequency": "dos veces por semana"}


def test_same_figures_ignores_where_they_came_from():
    assert same_figures(SOURCE, Dose(sets=3, reps=(10, 12), frequency=Frequency(2, "week"), detail="From the article."))
    assert not same_figures(SOURCE, Dose(sets=3, reps=12, frequency=Frequency(2, "week"), detail="From the article."))


# ------------------------------------------------------------------ properties

_number = st.integers(min_value=1, max_value=500)
_amounts = st.one_of(_number, st.tuples(_number, _number).filter(lambda t: t[0] < t[1]))
_doses = st.builds(
    Dose,
    sets=st.none() | _amounts, reps=st.none() | _amounts, hold_seconds=st.none() | _amounts,
    duration_seconds=st.none() | _amounts, per_side=st.none() | st.booleans(),
    frequency=st.none() | st.builds(Frequency, st.integers(1, 20), st.sampled_from(["day", "week"])),
    weeks=st.none() | st.integers(1, 104), detail=st.none() | st.text(min_size=1, max_size=30).filter(str.strip),
)
_bases = st.sampled_from(["source", "clinic", "practitioner"])


@settings(max_examples=200, deadline=None)
@given(dose=_doses, basis=_bases)
def test_a_dose_reads_back_from_its_dictionary_form(dose, basis):
    marked = Dose.from_dict(dose.to_dict(), basis=basis)
    assert marked == dose and set(marked.basis) == set(dose.given())
    again = Dose.from_dict(marked.to_dict())
    assert again == marked and dict(again.basis) == dict(marked.basis)


@settings(max_examples=200, deadline=None)
@given(source=_doses, clinic=st.none() | _doses, practitioner=_doses)
def test_resolving_never_loses_a_practitioner_figure(source, clinic, practitioner):
    practitioner = Dose(**{name: getattr(practitioner, name) for name in practitioner.given()},
                        basis={name: "practitioner" for name in practitioner.given()})
    dose = resolve(source, clinic, practitioner)
    for name in practitioner.given():
        assert getattr(dose, name) == getattr(practitioner, name) and dose.basis[name] == "practitioner"
    # every figure says where it came from, and only 'source' figures bring the source's citations
    assert set(dose.basis) == set(dose.given())
    assert (dose.citations == source.citations) == ("source" in dose.basis.values() or not source.citations)
    # reps, a hold and a time are one 'how much': never a mix of the practitioner's and a lower layer's
    how_much = {dose.basis[f] for f in AMOUNT_FIELDS[1:] if getattr(dose, f) is not None}
    if any(getattr(practitioner, f) is not None for f in AMOUNT_FIELDS[1:]):
        assert how_much == {"practitioner"}


@settings(max_examples=100, deadline=None)
@given(dose=_doses)
def test_every_given_figure_has_words(dose):
    texts = figure_texts(dose)
    assert set(texts) == {name for name in dose.given() if not (name == "per_side" and dose.per_side is False)}
    assert all(name in FIGURES for name in texts)


def test_a_short_range_written_high_low_means_low_high():
    # a practitioner's shorthand: '3x12-10' can only mean 10 to 12; ruleset data stays strict (above)
    assert parse_spec("3x12-10").reps == (10, 12)
    assert parse_spec("60-30s").duration_seconds == (30, 60)
