"""Several servers, one service: two `decision-core serve` instances on two ports share one Redis,
behind a real nginx balancing round-robin, as in the deployment of docs/http.md.

A card made through one instance has a report link that opens through the other; a JWT used on
one is a replay on the other; report links and tokens expire; with Redis stopped the routes that
need it answer 503 with a problem, /healthz says degraded, nothing answers 500, and service resumes
when Redis is back, without restarting anything. redis-server and nginx are started by the test
(tests/http/services_support.py); it skips without them locally and fails under CI.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from http_support import API_KEY, ISSUER, MINI_DIR, free_port, start_server, stop_server
from services_support import Nginx, RedisServer, need_binary

PV = "/cds-services/hamstring-patient-view"
CALL = {"hook": "patient-view", "hookInstance": "h1",
        "context": {"patientId": "p1", "extension": {"hamstring-decision-core.facts": {"red": True}}}}
TTL = 3  # REPORT_TTL_SECONDS, short so expiry can be seen
LB_PORT = free_port()
PUBLIC = f"http://127.0.0.1:{LB_PORT}"  # nginx: PUBLIC_BASE_URL, so the JWT audience and the links' base
AUDIENCE = PUBLIC + PV


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, jwks_file):
    need_binary("nginx", "/usr/sbin")  # before the servers start: skip (or fail) at once without it
    redis = RedisServer(tmp_path_factory.mktemp("redis")).start()
    lb_port = LB_PORT
    public = PUBLIC
    env = {"DECISION_CORE_CATALOGUE_DIRS": str(MINI_DIR), "DECISION_CORE_ENGINE": "plain",
           "DECISION_CORE_API_KEYS": API_KEY, "DECISION_CORE_CDS_TRUSTED_ISSUERS": json.dumps({ISSUER: str(jwks_file)}),
           "DECISION_CORE_PUBLIC_BASE_URL": public, "DECISION_CORE_TRUST_PROXY": "1",
           "DECISION_CORE_REDIS_URL": redis.url, "DECISION_CORE_REPORT_TTL_SECONDS": str(TTL),
           "DECISION_CORE_CDS_JWT_LEEWAY": "0"}
    dirs = [tmp_path_factory.mktemp(f"instance{i}") for i in (1, 2)]
    servers = []
    try:
        with ThreadPoolExecutor(2) as pool:  # both start at once: half the wait
            futures = [pool.submit(start_server, d, {**env, "TMPDIR": str(d)}, 2, ("--access-log",)) for d in dirs]
            servers = [f.result() for f in futures]
        nginx = Nginx(tmp_path_factory.mktemp("nginx"), [f"127.0.0.1:{s.port}" for s in servers], port=lb_port).start()
    except BaseException:
        for server in servers:
            stop_server(server)
        redis.stop()
        raise
    yield {"redis": redis, "a": servers[0], "b": servers[1], "lb": nginx.base, "dirs": dirs}
    nginx.stop()
    for server in servers:
        stop_server(server)
    redis.stop()
    for server in servers:
        assert "Traceback" not in server.log(), server.log()[-3000:]
        statuses = [line.split('" ')[1].split()[0] for line in access_lines(server)]
        assert statuses and "500" not in statuses, "nothing answered 500"


def access_lines(server) -> list[str]:
    """gunicorn's access log lines of an instance (JSON logs): '127.0.0.1 "POST /path" 200 ...'."""
    events = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return [e["message"] for e in events if e.get("logger") == "gunicorn.access"]


