"""CDS Hooks 2.0: discovery, cards from context and prefetch, the report link, feedback."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision_core.adapters.http.cards import build_card, md, summary
from decision_core.adapters.http.config import DEFAULT_FACT_CODE_SYSTEM
from decision_core.catalogue.model import Presentation
from decision_core.adapters.http.cds_schemas import CdsResponseSchema, DiscoverySchema
from decision_core.adapters.http.store import MemoryStore, SqliteStore
from decision_core.result.model import Result

PV = "/cds-services/hamstring-patient-view"
ES = "/cds-services/hamstring-encounter-start"
EXT = "hamstring-decision-core.facts"
SECRET = "zebrafish-secret-word"


def call(facts=None, hook="patient-view", prefetch=None, **context):
    ctx = {"userId": "Practitioner/1", "patientId": "p-42", **context}
    if facts is not None:
        ctx["extension"] = {EXT: facts}
    body = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": ctx}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def assert_no_empty_values(node, path="$"):
    """CDS Hooks: no null, "", [] or {} anywhere (except the top-level cards array)."""
    if isinstance(node, dict):
        for key, value in node.items():
            assert value not in (None, "", [], {}), f"{path}.{key} is empty"
            assert_no_empty_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            assert value not in (None, "", [], {}), f"{path}[{i}] is empty"
            assert_no_empty_values(value, f"{path}[{i}]")


def cards_of(client, body, path=PV):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.json
    assert CdsResponseSchema().validate(response.json) == {}
    for card in response.json["cards"]:
        assert_no_empty_values(card)
    return response.json["cards"]


def test_discovery(client):
    body = client.get("/cds-services").json
    assert DiscoverySchema().validate(body) == {}
    assert {(s["id"], s["hook"]) for s in body["services"]} == {
        ("hamstring-patient-view", "patient-view"), ("hamstring-encounter-start", "encounter-start")}
    for service in body["services"]:
        assert_no_empty_values(service)
        assert service["prefetch"]["intakeObservations"] == (
            f"Observation?subject={{{{context.patientId}}}}&code={DEFAULT_FACT_CODE_SYSTEM}|,http://loinc.org|72514-3")
        assert service["prefetch"]["intakeResponse"].startswith("QuestionnaireResponse?subject={{context.patientId}}")


@pytest.mark.parametrize("facts, indicator, level", [
    ({"red": True, "cramp": True}, "critical", "emergency"),
    ({"places": ["c"]}, "warning", "see_professional"),
    ({"cramp": True, "sitting": 9}, "warning", "self_care"),  # a red flag to rule out first: actionable
    ({"cramp": True, "sitting": 9, "red": False}, "info", "self_care"),
])
def test_card_from_context_facts(client, facts, indicator, level):
    (card,) = cards_of(client, call(facts))
    assert card["indicator"] == indicator
    assert len(card["summary"]) < 140
    assert card["source"]["label"] and card["source"]["url"] == "http://localhost/docs"
    assert f"**Triage: " in card["detail"]
    if level != "self_care":
        assert card["selectionBehavior"] == "at-most-one"
        (suggestion,) = card["suggestions"]
        request = suggestion["actions"][0]["resource"]
        assert request["resourceType"] == "ServiceRequest" and request["subject"] == {"reference": "Patient/p-42"}
        assert request["priority"] == {"emergency": "stat", "see_professional": "routine"}[level]
    else:
        assert "suggestions" not in card and "selectionBehavior" not in card


def test_detail_has_causes_evidence_and_sources(client):
    (card,) = cards_of(client, call({"cramp": True, "sitting": 9}))
    detail = card["detail"]
    assert "**Sleepy glutes** (`glutes_cause`)" in detail
    assert "Cramp in bridge. (`cramp` = yes) [sources 000]" in detail
    assert "Sitting six hours or more. (`sitting` = 9) [sources 000]" in detail
    assert "**Programme**" in detail and "Bridge (Exercise): 3 sets, 10 reps" in detail
    assert "not a diagnosis" in detail


def test_report_link_renders_the_same_result_without_patient_data_in_the_url(client, mini_backend):
    facts = {"cramp": True, "sitting": 9, "sports": [SECRET]}
    (card,) = cards_of(client, call(facts))
    (link,) = card["links"]
    assert link["type"] == "absolute" and link["label"] == "Full report"
    url = urlsplit(link["url"])
    assert url.scheme == "http" and url.netloc == "localhost" and url.path.startswith("/v1/reports/")
    assert SECRET not in link["url"]
    assert len(url.path.rsplit("/", 1)[1]) >= 32 and not url.query
    expected = mini_backend.evaluator.evaluate(facts).to_dict()
    shout = client.get(url.path + "?format=shout")
    assert shout.status_code == 200 and shout.get_data(as_text=True) == "SELF_CARE GLUTES_CAUSE SITTING_CAUSE"
    default = client.get(url.path)
    assert default.status_code == 200
    assert default.headers["Referrer-Policy"] == "no-referrer" and default.headers["Cache-Control"] == "no-store"
    if "html" in mini_backend.formats:
        assert default.mimetype == "text/html" and "Sleepy glutes" in default.get_data(as_text=True)
    as_json = client.get(url.path + "?format=json")
    if "json" in mini_backend.formats:
        assert json.loads(as_json.data)["causes"] == expected["causes"]
    assert client.get(url.path + "?format=nope").status_code == 400


def test_report_links_expire_and_the_store_is_bounded(tmp_path):
    now = [1000.0]
    for store in (MemoryStore(60, 3, clock=lambda: now[0]),
                  SqliteStore(str(tmp_path / "state.sqlite"), 60, 3, clock=lambda: now[0])):
        ids = [store.put_report({"n": i}) for i in range(4)]
        assert store.get_report(ids[0]) is None  # the oldest was dropped: at most 3 kept
        assert [store.get_report(i) for i in ids[1:]] == [{"n": 1}, {"n": 2}, {"n": 3}]
        now[0] += 61
        assert store.get_report(ids[3]) is None
        assert store.claim_jti("iss", "j", now[0] + 10) is True
        assert store.claim_jti("iss", "j", now[0] + 10) is False
        assert store.claim_jti("other-iss", "j", now[0] + 10) is True
        now[0] += 11
        assert store.claim_jti("iss", "j", now[0] + 10) is True  # expired ids may be reused


def test_sqlite_store_is_shared_between_instances(tmp_path):
    path = str(tmp_path / "state.sqlite")
    first, second = SqliteStore(path, 60, 10), SqliteStore(path, 60, 10)
    report = first.put_report({"triage": {"level": "urgent"}})
    assert second.get_report(report) == {"triage": {"level": "urgent"}}
    assert first.claim_jti("iss", "x", 2e9) and not second.claim_jti("iss", "x", 2e9)


def test_no_facts_no_cards(client):
    # the client says it has no data (null, an empty Bundle): an answer, so no cards
    assert cards_of(client, call(prefetch={"intakeResponse": None, "intakeObservations": {
        "resourceType": "Bundle", "type": "searchset"}})) == []
    # facts that conclude nothing: nothing to say
    assert cards_of(client, call({"mood": "good"})) == []


def test_encounter_start_service(client):
    (card,) = cards_of(client, call({"red": True}, hook="encounter-start", encounterId="e-7"), path=ES)
    request = card["suggestions"][0]["actions"][0]["resource"]
    assert request["encounter"] == {"reference": "Encounter/e-7"}


def test_hook_must_match_the_service(client):
    response = client.post(ES, json=call({"red": True}))
    assert response.status_code == 422 and "encounter-start" in response.json["errors"]["hook"][0]


def questionnaire(items, authored="2024-05-01T10:00:00Z", status="completed", qid="qr1"):
    return {"resourceType": "QuestionnaireResponse", "id": qid, "status": status, "authored": authored,
            "questionnaire": "https://clinic.example/Questionnaire/hamstring-intake|2", "item": items}


def observation(code, value, when="2024-04-01", system=DEFAULT_FACT_CODE_SYSTEM, status="final", oid="o1"):
    return {"resourceType": "Observation", "id": oid, "status": status, "effectiveDateTime": when,
            "code": {"coding": [{"system": system, "code": code}]}, **value}


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def evaluated_facts(client, body, mini_backend):
    """The facts a CDS call was evaluated with, read back from its report."""
    (card,) = cards_of(client, body)
    report = client.get(urlsplit(card["links"][0]["url"]).path + "?format=json")
    if "json" in mini_backend.formats:
        return json.loads(report.data)["facts"]
    pytest.skip("the json format is not registered")


def test_questionnaire_response_maps_linkids_to_facts(client, mini_backend):
    qr = questionnaire([
        {"linkId": "about-you", "text": "About you", "item": [
            {"linkId": "sitting", "answer": [{"valueDecimal": 7.5}]},
            {"linkId": "cramp", "answer": [{"valueCoding": {
                "system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}}]},
        ]},
        {"linkId": "places", "answer": [{"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "c"}}]},
        {"linkId": "sports", "answer": [{"valueString": "Running"}]},
        {"linkId": "mood", "answer": [{"valueString": "bad"}]},
        {"linkId": "free-text-note", "answer": [{"valueString": "not a fact: ignored"}]},
        {"linkId": "red"},  # no answer: unknown
    ])
    facts = evaluated_facts(client, call(prefetch={"intakeResponse": bundle(qr)}), mini_backend)
    assert facts == {"sitting": 7.5, "cramp": True, "places": ["a", "c"], "sports": ["running"], "mood": "bad"}


def test_observations_map_by_code(client, mini_backend):
    prefetch = {"intakeObservations": bundle(
        observation("cramp", {"valueBoolean": True}),
        observation("sitting", {"valueQuantity": {"value": 6, "unit": "h"}}),
        observation("places", {"valueCodeableConcept": {"coding": [{"code": "b"}]}}, oid="o3"),
        observation("places", {"valueCodeableConcept": {"coding": [{"code": "c"}]}}, oid="o4"),
        observation("red", {"valueBoolean": True}, status="entered-in-error"),
        observation("8867-4", {"valueQuantity": {"value": 60}}, system="http://loinc.org"),  # heart rate: not ours
    )}
    facts = evaluated_facts(client, call(prefetch=prefetch), mini_backend)
    assert facts == {"cramp": True, "sitting": 6, "places": ["b", "c"]}


def test_most_recent_answer_wins_and_context_wins_over_all(client, mini_backend):
    prefetch = {
        "intakeObservations": bundle(observation("sitting", {"valueQuantity": {"value": 2}}, when="2024-06-01"),
                                     observation("cramp", {"valueBoolean": False}, when="2023-01-01")),
        "intakeResponse": bundle(questionnaire([{"linkId": "sitting", "answer": [{"valueInteger": 10}]},
                                                {"linkId": "cramp", "answer": [{"valueBoolean": True}]}],
                                               authored="2024-05-01T00:00:00Z")),
    }
    facts = evaluated_facts(client, call(prefetch=prefetch), mini_backend)
    assert facts == {"sitting": 2, "cramp": True}  # observation of June beats the May questionnaire
    facts = evaluated_facts(client, call({"sitting": 12}, prefetch=prefetch), mini_backend)
    assert facts == {"sitting": 12, "cramp": True}


def test_questionnaire_filter_by_canonical(make_app, mini_backend):
    client = make_app(CDS_QUESTIONNAIRE="https://clinic.example/Questionnaire/other").test_client()
    qr = questionnaire([{"linkId": "red", "answer": [{"valueBoolean": True}]}])
    assert cards_of(client, call(prefetch={"intakeResponse": qr})) == []
    client = make_app(CDS_QUESTIONNAIRE="https://clinic.example/Questionnaire/hamstring-intake").test_client()
    assert cards_of(client, call(prefetch={"intakeResponse": qr}))[0]["indicator"] == "critical"


def test_invalid_facts_from_prefetch_are_422_naming_fact_and_source(client):
    prefetch = {"intakeResponse": questionnaire([{"linkId": "sitting", "answer": [{"valueString": "lots"}]}]),
                "intakeObservations": bundle(observation("not_a_fact", {"valueBoolean": True}))}
    response = client.post(PV, json=call({"places": ["z"]}, prefetch=prefetch))
    assert response.status_code == 422
    body = response.json
    assert set(body["errors"]) == {"sitting", "not_a_fact", "places[0]"}
    assert body["fact_sources"]["sitting"] == "prefetch.intakeResponse (QuestionnaireResponse/qr1) linkId sitting"
    assert body["fact_sources"]["places[0]"] == f"context.extension[{EXT}]"
    assert body["fact_sources"]["not_a_fact"].startswith("prefetch.intakeObservations (Observation/o1)")
    bad_ext = client.post(PV, json=call(["red"]))
    assert bad_ext.status_code == 422


def test_feedback(client):
    accepted = {"feedback": [{"card": "c1", "outcome": "accepted", "acceptedSuggestions": [{"id": "s1"}],
                              "outcomeTimestamp": "2024-01-01T00:00:00Z"}]}
    response = client.post(PV + "/feedback", json=accepted)
    assert response.status_code == 200 and response.data == b""
    # OpenAPI 3.0 cannot say "required when accepted", so the server does not insist either (test_contract.py);
    # given, the list names at least one suggestion
    missing = {"feedback": [{"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2024-01-01T00:00:00Z"}]}
    assert client.post(PV + "/feedback", json=missing).status_code == 200
    empty = {"feedback": [dict(missing["feedback"][0], acceptedSuggestions=[])]}
    assert client.post(PV + "/feedback", json=empty).json["errors"] == {
        "feedback.0.acceptedSuggestions": ["Shorter than minimum length 1."]}
    assert client.post(PV + "/feedback", json={"feedback": [{"outcome": "maybe"}]}).status_code == 422
    assert client.post("/cds-services/nope/feedback", json=accepted).status_code == 404


def test_cards_for_the_installed_catalogue(make_app, installed_backend, shared_dir):
    """Every public worked case: the indicator follows the triage (and its red flags: interruptive only when
    there is something to act on) and the card follows the spec."""
    client = make_app(backend=installed_backend).test_client()
    cases = json.loads((shared_dir / "vignettes" / "public.json").read_text())["cases"]
    for case in cases:
        result = installed_backend.evaluator.evaluate(case["facts"]).to_dict()
        cards = cards_of(client, call(case["facts"]))
        if not cards:
            assert not result["causes"] and result["triage"]["level"] == "self_care"
            continue
        shown = installed_backend.catalogue.level(result["triage"]["level"]).presentation
        red_flags_open = bool(result["open_red_flags"])
        assert cards[0]["indicator"] == shown.indicator(red_flags_open), case["id"]
        assert len(cards[0]["summary"]) < 140
        for cause in result["causes"]:
            assert f"`{cause['id']}`" in cards[0]["detail"]


def test_pain_level_from_a_standard_loinc_observation(make_app, installed_backend):
    if "pain_level" not in installed_backend.catalogue.facts:
        pytest.skip("the installed catalogue has no pain_level fact")
    client = make_app(backend=installed_backend).test_client()
    pain = observation("72514-3", {"valueQuantity": {"value": 8}}, system="http://loinc.org")
    (card,) = cards_of(client, call(prefetch={"obs": pain}))
    assert card["indicator"] in ("warning", "critical")
    assert "`pain_level` = 8" in card["detail"]


def test_summary_is_clipped_and_text_from_patients_is_inert():
    result = Result.from_dict({
        "triage": {"level": "urgent", "name": "Urgent", "advice": "Go.",
                   "reasons": [{"rule": "r", "because": "word " * 60, "facts": {}, "sources": []}]},
        "causes": [], "recommendations": [], "withheld": [], "avoid": [], "next_questions": [], "rulesets": [],
        "disclaimer": "D."})
    text = summary(result)
    assert len(text) <= 139 and text.endswith("…")
    assert md("<img src=x onerror=alert(1)> *bold* [link](http://x)") == (
        "\\<img src=x onerror=alert\\(1\\)\\> \\*bold\\* \\[link\\]\\(http://x\\)")
    shown = Presentation(acute=True, card_indicator="critical", priority="urgent", suggest_referral=True,
                         fhir_severity="moderate", mark="!", colours=())
    card = build_card(result, {}, {"label": "L", "url": ""}, None, shown)
    assert card["indicator"] == "critical" and card["suggestions"][0]["label"] == "Refer for an assessment now"
    assert card["source"] == {"label": "L"} and "links" not in card
    assert_no_empty_values(card)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
                    | st.sampled_from(["Observation", "QuestionnaireResponse", "Bundle", "sitting", "cramp", "places",
                                       DEFAULT_FACT_CODE_SYSTEM, "2024-01-01", "valueBoolean"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["resourceType", "entry", "resource", "item", "linkId", "answer", "code",
                                         "coding", "system", "valueBoolean", "valueQuantity", "value", "status",
                                         "authored", "effectiveDateTime", "valueCoding", "extension", EXT, "x"]),
                        inner, max_size=5), max_leaves=30)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(context=st.dictionaries(st.sampled_from(["patientId", "extension", "x"]), JSON, max_size=3),
       prefetch=st.dictionaries(st.text(max_size=5), JSON, max_size=3))
def test_any_json_in_context_or_prefetch_is_read_or_refused_never_crashes(mini_backend, context, prefetch):
    from decision_core.fhir.intake import FactMapper

    mapper = FactMapper(mini_backend.catalogue, DEFAULT_FACT_CODE_SYSTEM)
    try:
        gathered = mapper.gather(context, prefetch)
    except ValueError:
        return  # the facts extension is not an object: a 422 naming it
    assert set(gathered.facts) == set(gathered.sources)


def test_the_request_patient_is_the_subject_of_the_reports_fhir_record(make_app, mini_backend):
    if "fhir" not in mini_backend.formats:
        pytest.skip("the fhir report format is not registered")
    client = make_app(CDS_FACT_CODE_SYSTEM="http://ehr.example/facts").test_client()
    (card,) = cards_of(client, call({"red": True, "cramp": True}, patientId="p-42"))
    assert card["suggestions"][0]["actions"][0]["resource"]["subject"] == {"reference": "Patient/p-42"}
    path = urlsplit(card["links"][0]["url"]).path
    response = client.get(path + "?format=fhir")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = json.loads(response.data)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "Patient" not in kinds  # the EHR's own patient, by reference
    subject = {"reference": "Patient/p-42"}
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] in ("GuidanceResponse", "RequestGroup", "ServiceRequest", "Observation"):
            assert res["subject"] == subject, res["resourceType"]
        if res["resourceType"] == "DetectedIssue":
            assert res["patient"] == subject
        if res["resourceType"] == "Observation":  # in the fact code system the service reads
            assert res["code"]["coding"][0]["system"] == "http://ehr.example/facts"
    assert "p-42" not in card["links"][0]["url"]
    # a patientId that is no FHIR id makes no reference: the record has its own anonymous Patient
    (card,) = cards_of(client, call({"red": True}, patientId="../../x y"))
    bundle = json.loads(client.get(urlsplit(card["links"][0]["url"]).path + "?format=fhir").data)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]].count("Patient") == 1


def test_fhir_authorization_null_is_treated_as_absent(client):
    """Clients send "fhirAuthorization": null when they grant no token: that is no authorization, not an error."""
    (card,) = cards_of(client, dict(call({"red": True}), fhirAuthorization=None))
    assert card["indicator"] == "critical"
    (card,) = cards_of(client, dict(call({"red": True}), fhirServer="https://ehr.example/r4", fhirAuthorization=None))
    assert card["indicator"] == "critical"
