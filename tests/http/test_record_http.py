"""The record over HTTP, on SQLite: every evaluation kept with ids, feedback (REST and CDS Hooks
2.0) mapped to the rules, follow-ups, admin-only reading, erasure, the spool when the database is
away, and nothing of a record in the log."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from decision_core.adapters.http import create_app
from decision_core.record import models as m

KEY, OTHER, ADMIN = "eval-key-1", "eval-key-2", "admin-key-1"
FACTS = {"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True}
CANARY = "canary-patient-7731"


@pytest.fixture
def app(tmp_path):
    return create_app({"ENV": "production", "API_KEYS": [KEY, OTHER], "ADMIN_KEYS": [ADMIN], "RECORD": True,
                       "DATABASE_URL": f"sqlite:///{tmp_path}/record.sqlite3",
                       "RECORD_SPOOL_DIR": str(tmp_path / "spool")})


def _h(key, **extra):
    return {"X-API-Key": key, **extra}


def _evaluate(client, key=KEY, patient=None):
    headers = _h(key, **({"X-Patient-Reference": patient} if patient else {}))
    response = client.post("/v1/evaluations", json=FACTS, headers=headers)
    assert response.status_code == 200
    _settle(client)
    return response.get_json()


def _settle(client):
    """The answer does not wait for the record's write (a writer thread does it): wait for it here."""
    assert client.application.extensions["decision_core"].recorder.settle()


def test_each_evaluation_is_kept_with_ids_not_words(app):
    client = app.test_client()
    result = _evaluate(client, patient="p-1")
    record = client.get(f"/v1/records/{result['record_id']}", headers=_h(ADMIN)).get_json()
    assert record["source"] == "rest" and record["patient_ref"] == "p-1"
    assert record["triage"] == result["triage"]["level"] and record["facts"] == result["facts"]
    assert record["fired_rules"] == result["fired_rules"] and record["engine"] == result["engine"]
    assert {r["id"]: r["version"] for r in result["rulesets"]} == record["rulesets"]
    causes = [(i["item_id"], i["rank"], i["confidence"]) for i in record["items"] if i["kind"] == "cause"]
    assert causes == [(c["id"], c["rank"], c["confidence"]) for c in result["causes"]]
    assert [i["item_id"] for i in record["items"] if i["kind"] == "recommendation"] == \
        [r["id"] for r in result["recommendations"]]
    assert "creator" not in record
    text = str(record)
    assert result["causes"][0]["name"] not in text and result["triage"]["name"] not in text  # no rendered words


def test_reading_the_record_takes_an_admin_key(app):
    client = app.test_client()
    rid = _evaluate(client)["record_id"]
    assert client.get(f"/v1/records/{rid}", headers=_h(KEY)).status_code == 401
    assert client.get("/v1/analytics", headers=_h(KEY)).status_code == 401
    assert client.delete("/v1/records?patient=p-1", headers=_h(KEY)).status_code == 401
    assert client.get(f"/v1/records/{rid}", headers=_h(ADMIN)).status_code == 200


def test_no_record_id_without_a_record(tmp_path):
    client = create_app({"ENV": "development"}).test_client()
    result = client.post("/v1/evaluations", json=FACTS).get_json()
    assert "record_id" not in result
    assert client.post("/v1/records/" + "a" * 32 + "/feedback", json={"responses": [
        {"about": "triage", "id": "self_care", "verdict": "agree"}]}).status_code == 404


def test_rest_feedback_maps_to_the_rules_and_only_the_creator_may_write(app):
    client = app.test_client()
    result = _evaluate(client)
    rid, cause = result["record_id"], result["causes"][0]
    body = {"responses": [{"about": "cause", "id": cause["id"], "verdict": "override", "reason": "disagree-cause",
                           "comment": "looks like something else"},
                          {"about": "triage", "id": result["triage"]["level"], "verdict": "agree"}]}
    assert client.post(f"/v1/records/{rid}/feedback", json=body, headers=_h(OTHER)).status_code == 404
    assert client.post(f"/v1/records/{rid}/feedback", json=body, headers=_h(KEY)).status_code == 201
    bad = {"responses": [{"about": "cause", "id": "not_listed", "verdict": "agree"}]}
    problem = client.post(f"/v1/records/{rid}/feedback", json=bad, headers=_h(KEY))
    assert problem.status_code == 422 and "responses[0].id" in problem.get_json()["errors"]
    record = client.get(f"/v1/records/{rid}", headers=_h(ADMIN)).get_json()
    assert len(record["feedback"]) == 2
    override = record["feedback"][0]
    assert override["outcome"] == "overridden" and override["reason"] == "disagree-cause"
    assert set(override["rules"]) == {e["rule"] for e in cause["evidence"] if not e.get("against")}
    analytics = client.get("/v1/analytics", headers=_h(ADMIN)).get_json()
    assert analytics["records"] == 1 and analytics["feedback"] == 2
    row = next(r for r in analytics["causes"] if r["id"] == cause["id"])
    assert row["overridden"] == 1 and row["override_rate"] is None  # 1 response: no rate


