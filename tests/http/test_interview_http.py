"""The interview over HTTP: GET /fhir/Questionnaire/hamstring-intake, POST /fhir/Questionnaire/$next-question
(stateless SDC adaptive interview) and POST /v1/evaluations/from-questionnaire-response, over the installed
catalogue; a QuestionnaireResponse means the same as the facts posted directly, through CDS Hooks too."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from decision_core.interview.flow import Outcome
from decision_core.interview.questionnaire import QUESTIONNAIRE_URL
from decision_core.interview.questionnaire_response import answer_value, facts_to_items, read_response
from decision_core.interview.screen import SCREEN_LINK_ID, screen_codes, screen_facts

PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "vignettes" / "public.json"
CASES = json.loads(PUBLIC.read_text())["cases"] if PUBLIC.exists() else []
NEXT = "/fhir/Questionnaire/$next-question"


def validate(model, resource):
    return model.model_validate(resource) if hasattr(model, "model_validate") else model.parse_obj(resource)


@pytest.fixture(scope="module")
def app(installed_backend):
    from decision_core.adapters.http import create_app

    return create_app({"ENV": "development"}, backend=installed_backend)


@pytest.fixture
def client(app):
    return app.test_client()


def qr_of(facts, catalogue):
    return {"resourceType": "QuestionnaireResponse", "questionnaire": QUESTIONNAIRE_URL, "status": "completed",
            "item": facts_to_items(facts, catalogue)}


def test_the_questionnaire_is_served_as_fhir_json(client):
    for url in ("/fhir/Questionnaire/hamstring-intake", "/fhir/Questionnaire/hamstring-intake?_format=json",
                "/fhir/Questionnaire/hamstring-intake?_format=application/fhir%2Bjson&lang=es"):
        response = client.get(url)
        assert response.status_code == 200, response.json
        assert response.mimetype == "application/fhir+json"
        validate(Questionnaire, response.json)
    assert client.get("/fhir/Questionnaire/hamstring-intake?_format=xml").status_code == 400
    assert client.get("/fhir/Questionnaire/hamstring-intake?lang=fr").status_code == 400  # a query problem


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_response_evaluates_as_its_facts_directly_and_through_cds_hooks(case, client, installed_backend):
    catalogue = installed_backend.catalogue
    facts = installed_backend.evaluator.validate(case["facts"])
    direct = client.post("/v1/evaluations", json=case["facts"]).json
    via_qr = client.post("/v1/evaluations/from-questionnaire-response", json=qr_of(facts, catalogue))
    assert via_qr.status_code == 200, via_qr.json
    assert via_qr.json == direct
    body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/1", "patientId": "p-42"},
            "prefetch": {"intakeResponse": {"resourceType": "Bundle", "type": "searchset",
                                            "entry": [{"resource": {**qr_of(facts, catalogue), "id": "qr1"}}]}}}
    cards = client.post("/cds-services/hamstring-patient-view", json=body)
    assert cards.status_code == 200, cards.json
    if not cards.json["cards"]:  # nothing to say: no reasons, causes or programme in the direct result either
        assert not direct["causes"] and not direct["recommendations"]
        return
    report = client.get(urlsplit(cards.json["cards"][0]["links"][0]["url"]).path + "?format=json")
    assert report.status_code == 200
    assert json.loads(report.data) == direct


def _cds_call(client, qr):
    body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/1", "patientId": "p-42"},
            "prefetch": {"intakeResponse": {"resourceType": "Bundle", "type": "searchset",
                                            "entry": [{"resource": {**qr, "id": "qr1"}}]}}}
    return client.post("/cds-services/hamstring-patient-view", json=body)


def test_cds_hooks_reads_the_red_flag_screen_as_the_questionnaire_says(client, installed_backend):
    screen = {"linkId": SCREEN_LINK_ID, "answer": [{"valueCoding": {"code": "bladder_or_bowel_changes"}}]}
    qr = {"resourceType": "QuestionnaireResponse", "questionnaire": QUESTIONNAIRE_URL, "status": "completed",
          "authored": "2026-12-01T10:00:00Z", "item": [screen]}
    cards = _cds_call(client, qr)
    assert cards.status_code == 200, cards.json
    report = client.get(urlsplit(cards.json["cards"][0]["links"][0]["url"]).path + "?format=json")
    assert json.loads(report.data) == client.post("/v1/evaluations", json={"bladder_or_bowel_changes": True}).json
    screen["answer"].append({"valueCoding": {"code": "none"}})  # contradicts itself: the red flag's "yes" wins
    cards = _cds_call(client, qr)
    assert cards.status_code == 200, cards.json
    report = client.get(urlsplit(cards.json["cards"][0]["links"][0]["url"]).path + "?format=json")
    assert json.loads(report.data) == client.post("/v1/evaluations", json={"bladder_or_bowel_changes": True}).json


def test_answers_nested_in_the_questionnaires_groups_with_their_texts_are_read(client, installed_backend):
    """As a renderer of the whole Questionnaire sends them (LHC-Forms: tests/http/test_lhc_forms.py)."""
    catalogue = installed_backend.catalogue
    facts = {"age": 38, "sitting_hours_per_day": 10, "sharp_pain": False, "pain_locations": ["buttock"],
             "previous_hamstring_injury": True, "previous_injury_months_ago": 4}
    answers = {item["linkId"]: item for item in facts_to_items(facts, catalogue)}
    groups = []
    for group in client.get("/fhir/Questionnaire/hamstring-intake").json["item"]:
        inner = [{**answers[q["linkId"]], "text": q["text"]} for q in group["item"] if q["linkId"] in answers]
        if inner:
            groups.append({"linkId": group["linkId"], "text": group["text"], "item": inner})
    assert len(groups) > 1
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": QUESTIONNAIRE_URL,
          "authored": "2026-11-30T19:39:54.133Z", "item": groups}
    response = client.post("/v1/evaluations/from-questionnaire-response", json=qr)
    assert response.status_code == 200, response.json
    assert response.json == client.post("/v1/evaluations", json=facts).json
    groups[0]["item"][0]["answer"] = [{"valueInteger": 500}]  # age, in the first group
    bad = client.post("/v1/evaluations/from-questionnaire-response", json=qr)
    assert bad.status_code == 422
    assert list(bad.json["errors"]) == ["item[0].item[0].answer[0].valueInteger"], bad.json
    groups[0]["answer"] = [{"valueBoolean": True}]
    assert "item[0]" in client.post("/v1/evaluations/from-questionnaire-response", json=qr).json["errors"]


def _answer(qr, facts, catalogue):
    """Append the answer to the last question asked (or an empty item: skipped)."""
    asked = [i["linkId"] for i in qr["contained"][0]["item"] if not i["linkId"].startswith("interview-")]
    name = asked[-1]
    item = {"linkId": name}
    if name == SCREEN_LINK_ID:  # the red-flag screen: tick those that are true
        codes = screen_codes(screen_facts(catalogue), facts)
        if codes:
            item["answer"] = [{"valueCoding": {"code": code}} for code in codes]
    elif name in facts:
        fact = catalogue.facts[name]
        values = facts[name] if fact.type in ("choices", "list") else [facts[name]]
        item["answer"] = [answer_value(fact, v) for v in values]
    return {**qr, "item": qr.get("item", []) + [item]}, name


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_adaptive_interview_stops_with_the_triage_and_top_cause_of_the_facts(case, client, installed_backend):
    catalogue = installed_backend.catalogue
    facts = installed_backend.evaluator.validate(case["facts"])
    qr = {"resourceType": "QuestionnaireResponse", "status": "in-progress"}
    asked = []
    for _ in range(len(catalogue.facts) + 1):
        body = {"resourceType": "Parameters", "parameter": [{"name": "questionnaire-response", "resource": qr}]} \
            if len(asked) % 2 else qr  # both request shapes
        known = read_response(qr, catalogue).facts  # what the answers so far say, the screen's included
        response = client.post(NEXT, json=body)
        assert response.status_code == 200, response.json
        assert response.mimetype == "application/fhir+json"
        qr = response.json
        validate(QuestionnaireResponse, qr)
        texts = {i["linkId"]: i["text"] for i in qr["contained"][0]["item"] if i["linkId"].startswith("interview-")}
        so_far = installed_backend.evaluator.evaluate_valid(installed_backend.evaluator.validate(known))
        # the triage is not yet known while red flags are open
        if so_far.open_red_flags:
            assert texts["interview-triage"].startswith("Triage: ") and "not yet known" in texts["interview-triage"]
        else:
            assert texts["interview-triage"] == f"Triage so far: {so_far.triage.name}."
        if qr["status"] == "completed":
            break
        qr, name = _answer(qr, facts, catalogue)
        assert name not in asked, "asked twice"
        asked.append(name)
    assert qr["status"] == "completed"
    direct = Outcome.of(installed_backend.evaluator.evaluate_valid(facts))
    extensions = {e["url"]: e for e in qr["extension"]}
    report = extensions["urn:hamstring-decision-core:extension:report"]["valueUrl"]
    assert extensions["urn:hamstring-decision-core:extension:guidance-response"]["valueReference"] == {
        "reference": "#guidance"}
    guidance = next(r for r in qr["contained"] if r["resourceType"] == "GuidanceResponse")
    assert guidance["reasonCode"][0]["coding"][0]["code"] == direct.triage
    final = json.loads(client.get(urlsplit(report).path + "?format=json").data)
    assert final["triage"]["level"] == direct.triage
    assert (final["causes"][0]["id"] if final["causes"] else None) == direct.top
    skipped = [i["linkId"] for i in qr.get("item", []) if "answer" not in i]
    assert set(skipped) == {a for a in asked if a not in facts and not (
        a == SCREEN_LINK_ID and screen_codes(screen_facts(catalogue), facts))}
    assert "interview-status" in texts


@pytest.mark.parametrize("body, status, field", [
    ({"resourceType": "Patient"}, 422, "resourceType"),
    ({"resourceType": "Parameters", "parameter": [{"name": "other"}]}, 422, "parameter[0]"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "sharp_pain", "answer": [{"valueInteger": 1}]}]},
     422, "item[0].answer[0]"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "age", "answer": [{"valueInteger": 500}]}]},
     422, "item[0].answer[0].valueInteger"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "shoe_size"}]}, 422, "item[0]"),
    ({"resourceType": "QuestionnaireResponse", "item": [{"linkId": "red-flag-screen", "answer": [
        {"valueCoding": {"code": "shoe_size"}}]}]}, 422, "item[0].answer[0].valueCoding.code"),
    ({"resourceType": "QuestionnaireResponse", "contained": "x"}, 422, "contained"),
    ({"resourceType": "QuestionnaireResponse", "language": "xx"}, 422, "language"),
    ([1, 2], 422, "resourceType"),
])
def test_bad_requests_are_problems_naming_the_item(body, status, field, client):
    for url in (NEXT, "/v1/evaluations/from-questionnaire-response"):
        if url != NEXT and field in ("parameter[0]", "contained", "language"):
            continue
        response = client.post(url, json=body)
        assert response.status_code == status, (url, response.json)
        assert response.mimetype == "application/problem+json"
        assert field in response.json["errors"], response.json


def test_next_question_asks_the_screen_then_a_ticked_red_flags_follow_ups(client, installed_backend):
    listed = screen_facts(installed_backend.catalogue)
    qr = client.post(NEXT, json={"resourceType": "QuestionnaireResponse", "status": "in-progress"}).json
    assert [i["linkId"] for i in qr["contained"][0]["item"]][0] == SCREEN_LINK_ID
    qr["item"] = [{"linkId": SCREEN_LINK_ID, "answer": [{"valueCoding": {"code": "fever_or_unwell"}}]}]
    qr = client.post(NEXT, json=qr).json
    asked = [i["linkId"] for i in qr["contained"][0]["item"] if not i["linkId"].startswith("interview-")]
    assert asked[0] == SCREEN_LINK_ID and asked[1] in ("pain_level", "pain_locations")  # a follow-up, no red flag
    assert not set(asked) & set(listed)
    qr["item"].append({"linkId": asked[1], "answer": [{"valueInteger": 4} if asked[1] == "pain_level" else
                                                      {"valueCoding": {"code": "back_of_thigh"}}]})
    done = client.post(NEXT, json=qr).json
    assert done["status"] == "completed"  # fever with pain: urgent, the interview stops at once
    guidance = next(r for r in done["contained"] if r["resourceType"] == "GuidanceResponse")
    assert guidance["reasonCode"][0]["coding"][0]["code"] == "urgent"


def test_a_spanish_interview_asks_in_spanish(client):
    response = client.post(NEXT, json={"resourceType": "QuestionnaireResponse", "status": "in-progress",
                                       "language": "es"})
    assert response.status_code == 200
    first = response.json["contained"][0]["item"][0]
    assert first["text"] == "¿Tiene alguno de estos?"  # the red-flag screen
    assert "Ninguno de estos" in [o["valueCoding"]["display"] for o in first["answerOption"]]
