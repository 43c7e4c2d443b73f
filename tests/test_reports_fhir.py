"""The FHIR export: an R4 Bundle that validates against the fhir.resources R4B
models, with a GuidanceResponse (status, ruleset versions as module, outputs), a
RequestGroup with one action per recommendation and its dose, and one
DetectedIssue per red flag with the right severity."""
from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

import decision_core
from decision_core.adapters.reports import render
from decision_core.adapters.reports.fhir import timing_repeat

from test_reports import ACUTE_WITH_WITHHELD, PUBLIC_CASES, WHEN

GUIDANCE_STATUS = {"success", "data-requested", "data-required", "in-progress", "failure", "entered-in-error"}
SEVERITY = {"emergency": "high", "urgent": "high", "see_professional": "moderate"}


def bundle_for(result: dict, **options) -> dict:
    return json.loads(render(result, "fhir", generated_at=WHEN, **options))


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("case", PUBLIC_CASES)
def test_public_case_bundle_validates_and_matches_the_result(case):
    result = decision_core.evaluate(case["facts"]).to_dict()
    bundle = bundle_for(result)
    Bundle.model_validate(bundle)  # raises on anything R4 does not allow
    assert bundle["type"] == "collection"

    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    (guidance,) = resources(bundle, "GuidanceResponse")
    (plan,) = resources(bundle, "RequestGroup")
    (outputs,) = resources(bundle, "Parameters")
    issues = resources(bundle, "DetectedIssue")

    # GuidanceResponse: status, the ruleset versions as module, references that resolve in the bundle
    assert guidance["status"] in GUIDANCE_STATUS
    assert guidance["status"] == ("data-requested" if result["next_questions"] else "success")
    module = {(c["code"], c["version"]) for c in guidance["moduleCodeableConcept"]["coding"]}
    assert module == {(r["id"], r["version"]) for r in result["rulesets"]}
    assert guidance["result"]["reference"] in full_urls
    assert guidance["outputParameters"]["reference"] in full_urls
    assert guidance["reasonCode"][0]["coding"][0]["code"] == result["triage"]["level"]
    assert [r["reference"] for r in guidance.get("reasonReference", [])] == [
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"]
    asked = [d["codeFilter"][0]["code"][0]["code"] for d in guidance.get("dataRequirement", [])]
    assert asked == [q["fact"] for q in result["next_questions"]]

    # outputs: triage and every cause with its confidence
    params = outputs["parameter"]
    triage = next(p for p in params if p["name"] == "triage")
    assert {"name": "level", "valueCode": result["triage"]["level"]} in triage["part"]
    causes = [p for p in params if p["name"] == "cause"]
    assert [next(x["valueCode"] for x in c["part"] if x["name"] == "id") for c in causes] == \
        [c["id"] for c in result["causes"]]

    # RequestGroup: one action per recommendation, with its dose
    actions = plan.get("action", [])
    assert len(actions) == len(result["recommendations"])
    for action, rec in zip(actions, result["recommendations"]):
        assert action["title"] == rec["name"]
        assert action["code"][0]["coding"][0]["code"] == rec["id"]
        dose = rec["dose"]
        for key in ("sets", "reps", "hold", "duration", "frequency"):
            if dose.get(key):
                assert str(dose[key]) in action["description"]
        if dose.get("frequency"):
            assert action["timingTiming"]["code"]["text"] == dose["frequency"]
        assert [d["label"] for d in action["documentation"]] == rec["sources"]
    if result["triage"]["level"] in ("urgent", "emergency"):
        assert not any(a["code"][0]["coding"][1]["code"] == "exercise" for a in actions)
        assert plan["priority"] == ("stat" if result["triage"]["level"] == "emergency" else "urgent")

    # one DetectedIssue per red flag (a triage reason at see_professional or worse)
    flags = [r for r in result["triage"]["reasons"] if r["level"] in SEVERITY]
    assert len(issues) == len(flags)
    for issue, flag in zip(issues, flags):
        assert issue["severity"] == SEVERITY[flag["level"]]
        assert issue["status"] == "preliminary"
        assert flag["rule"] in issue["detail"]
        assert issue["code"]["coding"][0]["code"] == flag["level"]


def test_red_flags_have_high_and_moderate_severities():
    result = decision_core.evaluate(ACUTE_WITH_WITHHELD["emergency-and-sleepy-glutes"] |
                                    {"numbness_or_tingling": True}).to_dict()
    issues = resources(bundle_for(result), "DetectedIssue")
    severities = sorted(i["severity"] for i in issues)
    assert "high" in severities and "moderate" in severities


def test_patient_reference_becomes_the_subject_everywhere():
    result = decision_core.evaluate({"bladder_or_bowel_changes": True}).to_dict()
    bundle = bundle_for(result, patient_reference="Patient/123")
    Bundle.model_validate(bundle)
    assert resources(bundle, "GuidanceResponse")[0]["subject"] == {"reference": "Patient/123"}
    assert resources(bundle, "RequestGroup")[0]["subject"] == {"reference": "Patient/123"}
    assert all(i["patient"] == {"reference": "Patient/123"} for i in resources(bundle, "DetectedIssue"))


def test_nothing_known_still_validates():
    result = decision_core.evaluate({}).to_dict()
    bundle = bundle_for(result)
    Bundle.model_validate(bundle)
    assert not resources(bundle, "DetectedIssue")


@pytest.mark.parametrize("text, expected", [
    ("daily", {"frequency": 1, "period": 1, "periodUnit": "d"}),
    ("twice a day", {"frequency": 2, "period": 1, "periodUnit": "d"}),
    ("twice a week", {"frequency": 2, "period": 1, "periodUnit": "wk"}),
    ("3 times a week", {"frequency": 3, "period": 1, "periodUnit": "wk"}),
    ("at least twice a day", None),
    ("before runs", None),
])
def test_plain_frequencies_become_a_timing(text, expected):
    assert timing_repeat(text) == expected