def test_follow_ups_json_and_questionnaire_response(app):
    client = app.test_client()
    rid = _evaluate(client)["record_id"]
    assert client.post(f"/v1/records/{rid}/follow-ups", json={"groc": 9}, headers=_h(KEY)).status_code == 422
    assert client.post(f"/v1/records/{rid}/follow-ups", json={"groc": 3, "pain": 2, "adherence": "all"},
                       headers=_h(KEY)).status_code == 201
    questionnaire = client.get("/fhir/Questionnaire/hamstring-follow-up", headers=_h(KEY)).get_json()
    assert [i["linkId"] for i in questionnaire["item"]] == ["groc", "pain", "adherence", "comment"]
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": questionnaire["url"],
          "item": [{"linkId": "groc", "answer": [{"valueInteger": -2}]},
                   {"linkId": "adherence", "answer": [{"valueCoding": {"code": "none"}}]}]}
    assert client.post(f"/v1/records/{rid}/follow-ups", json=qr, headers=_h(KEY)).status_code == 201
    follow_ups = client.get(f"/v1/records/{rid}", headers=_h(ADMIN)).get_json()["follow_ups"]
    assert [(f["groc"], f["adherence"]) for f in follow_ups] == [(3, "all"), (-2, "none")]
    analytics = client.get("/v1/analytics", headers=_h(ADMIN)).get_json()
    assert analytics["follow_ups"] == 2 and analytics["triage"][0]["improved"] == 1


def test_cds_feedback_round_trip(tmp_path):
    app = create_app({"ENV": "development", "RECORD": True, "DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite3",
                      "RECORD_SPOOL_DIR": str(tmp_path / "spool")})
    client = app.test_client()
    call = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/1", "patientId": "1288992", "extension": {
                "hamstring-decision-core.facts": {"sharp_pain": True, "pain_level": 6, "sitting_hours_per_day": 10}}},
            "prefetch": {"intakeResponse": None, "intakeObservations": None}}
    card = client.post("/cds-services/hamstring-patient-view", json=call).get_json()["cards"][0]
    _settle(client)
    rid = card["extension"]["hamstring-decision-core.record-id"]
    assert {c["code"] for c in card["overrideReasons"]} == {"not-relevant", "already-done", "patient-declined",
                                                           "disagree-cause", "disagree-triage", "other"}
    fhir = client.get(card["links"][0]["url"] + "?format=fhir").get_json()
    assert fhir["identifier"]["value"] == rid
    unknown = {"feedback": [{"card": "00000000-0000-4000-8000-000000000000", "outcome": "accepted",
                             "outcomeTimestamp": "2026-12-10T10:00:00Z"}]}
    assert client.post("/cds-services/hamstring-patient-view/feedback", json=unknown).status_code == 404
    both = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-10T10:00:00Z",
                          "overrideReason": {"reason": card["overrideReasons"][4], "userComment": "not urgent"}},
                         unknown["feedback"][0]]}
    assert client.post("/cds-services/hamstring-patient-view/feedback", json=both).status_code == 404
    assert client.get(f"/v1/records/{rid}").get_json()["feedback"] == []  # nothing stored
    response = client.post("/cds-services/hamstring-patient-view/feedback", json={"feedback": both["feedback"][:1]})
    assert response.status_code == 200 and response.data == b""
    record = client.get(f"/v1/records/{rid}").get_json()
    assert record["patient_ref"] == "Patient/1288992" and record["source"] == "cds"
    assert {c["kind"] for c in record["cards"]} >= {"card"}
    assert record["feedback"][0]["rules"] == record["triage_rules"]  # disagree with the triage: its rules
    analytics = client.get("/v1/analytics").get_json()
    assert next(r for r in analytics["triage"] if r["id"] == record["triage"])["overridden"] == 1


def test_erasure_removes_a_patients_records_and_everything_attached(app):
    client = app.test_client()
    erased = _evaluate(client, patient="p-erase")["record_id"]
    kept = _evaluate(client, patient="p-keep")["record_id"]
    client.post(f"/v1/records/{erased}/follow-ups", json={"groc": 1}, headers=_h(KEY))
    assert client.delete("/v1/records?patient=p-erase", headers=_h(ADMIN)).get_json() == {"erased": 1}
    assert client.get(f"/v1/records/{erased}", headers=_h(ADMIN)).status_code == 404
    assert client.get(f"/v1/records/{kept}", headers=_h(ADMIN)).status_code == 200
    store = app.extensions["decision_core"].recorder.store
    assert [r for r in store.rows(m.follow_ups)] == []


