"""The FHIR export: for every public and safety case, an R4 Bundle that validates
against the fhir.resources R4B models, whose references resolve to resources of
the types R4 allows there, with a subject on every patient resource, the answers
as Observations the CDS intake reads back, one DetectedIssue per triage level
reached, ServiceRequests for referrals (and the emergency department), exercises
with structured Timing and typed dose figures, and no empty RequestGroup."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel

import decision_core
from decision_core.adapters.reports.clinic import ClinicProfile, Patient
from decision_core.fhir.intake import FactMapper
from decision_core.adapters.reports import ReportError, render
from decision_core.fhir.codes import EXERCISE_DOSE_EXTENSION, FACT_SYSTEM
from decision_core.catalogue.dose import Dose, Frequency, parse_spec
from decision_core.intake import FACT_CODE_SYSTEM
from decision_core.installation import default_core

from test_reports import ACUTE_WITH_WITHHELD, PUBLIC, PUBLIC_CASES, WHEN

SAFETY = PUBLIC.parent / "safety.json"
GUIDANCE_STATUS = {"success", "data-requested", "data-required", "in-progress", "failure", "entered-in-error"}
# The built-in levels in FHIR (fhir.codes.level_fhir reads them by rank): severity must differ by level.
SEVERITY = {"emergency": "high", "urgent": "moderate", "see_professional": "low"}
PRIORITY = {"emergency": "stat", "urgent": "urgent", "see_professional": "routine", "self_care": "routine"}
PATIENT_RESOURCES = {"GuidanceResponse": "subject", "RequestGroup": "subject", "ServiceRequest": "subject",
                     "Observation": "subject", "DetectedIssue": "patient"}


def load_cases(path: Path) -> list:
    if not path.is_file():
        return [pytest.param(None, id=f"no-{path.stem}",
                             marks=pytest.mark.skip(reason=f"{path} is absent (shared/ sits next to the repository)"))]
    return [pytest.param(case, id=case["id"]) for case in json.loads(path.read_text(encoding="utf-8"))["cases"]]


ALL_CASES = PUBLIC_CASES + load_cases(SAFETY)


def bundle_for(result: dict, **options) -> dict:
    return json.loads(render(result, "fhir", generated_at=WHEN, **options))


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_url(bundle: dict) -> dict[str, dict]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def check_references(model: BaseModel, kinds: dict[str, str], path: str = "") -> int:
    """Every reference inside the bundle resolves, to a resource type the R4 element allows. Returns the count."""
    checked = 0
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        allowed = (info.json_schema_extra or {}).get("enum_reference_types") if isinstance(
            info.json_schema_extra, dict) else None
        for item in value if isinstance(value, list) else [value]:
            reference = getattr(item, "reference", None) if allowed else None
            if isinstance(reference, str) and reference.startswith("urn:uuid:"):
                assert reference in kinds, f"{path}.{name}: {reference} is not in the bundle"
                assert "Resource" in allowed or kinds[reference] in allowed, \
                    f"{path}.{name} points at a {kinds[reference]}; R4 allows {allowed}"
                checked += 1
            if isinstance(item, BaseModel):
                checked += check_references(item, kinds, f"{path}.{name}")
    return checked


def validated(bundle: dict) -> Bundle:
    model = Bundle.model_validate(bundle)  # raises on anything R4 does not allow
    kinds = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    for entry in model.entry:
        check_references(entry.resource, kinds, entry.resource.__resource_type__)
    return model


def result_of(case: dict) -> dict:
    return decision_core.evaluate(case["facts"]).to_dict()


# ------------------------------------------------------------------ every case


@pytest.mark.parametrize("case", ALL_CASES)
def test_every_case_validates_with_a_subject_everywhere(case):
    result = result_of(case)
    bundle = bundle_for(result)
    validated(bundle)
    assert bundle["type"] == "collection"
    urls = by_url(bundle)
    (patient,) = resources(bundle, "Patient")  # anonymous: no details were given
    assert set(patient) == {"resourceType", "id"}
    subject = {"reference": next(u for u, r in urls.items() if r is patient)}
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] in PATIENT_RESOURCES:
            assert res[PATIENT_RESOURCES[res["resourceType"]]] == subject, res["resourceType"]
    assert "meta" not in json.dumps(bundle)  # no profile is claimed (see fhir.py)


@pytest.mark.parametrize("case", ALL_CASES)
def test_guidance_response_rests_on_the_answers(case):
    result = result_of(case)
    bundle = bundle_for(result)
    urls = by_url(bundle)
    (guidance,) = resources(bundle, "GuidanceResponse")
    assert bundle["entry"][0]["resource"] is guidance or bundle["entry"][0]["resource"] == guidance
    assert guidance["status"] == ("data-requested" if result["next_questions"] else "success")
    module = {(c["code"], c["version"]) for c in guidance["moduleCodeableConcept"]["coding"]}
    assert module == {(r["id"], r["version"]) for r in result["rulesets"]}
    assert guidance["reasonCode"][0]["coding"][0]["code"] == result["triage"]["level"]
    observations = [u for u, r in urls.items() if r["resourceType"] == "Observation"]
    assert [r["reference"] for r in guidance.get("reasonReference", [])] == observations
    asked = [d["codeFilter"][0]["code"][0] for d in guidance.get("dataRequirement", [])]
    assert [(c["system"], c["code"]) for c in asked] == [(FACT_SYSTEM, q["fact"]) for q in result["next_questions"]]
    outputs = urls[guidance["outputParameters"]["reference"]]
    assert outputs["resourceType"] == "Parameters"
    params = outputs["parameter"]
    assert {"name": "level", "valueCode": result["triage"]["level"]} in params[0]["part"]
    causes = [next(x["valueCode"] for x in p["part"] if x["name"] == "id") for p in params if p["name"] == "cause"]
    assert causes == [c["id"] for c in result["causes"]]
    flags = [urls[p["valueReference"]["reference"]]["resourceType"] for p in params if p["name"] == "red_flag"]
    assert flags == ["DetectedIssue"] * len(resources(bundle, "DetectedIssue"))


@pytest.mark.parametrize("case", ALL_CASES)
def test_answers_are_observations_the_cds_intake_reads_back(case):
    result = result_of(case)
    bundle = bundle_for(result)
    observations = resources(bundle, "Observation")
    assert FACT_SYSTEM == FACT_CODE_SYSTEM
    for obs in observations:
        assert obs["status"] == "final" and obs["code"]["coding"][0]["system"] == FACT_SYSTEM
    expected = {k: v for k, v in result["facts"].items() if v != []}  # "none of these" has no item to carry
    mapper = FactMapper(default_core().catalogue, FACT_SYSTEM)
    gathered = mapper.gather({}, {"answers": {"resourceType": "Bundle", "type": "searchset",
                                              "entry": [{"resource": o} for o in observations]}})
    assert gathered.facts == expected
    for name, value in expected.items():
        mine = [o for o in observations if o["code"]["coding"][0]["code"] == name]
        assert len(mine) == (len(value) if isinstance(value, list) else 1)
        if isinstance(value, bool):
            assert mine[0]["valueBoolean"] is value


@pytest.mark.parametrize("case", ALL_CASES)
def test_one_detected_issue_per_level_reached_with_its_severity_and_evidence(case):
    result = result_of(case)
    bundle = bundle_for(result)
    urls = by_url(bundle)
    issues = resources(bundle, "DetectedIssue")
    reasons = result["triage"]["reasons"]
    levels = list(dict.fromkeys(r["level"] for r in reasons if r["level"] in SEVERITY))
    assert sorted(i["code"]["coding"][0]["code"] for i in issues) == sorted(levels)
    for issue in issues:
        level = issue["code"]["coding"][0]["code"]
        assert issue["severity"] == SEVERITY[level] and issue["status"] == "preliminary"
        mine = [r for r in reasons if r["level"] == level]
        assert [e["code"][0]["coding"][0]["code"] for e in issue["evidence"]] == [r["rule"] for r in mine]
        for evidence, reason in zip(issue["evidence"], mine):
            read = [urls[d["reference"]] for d in evidence.get("detail", [])]
            assert {o["code"]["coding"][0]["code"] for o in read} == {f for f, v in reason["facts"].items() if v != []}
            assert all(o["resourceType"] == "Observation" for o in read)


@pytest.mark.parametrize("case", ALL_CASES)
def test_referrals_are_service_requests_and_the_plan_is_never_empty(case):
    result = result_of(case)
    bundle = bundle_for(result)
    urls = by_url(bundle)
    level = result["triage"]["level"]
    requests = resources(bundle, "ServiceRequest")
    for rec in (r for r in result["recommendations"] if r["kind"] == "referral"):
        (request,) = [s for s in requests if s["code"]["coding"][0]["code"] == rec["id"]]
        assert request["intent"] == "proposal" and request["status"] == "active"
        assert request["priority"] == PRIORITY[rec.get("for_triage") or level]
        issues = {u for u, r in urls.items() if r["resourceType"] == "DetectedIssue"}
        assert {s["reference"] for s in request.get("supportingInfo", [])} == issues
    emergency = [s for s in requests if s.get("locationCode", [{}])[0].get("coding", [{}])[0].get("code") == "ER"]
    assert len(emergency) == (1 if level == "emergency" else 0)
    if emergency:
        assert emergency[0]["priority"] == "stat"
        assert [urls[r["reference"]]["resourceType"] for r in emergency[0]["reasonReference"]] == \
            ["Observation"] * len(emergency[0]["reasonReference"])

    plans = resources(bundle, "RequestGroup")
    (guidance,) = resources(bundle, "GuidanceResponse")
    if not result["recommendations"]:
        assert not plans and "result" not in guidance
        return
    (plan,) = plans
    assert urls[guidance["result"]["reference"]] is plan
    assert plan["priority"] == PRIORITY[level] and plan["action"]
    shown = [r["id"] for r in result["recommendations"]]  # on hold: what to do now, every item of it
    if not result["programme_on_hold"]:  # else what leads, then the programme's choice (issue 19)
        leads = [r["id"] for r in result["recommendations"] if r.get("leads")]
        chosen = [i["id"] for p in result["programme"]["phases"] for i in p["items"]]
        shown = leads + [i for i in chosen + [x["id"] for x in result["programme"]["lifestyle"]] if i not in leads]
    assert [a["code"][0]["coding"][0]["code"] for a in plan["action"]] == shown
    for action in plan["action"]:
        kind = action["code"][0]["coding"][1]["code"]
        if kind in ("exercise", "referral"):
            target = urls[action["resource"]["reference"]]
            assert target["resourceType"] == "ServiceRequest"
            assert target["code"]["coding"][0]["code"] == action["code"][0]["coding"][0]["code"]
        for ext in action.get("extension", []):
            assert "valueString" not in ext  # no dose as text in an extension


def test_nothing_known_has_no_request_group_and_still_validates():
    bundle = bundle_for(decision_core.evaluate({}).to_dict())
    validated(bundle)
    assert not resources(bundle, "RequestGroup") and not resources(bundle, "DetectedIssue")
    assert not resources(bundle, "Observation")


def test_severity_differs_between_urgent_and_emergency_and_one_issue_per_strain():
    strain = decision_core.evaluate(ACUTE_WITH_WITHHELD["urgent-strain-and-sleepy-glutes"] |
                                    {"bruising": True, "pain_when_walking": True}).to_dict()
    assert len([r for r in strain["triage"]["reasons"] if r["level"] == "urgent"]) >= 3
    (issue,) = resources(bundle_for(strain), "DetectedIssue")
    assert issue["severity"] == "moderate" and len(issue["evidence"]) >= 3
    emergency = decision_core.evaluate({"bladder_or_bowel_changes": True, "numbness_or_tingling": True}).to_dict()
    issues = resources(bundle_for(emergency), "DetectedIssue")
    assert [i["severity"] for i in issues] == ["high", "low"]  # most severe first


# ------------------------------------------------------------------ doses


def exercise_requests(bundle: dict) -> dict[str, dict]:
    return {s["code"]["coding"][0]["code"]: s for s in resources(bundle, "ServiceRequest")
            if s["code"]["coding"][1]["code"] == "exercise"}


def figures(request: dict) -> dict[str, dict]:
    (ext,) = [e for e in request.get("extension", []) if e["url"] == EXERCISE_DOSE_EXTENSION]
    return {part["url"]: {k: v for k, v in part.items() if k != "url"} for part in ext["extension"]}


DESK = {"glute_bridge_hamstring_cramp": True, "sitting_hours_per_day": 10, "uses_standing_desk": False}


def every_item(facts: dict) -> dict:
    """A result shown with every allowed item, each with its own dose (as one saved before results had a
    programme): these tests are about how a dose is written, whichever items a programme chooses."""
    return dict(decision_core.evaluate(facts).to_dict(), programme=None)


def test_structured_doses_become_timing_and_typed_figures():
    result = every_item(DESK)
    doses = {
        "glute_bridge": Dose(sets=3, reps=(10, 12), hold_seconds=5, frequency=Frequency(2, "week"), weeks=6),
        "clamshell": Dose(sets=2, reps=15, per_side=True, frequency=Frequency(1, "day")),
        "donkey_kick": Dose(sets=(2, 3), duration_seconds=(30, 60), frequency=Frequency(3, "day"), weeks=4),
    }
    for rec in result["recommendations"]:  # results as the structured rulesets will give them
        if rec["id"] in doses:
            rec["dose"] = doses[rec["id"]].to_dict()
    bundle = bundle_for(result)
    validated(bundle)
    requests = exercise_requests(bundle)

    bridge = requests["glute_bridge"]
    assert bridge["occurrenceTiming"]["repeat"] == {
        "frequency": 2, "period": 1, "periodUnit": "wk",
        "boundsDuration": {"value": 6, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}}
    f = figures(bridge)
    assert f["sets"] == {"valueQuantity": {"value": 3, "unit": "sets", "system": "http://unitsofmeasure.org",
                                           "code": "{sets}"}}
    assert [f["repetitions"]["valueRange"][k]["value"] for k in ("low", "high")] == [10, 12]
    assert f["hold"]["valueDuration"]["value"] == 5 and f["hold"]["valueDuration"]["code"] == "s"
    assert "3 sets, 10–12 reps, hold 5 s, twice a week, for 6 weeks" in bridge["patientInstruction"]

    clam = requests["clamshell"]
    assert clam["occurrenceTiming"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert figures(clam)["perSide"] == {"valueBoolean": True}
    assert figures(clam)["repetitions"]["valueQuantity"]["value"] == 15

    kick = requests["donkey_kick"]
    repeat = kick["occurrenceTiming"]["repeat"]
    assert (repeat["frequency"], repeat["periodUnit"], repeat["boundsDuration"]["value"]) == (3, "d", 4)
    assert (repeat["duration"], repeat["durationMax"], repeat["durationUnit"]) == (30, 60, "s")
    assert [figures(kick)["sets"]["valueRange"][k]["value"] for k in ("low", "high")] == [2, 3]

    (plan,) = resources(bundle, "RequestGroup")
    action = next(a for a in plan["action"] if a["code"][0]["coding"][0]["code"] == "glute_bridge")
    assert action["timingTiming"] == bridge["occurrenceTiming"]


def test_per_report_doses_take_precedence():
    result = every_item(DESK)
    bundle = bundle_for(result, doses={"glute_bridge": parse_spec("2x8@3/week~8w"),
                                       "clamshell": parse_spec("1x20@daily")})
    requests = exercise_requests(bundle)
    repeat = requests["glute_bridge"]["occurrenceTiming"]["repeat"]
    assert (repeat["frequency"], repeat["periodUnit"], repeat["boundsDuration"]["value"]) == (3, "wk", 8)
    assert figures(requests["glute_bridge"])["repetitions"]["valueQuantity"]["value"] == 8
    assert figures(requests["clamshell"])["repetitions"]["valueQuantity"]["value"] == 20
    # the clinic profile's default fills what the source leaves out; an override replaces the whole dose
    clinic = ClinicProfile("Hill Physio", doses={"squat": Dose(sets=3, reps=10, frequency=Frequency(2, "week"), basis={
        "sets": "clinic", "reps": "clinic", "frequency": "clinic"})})
    requests = exercise_requests(bundle_for(result, clinic=clinic))
    squat = requests["squat"]
    assert figures(squat)["sets"]["valueQuantity"]["value"] == 3
    assert figures(squat)["repetitions"]["valueQuantity"]["value"] == 10
    assert squat["occurrenceTiming"]["repeat"]["frequency"] == 2
    requests = exercise_requests(bundle_for(result, clinic=clinic, doses={"squat": parse_spec("2x5")}))
    assert figures(requests["squat"])["sets"]["valueQuantity"]["value"] == 2
    assert "occurrenceTiming" not in requests["squat"], "the override said no frequency; none is made up"
    deadlift = next(r["dose"] for r in result["recommendations"] if r["id"] == "deadlift")
    assert ("occurrenceTiming" in requests["deadlift"]) == bool(deadlift.get("frequency"))  # none made up
    with pytest.raises(ReportError, match="doses"):
        bundle_for(result, doses={"glute_bridge": {"sets": "many"}})


def test_todays_string_doses_are_read_into_figures():
    runner = every_item(DESK)  # an old saved result: string doses, no programme
    legacy = {"sets": 3, "reps": "10-12", "frequency": "twice a week", "hold": "5 s", "duration": "30-60 s per area"}
    runner["recommendations"].append({
        "id": "legacy_exercise", "name": "Legacy exercise", "kind": "exercise", "dose": legacy,
        "instructions": "Do it.", "for_causes": [], "reasons": [], "sources": []})
    bundle = bundle_for(runner)
    validated(bundle)
    request = exercise_requests(bundle)["legacy_exercise"]
    assert request["occurrenceTiming"]["repeat"] == {"frequency": 2, "period": 1, "periodUnit": "wk",
                                                     "duration": 30, "durationMax": 60, "durationUnit": "s"}
    assert [figures(request)["repetitions"]["valueRange"][k]["value"] for k in ("low", "high")] == [10, 12]
    assert figures(request)["hold"]["valueDuration"]["value"] == 5
    assert "30-60 s per area" in request["patientInstruction"]  # the words the figure was read from stay


# ------------------------------------------------------------------ who


def test_patient_clinician_and_clinic_details():
    result = decision_core.evaluate({"bladder_or_bowel_changes": True}).to_dict()
    bundle = bundle_for(result, patient=Patient("Ana Example", date(1980, 5, 17), "MRN-001"), clinician="Dr Lee",
                        clinic=ClinicProfile("Hill Physio", phone="+44 20 0000 0000", address="1 High St"))
    validated(bundle)
    urls = by_url(bundle)
    (patient,) = resources(bundle, "Patient")
    assert patient["name"] == [{"text": "Ana Example"}] and patient["birthDate"] == "1980-05-17"
    assert patient["identifier"] == [{"value": "MRN-001"}]
    assert urls[patient["managingOrganization"]["reference"]]["name"] == "Hill Physio"
    (practitioner,) = resources(bundle, "Practitioner")
    assert practitioner["name"] == [{"text": "Dr Lee"}]
    (plan,) = resources(bundle, "RequestGroup")
    assert urls[plan["author"]["reference"]] is practitioner
    assert all(urls[s["requester"]["reference"]] is practitioner for s in resources(bundle, "ServiceRequest"))


def test_patient_reference_becomes_the_subject_everywhere():
    result = decision_core.evaluate({"bladder_or_bowel_changes": True}).to_dict()
    bundle = bundle_for(result, patient_reference="Patient/123", patient=Patient("Ana Example"))
    validated(bundle)
    assert not resources(bundle, "Patient")
    subject = {"reference": "Patient/123", "display": "Ana Example"}
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] in PATIENT_RESOURCES:
            assert res[PATIENT_RESOURCES[res["resourceType"]]] == subject
    with pytest.raises(ReportError, match="patient_reference"):
        bundle_for(result, patient_reference="  ")


def test_fact_code_system_option_codes_the_answers():
    result = decision_core.evaluate({"sitting_hours_per_day": 10}).to_dict()
    bundle = bundle_for(result, fact_code_system="http://clinic.example/facts")
    (obs,) = resources(bundle, "Observation")
    assert obs["code"]["coding"][0] == {"system": "http://clinic.example/facts", "code": "sitting_hours_per_day",
                                        "display": obs["code"]["text"]}
