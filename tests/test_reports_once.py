"""The patient part says each thing once (issue 19 §4): no sentence twice, over generated cases and the
worked cases, in English and Spanish; reasons that share a conclusion are merged from the result's
structure; the tick sheet follows each exercise's frequency (issue 19 §2)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import decision_core
from decision_core.adapters.reports import render
from decision_core.adapters.reports.handout import sheet, tick_lines
from decision_core.adapters.reports.view import build_view
from decision_core.catalogue.dose import Dose, Frequency
from decision_core.i18n.translations import get_translator

from patient_part import LANGS, patient_html_text, patient_markdown, repeated, sentences, worked_cases

SPRINTER = {"age": 22, "activity_level": "competitive", "sports": ["sprinting"], "onset": "sudden",
            "onset_during_sprint_or_kick": True, "popping_sensation": True, "bruising": True,
            "pain_when_walking": True, "sharp_pain": True, "pain_level": 7}
DESK = {"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True, "activity_level": "sedentary"}


def repeated_in_patient_part(result, lang: str) -> dict[str, list[str]]:
    md = patient_markdown(render(result, "markdown", lang=lang).decode(), lang)
    html = patient_html_text(render(result, "html", lang=lang).decode())
    return {fmt: found for fmt, found in (("markdown", repeated(md)), ("html", repeated(html))) if found}


def test_the_sentence_splitter_finds_a_repeat_and_ignores_labels():
    text = "- Sets: 3\n- Sets: 3\n1. Lie on your back slowly. Lift it. [1]\n2. Lie on your back slowly.\n"
    assert repeated(text) == ["Lie on your back slowly."]
    assert "Sets: 3" not in sentences(text)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", worked_cases())
def test_no_sentence_twice_in_the_patient_part_of_a_worked_case(case, lang):
    assert not repeated_in_patient_part(decision_core.evaluate(case["facts"]), lang)


@pytest.mark.parametrize("engine", ["durable", "plain"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_sentence_twice_in_the_patient_part_of_any_case(data, engine, builtin_catalogue, builtin_evaluators,
                                                          valid_facts):
    result = builtin_evaluators[engine].evaluate(data.draw(valid_facts(builtin_catalogue)))
    lang = data.draw(st.sampled_from(LANGS))
    assert not repeated_in_patient_part(result, lang), result.facts


@pytest.mark.parametrize("lang", LANGS)
def test_triage_reasons_with_one_conclusion_are_one_line_naming_what_the_others_add(lang):
    result = decision_core.evaluate(SPRINTER)
    view = build_view(result, lang=lang)
    levels = [r.level for r in result.triage.reasons]
    assert len(view.patient_reasons) == len(set(levels)) < len(levels)
    tr = get_translator(lang)
    first, *_ = [r for r in decision_core.evaluate(SPRINTER).triage.reasons]
    strain = view.patient_reasons[0]
    assert strain.startswith(tr.gettext(first.because.strip()))
    for label in ("Bruising on the back of the thigh", "Pain when walking"):
        assert tr.gettext(label).lower() in strain.lower()
    assert "point the same way" not in strain or lang == "en"
    # the practitioner part keeps every reason, word for word
    assert len(view.reasons) == len(levels)


def test_cause_evidence_the_triage_reasons_already_gave_is_not_repeated_to_the_patient():
    view = build_view(decision_core.evaluate(SPRINTER))
    strain = next(c for c in view.causes if c.id == "acute_strain")
    assert strain.supporting and not strain.patient_evidence
    desk = build_view(decision_core.evaluate(DESK))
    assert all(c.patient_evidence == c.supporting for c in desk.causes), "nothing said before: all of it stays"


def every_item(facts):
    """A result shown with every allowed item (as a result saved before results had a programme)."""
    result = decision_core.evaluate(facts)
    result.programme = None
    return result


def test_a_stop_rule_several_exercises_share_is_said_once_naming_them():
    view = build_view(every_item(DESK))
    stops = [n for n in view.shared if n.kind == "stop_if"]
    assert stops and all(len(n.names) > 1 for n in stops)
    for note in stops:
        owners = [i for i in view.exercises if i.stop_if == note.text]
        assert sorted(i.name for i in owners) == sorted(note.names)
        assert all(i.stop_if is None for i in view.patient_exercises if i.name in note.names)
    md = render(every_item(DESK), "markdown").decode()
    assert md.count(stops[0].text) == 1 + sum(1 for i in view.exercises if i.stop_if == stops[0].text) - len(
        stops[0].names), "once in the patient part (the practitioner part lists no stop rules)"


@pytest.mark.parametrize("lang", LANGS)
def test_seek_care_lines_are_grouped_by_whom_to_call(lang):
    view = build_view(decision_core.evaluate(DESK), lang=lang)
    calls = [g.call for g in view.calls]
    assert len(calls) == len(set(calls)) == len({line.call for line in view.safety_net})
    assert sum(len(g.says) for g in view.calls) == len({line.says for line in view.safety_net})
    md = render(decision_core.evaluate(DESK), "markdown", lang=lang).decode()
    for call in calls:
        assert md.count(call) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_the_policy_is_the_clinics_safety_rules_in_the_patients_source_list(lang):
    view = build_view(decision_core.evaluate(SPRINTER), lang=lang)
    policy = next(s for s in view.patient_sources if s.id == "policy")
    assert "§2a" not in policy.title and "contract" not in policy.title.lower()
    tr = get_translator(lang)
    assert policy.title == tr.gettext("The clinic's safety rules (the warning signs, and what each one rules out)")
    if lang == "es":
        assert policy.title.startswith("Las normas de seguridad")
    # the practitioner's list keeps the exact source
    assert any(s.id == "policy" and "§2a" in s.title for s in view.sources)


@pytest.mark.parametrize("freq, lines", [
    (Frequency(2, "day"), [7, 7]),   # two boxes a day
    (Frequency(1, "day"), [7]),      # one a day
    (Frequency(3, "week"), [3]),     # a box per session
    (Frequency(1, "week"), []),      # weekly: nothing to tick
    (None, None),                    # no frequency: a blank for the practitioner
])
def test_the_tick_boxes_follow_the_frequency(freq, lines):
    assert tick_lines(Dose(frequency=freq)) == lines


def test_a_weekly_item_gets_a_note_and_a_long_programme_more_tables():
    view = build_view(decision_core.evaluate(DESK))
    items = view.exercises[:2]
    weekly = [items[0].__class__(**{**items[0].__dict__, "dose": Dose(frequency=Frequency(1, "week")),
                                    "slots": [s for s in items[0].slots]})] + items[1:]
    out = sheet(weekly, 6, str)
    assert out.rows[0].lines == [] and out.rows[0].note.startswith("Nothing to tick")
    assert out.tables == [[1, 2, 3, 4], [5, 6]]


def test_boxes_never_wrap_in_the_html():
    html = render(decision_core.evaluate(DESK), "html").decode()
    assert '<span class="line">\u2610\u2610\u2610\u2610\u2610\u2610\u2610</span>' in html
    from decision_core.adapters.reports.formats import _css

    assert ".sheet .line { display: block; white-space: nowrap; }" in _css(False)