def cds(base, signer, token=None):
    """A CDS call to ``base`` (an instance or nginx); the JWT's audience is the public URL either way."""
    token = token or signer.token(AUDIENCE)
    return requests.post(f"{base}{PV}", json=CALL, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def path_of(response) -> str:
    assert response.status_code == 200, response.text
    link = response.json()["cards"][0]["links"][0]["url"]
    assert link.startswith(PUBLIC + "/v1/reports/"), "links name the load balancer, not an instance"
    return urlsplit(link).path


def test_a_card_made_on_one_instance_opens_on_the_other(cluster, signer):
    a, b, lb = cluster["a"].base, cluster["b"].base, cluster["lb"]
    assert requests.get(f"{b}{path_of(cds(a, signer))}", timeout=10).status_code == 200
    assert requests.get(f"{a}{path_of(cds(b, signer))}", timeout=10).status_code == 200
    # through nginx: round-robin sends every other request to the other instance, and all links open
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: path_of(cds(lb, signer)), range(12)))
        statuses = list(pool.map(lambda p: requests.get(f"{lb}{p}", timeout=10).status_code, paths))
    assert statuses == [200] * 12
    served = [sum(f'"POST {PV}" 200' in line for line in access_lines(server)) for server in (cluster["a"], cluster["b"])]
    assert min(served) >= 6, f"nginx balanced the CDS calls over both instances: {served}"
    assert not [p for d in cluster["dirs"] for p in d.glob("decision-core-*")], "no SQLite state with Redis"


def test_a_jwt_used_on_one_instance_is_a_replay_on_the_other(cluster, signer):
    a, b, lb = cluster["a"].base, cluster["b"].base, cluster["lb"]
    token = signer.token(AUDIENCE)
    assert cds(a, signer, token).status_code == 200
    replay = cds(b, signer, token)
    assert replay.status_code == 403
    assert replay.json()["type"] == "urn:hamstring-decision-core:problem:replayed-token"
    token = signer.token(AUDIENCE)
    assert [cds(lb, signer, token).status_code for _ in range(3)] == [200, 403, 403]


def test_report_links_and_tokens_expire(cluster, signer):
    import redis as redis_py

    a, b = cluster["a"].base, cluster["b"].base
    client = redis_py.Redis.from_url(cluster["redis"].url)
    client.flushdb()  # the test's own Redis: only what this test makes
    path = path_of(cds(a, signer, signer.token(AUDIENCE, lifetime=2)))
    token = signer.token(AUDIENCE, lifetime=2)
    assert cds(b, signer, token).status_code == 200
    ttls = {k.decode().split(":")[1]: client.ttl(k) for k in client.scan_iter("decision-core:*")}
    assert set(ttls) == {"report", "reports", "jti"}
    assert all(0 < t <= TTL for t in ttls.values()), f"every key expires in Redis: {ttls}"
    time.sleep(TTL + 0.5)
    for base in (a, b):
        gone = requests.get(f"{base}{path}", timeout=10)
        assert gone.status_code == 404 and "expired" in gone.json()["detail"]
    late = cds(a, signer, token)
    assert late.status_code == 401 and "expired" in late.json()["detail"]
    assert list(client.scan_iter("decision-core:*")) == [], "reports and replay entries went with their time"


def test_redis_down_503_degraded_never_500_then_service_resumes(cluster, signer):
    redis, a, b, lb = cluster["redis"], cluster["a"].base, cluster["b"].base, cluster["lb"]
    path = path_of(cds(lb, signer))
    redis.stop()
    try:
        seen = []
        for _ in range(2):  # both instances, by round-robin
            for response in (cds(lb, signer), requests.get(f"{lb}{path}", timeout=10)):
                seen.append(response.status_code)
                assert response.status_code == 503, response.text
                assert response.headers["Content-Type"] == "application/problem+json"
                assert response.json()["type"] == "urn:hamstring-decision-core:problem:store-unavailable"
                assert response.headers["Retry-After"]
        for base in (a, b):
            health = requests.get(f"{base}/healthz", timeout=10)
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert health.json()["unavailable"] == ["redis"]
            evaluation = requests.post(f"{base}/v1/evaluations", json={"red": True}, headers={"X-API-Key": API_KEY},
                                       timeout=10)
            assert evaluation.status_code == 200, "what needs no shared state keeps working"
        assert 500 not in seen
    finally:
        redis.start()
    # the same servers, not restarted: their next requests reconnect
    for base in (a, b, lb, lb):
        assert requests.get(f"{base}/healthz", timeout=10).json()["status"] == "ok"
        made = path_of(cds(base, signer))
        assert requests.get(f"{lb}{made}", timeout=10).status_code == 200
