"""The handout shows the result's programme, not the whole list (issue 19 §1-§3): its phases, each
exercise dosed ("starting dose" where a figure is the product's default), a few everyday changes, the
length and review date; the practitioner part lists the alternatives with how to swap one in; the
patient part opens with the open red flags only, the other open questions go to the practitioner.

The programme and the red-flag split are set on the result here as INTERFACE.md gives them, so these
tests pin down the display whichever rules choose the programme."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import decision_core
from decision_core.adapters.reports import render
from decision_core.adapters.reports.clinic import ClinicProfile
from decision_core.adapters.reports.view import build_view
from decision_core.result.programme import Programme

from patient_part import LANGS, patient_html_text, patient_markdown

DESK = {"age": 38, "activity_level": "sedentary", "sitting_hours_per_day": 10, "uses_standing_desk": False,
        "tightness_side": "both", "onset": "gradual", "pain_level": 2, "sharp_pain": False,
        "glute_bridge_hamstring_cramp": True}
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
STARTING = {"sets": 2, "reps": 10, "frequency": {"times": 1, "per": "day"},
            "basis": {"sets": "default", "reps": "default", "frequency": "default"}}
RED = ("urgent", "emergency")


def with_programme(facts=DESK, start=2, progress=1, lifestyle=1):
    """A result with a programme chosen from its own recommendations and its open questions split."""
    result = decision_core.evaluate(facts)
    exercises = [r for r in result.recommendations if r.kind == "exercise"]
    others = [r for r in result.recommendations if r.kind != "exercise" and not r.leads]
    chosen = exercises[:start + progress]

    def item(rec):
        return {"id": rec.id, "dose": STARTING, "starting_dose": True}

    result.programme = Programme.from_dict({
        "on_hold": False, "weeks": 4, "review_in_weeks": 3,
        "phases": [{"id": "start", "name": "Start with", "items": [item(r) for r in chosen[:start]]},
                   {"id": "progress", "name": "When that is easy", "items": [item(r) for r in chosen[start:]]}],
        "lifestyle": [{"id": r.id, "dose": {}} for r in others[:lifestyle]],
        "alternatives": [{"id": r.id, "why": "same_job"} for r in exercises[start + progress:]]
        + [{"id": r.id, "why": "limit"} for r in others[lifestyle:]],
    })
    questions = result.open_safety_questions
    result.open_red_flags = [q for q in questions if q.could_raise_to in RED]
    result.open_assessment_questions = [q for q in questions if q.could_raise_to not in RED]
    return result


def parts(result, lang="en", **options):
    md = render(result, "markdown", lang=lang, **options).decode()
    return patient_markdown(md, lang), md


def test_the_patient_part_shows_the_programme_and_not_the_alternatives():
    result = with_programme()
    patient, whole = parts(result)
    view = build_view(result)
    chosen = [i for phase in result.programme.to_dict()["phases"] for i in phase["items"]]
    assert [i.id for i in view.exercises] == [i["id"] for i in chosen]
    names = {r.id: r.name for r in result.recommendations}
    for item in chosen + result.programme.to_dict()["lifestyle"]:
        assert names[item["id"]] in patient
    alternatives = result.programme.to_dict()["alternatives"]
    assert alternatives, "the case has items the programme did not choose"
    for alt in alternatives:
        assert f"**{names[alt['id']]}**" not in patient and f". {names[alt['id']]}\n" not in patient
        assert f"`{alt['id']}`" in whole.split(patient, 1)[1], "the practitioner part lists it"
    assert "### Start with" in patient and "### When that is easy" in patient
    assert patient.index("### Start with") < patient.index("### When that is easy")
    assert "--dose " in whole, "the practitioner part says how to swap an alternative in"


def test_a_default_dose_is_marked_as_a_starting_dose_the_practitioner_may_change():
    patient, _ = parts(with_programme())
    chosen = 3
    assert patient.count("Starting dose: your practitioner may change it") == chosen
    assert "2 sets" in patient and "10 reps" in patient


def test_the_clinic_default_replaces_the_products_starting_dose():
    result = with_programme()
    first = result.programme.to_dict()["phases"][0]["items"][0]["id"]
    from decision_core.catalogue.dose import parse_spec

    clinic = ClinicProfile(name="Clinic", doses={first: parse_spec("3x12@daily")})
    view = build_view(result, clinic=clinic)
    item = next(i for i in view.exercises if i.id == first)
    assert (item.dose.sets, item.dose.reps) == (3, 12) and not item.starting_dose
    assert all(i.starting_dose for i in view.exercises if i.id != first)


def test_the_review_date_is_the_report_date_plus_the_review_weeks_and_the_clinic_may_set_the_length():
    view = build_view(with_programme(), generated_at=WHEN)
    assert view.header.programme_weeks == 4 and view.header.review_date_text == "22 December 2026"
    clinic = ClinicProfile(name="Clinic", programme_weeks=6)
    view = build_view(with_programme(), generated_at=WHEN, clinic=clinic)
    assert view.header.programme_weeks == 6 and view.header.review_date_text == "12 January 2027"
    assert view.sheet.weeks == 6


@pytest.mark.parametrize("lang", LANGS)
def test_the_patient_part_opens_with_the_red_flags_only(lang):
    result = with_programme()
    assert result.open_red_flags and result.open_assessment_questions
    view = build_view(result, lang=lang)
    patient, whole = parts(result, lang)
    html = patient_html_text(render(result, "html", lang=lang).decode())
    for group in view.red_flags:
        for question in group.questions:
            assert question in patient and question in html
    practitioner = whole.split(patient, 1)[1]
    for q in view.assessment_questions:
        assert q.question not in patient and q.question not in html, "an assessment question is the practitioner's"
        assert q.question in practitioner
    from decision_core.i18n.translations import get_translator
    from decision_core.i18n.wording import RED_FLAGS_CALL

    heading = get_translator(lang).gettext(RED_FLAGS_CALL["emergency"])
    assert heading in patient
    assert patient.index(heading) < patient.index(view.exercises[0].name)
    assert view.mark == view.levels.presentation(view.level).mark_while_unconfirmed


def test_with_no_red_flag_open_the_triage_is_not_shown_as_unconfirmed():
    result = with_programme()
    result.open_red_flags = []
    view = build_view(result)
    assert view.open_safety_questions and not view.unconfirmed
    assert view.mark == view.levels.presentation(view.level).mark
    patient, _ = parts(result)
    assert "do not start" not in patient and "Safety questions still open" not in patient


def test_a_result_without_a_programme_is_shown_as_before():
    result = decision_core.evaluate(DESK)
    result.programme = None  # saved before results had one
    view = build_view(result)
    assert view.programme is None
    assert [i.id for i in view.exercises] == [r.id for r in result.recommendations
                                              if r.kind == "exercise" and not r.leads]


def test_the_real_desk_worker_gets_its_programme_only():
    result = decision_core.evaluate(DESK)
    view = build_view(result)
    assert [i.id for i in view.exercises] == result.programme.exercise_ids
    assert 0 < len(view.exercises) <= 5 and all(not i.blanks for i in view.exercises), "every exercise dosed"
    patient, _ = parts(result)
    names = {r.id: r.name for r in result.recommendations}
    for alt in result.programme.alternatives:
        assert f"{names[alt.id]}\n" not in patient and f"**{names[alt.id]}**" not in patient


def test_fhir_carries_the_programme_as_a_care_plan_with_the_review_date_and_no_alternative_as_an_activity():
    import json

    result = with_programme()
    bundle = json.loads(render(result, "fhir", generated_at=WHEN))  # validated against the R4B models
    resources = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    plans = [r for r in resources.values() if r["resourceType"] == "CarePlan"]
    assert len(plans) == 1
    plan = plans[0]
    assert plan["period"] == {"start": "2026-12-01", "end": "2026-12-22"}
    chosen = [i["id"] for phase in result.programme.to_dict()["phases"] for i in phase["items"]]
    chosen += [i["id"] for i in result.programme.to_dict()["lifestyle"]]
    shown = []
    for activity in plan["activity"]:
        if "reference" in activity:
            request = resources[activity["reference"]["reference"]]
            assert request["resourceType"] == "ServiceRequest" and request["occurrenceTiming"]["repeat"]
            shown.append(request["code"]["coding"][0]["code"])
        else:
            shown.append(activity["detail"]["code"]["coding"][0]["code"])
    assert shown == chosen
    alternatives = [a["id"] for a in result.programme.to_dict()["alternatives"]]
    requested = {r["code"]["coding"][0]["code"] for r in resources.values() if r["resourceType"] == "ServiceRequest"}
    assert not requested & set(alternatives), "an alternative is never requested"
    parameters = next(r for r in resources.values() if r["resourceType"] == "Parameters")["parameter"]
    named = [next(p["valueCode"] for p in a["part"] if p["name"] == "id") for a in parameters
             if a["name"] == "alternative"]
    assert named == alternatives
    assert any("Alternatives" in n["text"] for n in plan["note"])


def test_fhir_has_no_care_plan_without_a_programme_or_on_hold():
    import json

    saved = decision_core.evaluate(DESK)
    saved.programme = None  # a result saved before results had a programme
    held = decision_core.evaluate({"calf_swelling_redness": True})
    assert held.programme_on_hold
    for result in (saved, held):
        bundle = json.loads(render(result, "fhir"))
        assert not [e for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