def test_database_away_spools_then_lands_in_order(app, monkeypatch):
    client = app.test_client()
    recorder = app.extensions["decision_core"].recorder
    real_insert = recorder.store.insert

    def down(entry):
        raise OperationalError("INSERT", {}, Exception("database is away"))

    monkeypatch.setattr(recorder.store, "insert", down)
    monkeypatch.setattr(recorder.store, "insert_many", down)
    ids = [_evaluate(client)["record_id"] for _ in range(5)]
    assert all(ids)
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and "record" in health["unavailable"]
    # feedback for a record still in the spool: try again later (it is accepted once the record lands)
    response = client.post(f"/v1/records/{ids[0]}/feedback", headers=_h(KEY), json={"responses": [
        {"about": "triage", "id": "self_care", "verdict": "agree"}]})
    assert response.status_code == 503 and response.headers["Retry-After"]
    monkeypatch.setattr(recorder.store, "insert", real_insert)
    monkeypatch.undo()
    assert recorder.flush()
    assert client.get("/healthz").get_json()["status"] == "ok"
    landed = sorted(recorder.store.rows(m.records), key=lambda r: r["created_at"])
    assert [r["id"] for r in landed] == ids  # in order, none lost, none doubled
    level = landed[0]["triage"]
    assert client.post(f"/v1/records/{ids[0]}/feedback", headers=_h(KEY), json={"responses": [
        {"about": "triage", "id": level, "verdict": "agree"}]}).status_code == 201


def test_a_database_call_that_hangs_never_holds_up_an_answer(app, monkeypatch):
    """A frozen database (a stopped PostgreSQL answers nothing) holds the writer thread, not the request:
    the answers come at once, the server says degraded, and every record lands once it answers again."""
    import threading
    import time

    client = app.test_client()
    recorder = app.extensions["decision_core"].recorder
    real_insert, real_many, frozen = recorder.store.insert, recorder.store.insert_many, threading.Event()

    def hanging(entry):
        frozen.wait(30)
        return real_insert(entry)

    def hanging_many(entries):
        frozen.wait(30)
        return real_many(entries)

    monkeypatch.setattr(recorder.store, "insert", hanging)
    monkeypatch.setattr(recorder.store, "insert_many", hanging_many)
    started = time.monotonic()
    ids = [client.post("/v1/evaluations", json=FACTS, headers=_h(KEY)).get_json()["record_id"] for _ in range(3)]
    time.sleep(1.2)  # past STUCK_AFTER: new entries go to the spool
    ids += [client.post("/v1/evaluations", json=FACTS, headers=_h(KEY)).get_json()["record_id"] for _ in range(3)]
    assert time.monotonic() - started < 5 and all(ids)
    assert client.get("/healthz").get_json()["status"] == "degraded"
    frozen.set()
    assert recorder.settle() and recorder.flush()
    assert sorted(r["id"] for r in recorder.store.rows(m.records)) == sorted(ids)


def test_no_record_content_in_the_log(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    rid = _evaluate(client, patient=CANARY)["record_id"]
    client.post(f"/v1/records/{rid}/feedback", headers=_h(KEY), json={"responses": [
        {"about": "triage", "id": "self_care", "verdict": "override", "reason": "other", "comment": CANARY}]})
    client.delete(f"/v1/records?patient={CANARY}", headers=_h(ADMIN))
    text = caplog.text
    # the record id may appear in a request path (an id, not content; reading it takes an admin key)
    assert CANARY not in text and "sitting_hours_per_day" not in text and "self_care" not in text


def test_a_batch_is_written_once_in_one_go_skipping_what_is_there_and_the_erased(tmp_path):
    """The writer thread's batches: each record once, in one transaction; a record already written (a
    replayed spool line) and one whose patient was erased after it was made are skipped, as one at a time."""
    from datetime import datetime, timedelta, timezone

    import decision_core
    from decision_core.record.entry import build_entry
    from decision_core.record.store import RecordStore

    store = RecordStore(f"sqlite:///{tmp_path}/batch.sqlite3")
    result = decision_core.evaluate(FACTS)
    then = datetime.now(timezone.utc) - timedelta(minutes=5)
    entries = [build_entry(result, "rest", patient_ref=f"p-{n}", now=then) for n in range(5)]
    assert store.insert(entries[0])
    store.erase_patient("p-3")  # after the entries were made: theirs never land
    assert store.insert_many(entries + [entries[1]]) == 3  # 1, 2 and 4: 0 was there, 3 erased, 1 twice
    assert sorted(store.record_ids()) == sorted(e["id"] for e in (entries[0], entries[1], entries[2], entries[4]))
    items = [r for r in store.rows(m.record_items) if r["record_id"] == entries[2]["id"]]
    assert len(items) == len(entries[2]["items"])
    store.close()
