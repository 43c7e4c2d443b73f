"""The Redis state store against a real redis-server (started by the test), and the app over it in
process: report links and JWT ids with Redis expiry, the size bound, and what happens while Redis is
down (503 problems, /healthz degraded, never a 500) and after it comes back (no restart)."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from http_support import API_KEY, BASE_URL, ISSUER
from services_support import RedisServer

from decision_core.adapters.http.config import ConfigError, load_config
from decision_core.adapters.http.redis_store import RedisStore, describe_url
from decision_core.adapters.http.store import StoreUnavailable

PV = "/cds-services/hamstring-patient-view"
CALL = {"hook": "patient-view", "hookInstance": "h1",
        "context": {"patientId": "p1", "extension": {"hamstring-decision-core.facts": {"red": True}}}}


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_up(redis_server):
    if redis_server.proc is None:  # a test that stopped it failed before starting it again
        redis_server.start()
    return redis_server


def test_reports_round_trip_and_expire_with_redis(redis_up):
    store = RedisStore(redis_up.url, ttl=1, max_reports=10, prefix="t1:")
    report_id = store.put_report({"result": {"x": "é"}})
    assert store.get_report(report_id) == {"result": {"x": "é"}}
    for odd in ("no-such-id", "\udc80", "é", "x" * 10_000, "a:b", ""):
        assert store.get_report(odd) is None
    assert 0 < store.client.pttl("t1:report:" + report_id) <= 1000, "Redis expires the report"
    time.sleep(1.1)
    assert store.get_report(report_id) is None


def test_at_most_report_store_size_reports_oldest_dropped_first(redis_up):
    store = RedisStore(redis_up.url, ttl=60, max_reports=10, prefix="t2:")
    ids = [store.put_report({"n": n}) for n in range(40)]  # many in the same millisecond
    assert [store.get_report(i) for i in ids] == [None] * 30 + [{"n": n} for n in range(30, 40)]
    assert store.client.zcard("t2:reports") == 10


def test_a_jwt_id_is_claimed_once_until_the_token_expires(redis_up):
    store = RedisStore(redis_up.url, ttl=60, max_reports=10, prefix="t3:")
    other = RedisStore(redis_up.url, ttl=60, max_reports=10, prefix="t3:")  # another server, same Redis
    expires = time.time() + 1
    assert store.claim_jti(ISSUER, "j1", expires) is True
    assert other.claim_jti(ISSUER, "j1", expires) is False, "a replay on another server is refused"
    assert other.claim_jti("https://other.example", "j1", expires) is True, "ids are per issuer"
    assert store.claim_jti(ISSUER, "\ud800" * 3, expires) is True  # any string the token may hold
    time.sleep(2.1)  # the entry lives to the token's expiry (whole seconds, rounded up), then goes
    assert store.claim_jti(ISSUER, "j1", time.time() + 60) is True


def test_redis_down_raises_store_unavailable_and_recovers_without_a_new_client(redis_up, caplog):
    store = RedisStore(redis_up.url, ttl=60, max_reports=10, prefix="t4:")
    report_id = store.put_report({"n": 1})
    assert store.unavailable() is None
    redis_up.stop()
    try:
        for attempt in (lambda: store.put_report({"n": 2}), lambda: store.get_report(report_id),
                        lambda: store.claim_jti(ISSUER, "j", time.time() + 60)):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="redis at redis://127.0.0.1"):
                attempt()
            assert time.monotonic() - started < 3, "a Redis that is down must not hold a worker"
        assert "ConnectionError" in store.unavailable()
    finally:
        redis_up.start()
    assert store.unavailable() is None
    assert store.get_report(report_id) is None, "no persistence: a restarted Redis is empty"
    assert store.get_report(store.put_report({"n": 3})) == {"n": 3}
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot be reached" in m for m in messages) == 1, "one error per outage, not one per request"
    assert any("answers again" in m for m in messages)


def test_redis_url_is_checked_and_never_logged_with_its_password():
    assert load_config({"REDIS_URL": "redis://h:6380/2"}, environ={})["REDIS_URL"] == "redis://h:6380/2"
    with pytest.raises(ConfigError, match="REDIS_URL: Must be a redis://"):
        load_config({"REDIS_URL": "http://h:6379"}, environ={})
    assert describe_url("redis://user:s3cret@db.internal:6380/1") == "redis://db.internal:6380/1"


@pytest.fixture
def redis_app(make_app, jwks_file, redis_up):
    app = make_app(ENV="production", API_KEYS=[API_KEY], CDS_TRUSTED_ISSUERS={ISSUER: str(jwks_file)},
                   PUBLIC_BASE_URL=BASE_URL, REDIS_URL=redis_up.url)
    return app


def test_the_app_answers_503_while_redis_is_down_and_resumes_when_it_is_back(redis_app, redis_up, signer):
    client = redis_app.test_client()

    def cds(token=None):
        return client.post(PV, json=CALL, headers={"Authorization": f"Bearer {token or signer.token(BASE_URL + PV)}"})

    made = cds()
    assert made.status_code == 200, made.json
    link = urlsplit(made.json["cards"][0]["links"][0]["url"]).path
    assert client.get(link).status_code == 200
    for odd in ("%ED%A0%80", "%C3%A9", "x" * 5000, "a%3Ab"):
        assert client.get(f"/v1/reports/{odd}").status_code == 404
    assert client.get("/healthz").json["status"] == "ok"
    redis_up.stop()
    try:
        for response in (cds(), client.get(link), client.get("/cds-services", headers={
                "Authorization": f"Bearer {signer.token(BASE_URL + '/cds-services')}"})):
            assert response.status_code == 503, response.data
            assert response.mimetype == "application/problem+json"
            problem = response.json
            assert problem["type"] == "urn:hamstring-decision-core:problem:store-unavailable"
            assert "cannot be reached" in problem["detail"] and problem["request_id"]
            assert response.headers["Retry-After"] == "5"
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json["status"] == "degraded"
        assert health.json["unavailable"] == ["redis"]
        # what does not need the shared state still works
        facts = client.post("/v1/evaluations", json={"red": True}, headers={"X-API-Key": API_KEY})
        assert facts.status_code == 200
    finally:
        redis_up.start()
    assert client.get("/healthz").json["status"] == "ok"
    again = cds()
    assert again.status_code == 200, again.json
    assert client.get(urlsplit(again.json["cards"][0]["links"][0]["url"]).path).status_code == 200


def test_the_openapi_document_declares_the_503(client):
    paths = client.get("/openapi.json").json["paths"]
    for path, method in (("/v1/reports/{report_id}", "get"), ("/cds-services", "get"),
                         ("/cds-services/{service_id}", "post"), ("/cds-services/{service_id}/feedback", "post"),
                         ("/fhir/Questionnaire/$next-question", "post")):  # its last step stores a report
        response = paths[path][method]["responses"]["503"]
        assert "application/problem+json" in response["content"], path
    assert "503" not in paths["/v1/evaluations"]["post"]["responses"], "evaluations never need Redis"
