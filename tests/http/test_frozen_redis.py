"""A Redis that hangs instead of dying (issue 24 §1): a real redis-server under SIGSTOP, which
accepts connections (the kernel does) and never answers.

Before: every /healthz pinged Redis on the request path with a 2 s read timeout, retried once,
holding its worker 4 s, and the evaluations queued behind it in the same worker waited too (p99
9 s). Now every Redis call has a short connect and read timeout (REDIS_TIMEOUT), /healthz reads
what is known of Redis without waiting on it, and a Redis known not to answer fails the routes
that need it at once (503) until a background probe sees it answer again. The bounds asserted here
are ten times what is expected, so a busy machine cannot make them flaky; the figures are in
docs/http.md (benchmarks/frozen_redis_bench.py).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from http_support import API_KEY, BASE_URL, ISSUER, MINI_DIR, start_server, stop_server
from services_support import RedisServer

PV = "/cds-services/hamstring-patient-view"
CALL = {"hook": "patient-view", "hookInstance": "h1",
        "context": {"patientId": "p1", "extension": {"hamstring-decision-core.facts": {"red": True}}}}
BOUND = 1.0  # seconds: far above the 0.1 s target, far below the 4-9 s stalls of the issue


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@contextlib.contextmanager
def frozen(redis_server):
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def until(predicate, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_frozen_redis_stalls_no_route_in_process(make_app, jwks_file, signer, redis_server):
    app = make_app(ENV="production", API_KEYS=[API_KEY], CDS_TRUSTED_ISSUERS={ISSUER: str(jwks_file)},
                   PUBLIC_BASE_URL=BASE_URL, REDIS_URL=redis_server.url)
    client = app.test_client()

    def cds():
        return client.post(PV, json=CALL, headers={"Authorization": f"Bearer {signer.token(BASE_URL + PV)}"})

    assert cds().status_code == 200 and client.get("/healthz").json["status"] == "ok"
    with frozen(redis_server):
        health, took = [], []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and [h for h in health[-3:] if h == "degraded"] != ["degraded"] * 3:
            response, seconds = timed(lambda: client.get("/healthz"))
            health.append(response.json["status"])
            took.append(seconds)
            time.sleep(0.02)
        assert health[-3:] == ["degraded"] * 3, health
        assert max(took) < BOUND, f"/healthz waited on Redis: {max(took):.2f} s"
        assert client.get("/healthz").json["unavailable"] == ["redis"]
        for _ in range(5):  # known not to answer: refused at once, never a 500
            response, seconds = timed(cds)
            assert response.status_code == 503 and response.headers["Retry-After"], response.data
            assert seconds < BOUND
        for _ in range(20):
            response, seconds = timed(lambda: client.post("/v1/evaluations", json={"red": True},
                                                          headers={"X-API-Key": API_KEY}))
            assert response.status_code == 200 and seconds < BOUND
    assert until(lambda: client.get("/healthz").json["status"] == "ok"), "healthy again once Redis answers"
    assert until(lambda: cds().status_code == 200), "CDS calls resume without a restart"


def test_a_frozen_redis_stalls_neither_healthz_nor_evaluations_on_a_real_server(tmp_path, jwks_file, redis_server):
    server = start_server(tmp_path, {
        "DECISION_CORE_CATALOGUE_DIRS": str(MINI_DIR), "DECISION_CORE_ENGINE": "plain",
        "DECISION_CORE_API_KEYS": API_KEY, "DECISION_CORE_CDS_TRUSTED_ISSUERS": json.dumps({ISSUER: str(jwks_file)}),
        "DECISION_CORE_PUBLIC_BASE_URL": BASE_URL, "DECISION_CORE_REDIS_URL": redis_server.url}, workers=2)
    session = requests.Session()

    def healthz():
        return session.get(f"{server.base}/healthz", timeout=30)

    def evaluation():
        return requests.post(f"{server.base}/v1/evaluations", json={"red": True}, headers={"X-API-Key": API_KEY},
                             timeout=30)

    def hammer(call, seconds=3.0):
        out = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            out.append(timed(call))
        return out

    try:
        assert healthz().json()["status"] == "ok"
        with frozen(redis_server):
            with ThreadPoolExecutor(3) as pool:
                health = pool.submit(hammer, healthz)
                evaluations = [pool.submit(hammer, evaluation) for _ in range(2)]
                health = health.result()
                evaluations = [r for f in evaluations for r in f.result()]
        statuses = [r.json()["status"] for r, _ in health]
        assert statuses[-1] == "degraded" and statuses.count("degraded") > len(statuses) / 2, statuses
        assert all(r.status_code == 200 for r, _ in evaluations)
        health_s, eval_s = [s for _, s in health], [s for _, s in evaluations]
        print(f"frozen Redis: /healthz n={len(health_s)} p50 {statistics.median(health_s) * 1000:.1f} ms "
              f"max {max(health_s) * 1000:.1f} ms; evaluations n={len(eval_s)} "
              f"p50 {statistics.median(eval_s) * 1000:.1f} ms max {max(eval_s) * 1000:.1f} ms")
        assert max(health_s) < BOUND and max(eval_s) < BOUND
        assert until(lambda: healthz().json()["status"] == "ok")
    finally:
        stop_server(server)
    assert "Traceback" not in server.log()
