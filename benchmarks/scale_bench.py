#!/usr/bin/env python3
"""Scale-out benchmark: one `decision-core serve` instance against two behind nginx, sharing Redis.

Starts a redis-server and nginx of its own (unprivileged, free ports, temporary folder:
tests/http/services_support.py) and every setup at once:

* ``1 direct, sqlite``: one instance, clients straight to it, serve's SQLite state (one machine);
* ``1 direct, redis``: the same with ``REDIS_URL`` (what Redis costs);
* ``1 via nginx, redis``: one instance behind nginx (what the proxy costs);
* ``2 via nginx, redis``: two instances behind nginx, round-robin (the scale-out deployment).

For each, C keep-alive client threads post distinct patients to ``POST /v1/evaluations``
(stateless) and to the CDS service ``POST /cds-services/hamstring-patient-view`` (each call
claims its JWT id and stores a report link: the shared state), every CDS call with a fresh JWT
signed before the measurement. Rounds go through the setups and routes in turn, so the
drift of a shared machine falls on all alike. Prints requests/s and latency per setup and route.

    python benchmarks/scale_bench.py                  # serve's default workers per instance
    python benchmarks/scale_bench.py --workers 2 --seconds 5

It prints figures; it is not a test. On one machine two instances share its CPUs with nginx,
Redis and the load generator: the figure is the price of the extra hops, not the gain of a
second machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "http")]
from bench_core import generate_cases  # noqa: E402  (same folder)
from http_bench import Client, merge, wait_until_serving  # noqa: E402
from http_support import ISSUER, Signer, free_port  # noqa: E402  (the tests' JWT signer and helpers)
from services_support import Nginx, RedisServer  # noqa: E402

API_KEY = "benchmark-key"
PV = "/cds-services/hamstring-patient-view"
SETUPS = dict.fromkeys(("1 direct, sqlite", "1 direct, redis", "1 via nginx, redis", "2 via nginx, redis"))
LB_PORT = free_port()
PUBLIC = f"http://127.0.0.1:{LB_PORT}"  # the two-instance nginx: PUBLIC_BASE_URL of every instance


def start_instance(port: int, workers: int | None, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECISION_CORE_")}
    env.update(env_extra)
    command = [sys.executable, "-P", "-m", "decision_core.cli.main", "serve", "--bind", f"127.0.0.1:{port}",
               *(["--workers", str(workers)] if workers else []), "--log-level", "warning"]
    return wait_until_serving(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, text=True), port)


class Instance:
    def __init__(self, proc: subprocess.Popen):
        self.proc = proc

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_load(port: int, path: str, source, connections: int, seconds: float, warmup: float) -> dict:
    stop_event = threading.Event()
    clients = [Client(port, path, source, stop_event) for _ in range(connections)]
    for c in clients:
        c.start()
    time.sleep(warmup)
    for c in clients:
        c.latencies.clear()
        c.errors = 0
    started = time.perf_counter()
    time.sleep(seconds)
    stop_event.set()
    elapsed = time.perf_counter() - started
    for c in clients:
        c.join(30)
        c.connection.close()
    return {"requests": sum(len(c.latencies) for c in clients), "seconds": elapsed, "cpu": 0.0,
            "latencies": [x for c in clients for x in c.latencies], "errors": sum(c.errors for c in clients)}


def sources(bodies: list[bytes], cds_bodies: list[bytes], tokens: list[str]):
    lock = threading.Lock()
    counters = {"eval": 0, "cds": 0}

    def evaluation():
        with lock:
            counters["eval"] += 1
            n = counters["eval"]
        return bodies[n % len(bodies)], {"Content-Type": "application/json", "X-API-Key": API_KEY}

    def cds():
        with lock:
            counters["cds"] += 1
            n = counters["cds"]
        if n >= len(tokens):
            raise RuntimeError("ran out of signed JWTs: raise --tokens")  # printed by the thread
        return cds_bodies[n % len(cds_bodies)], {"Content-Type": "application/json",
                                                 "Authorization": f"Bearer {tokens[n]}"}

    return evaluation, cds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="workers per instance (default: serve's, CPUs + 1)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per round, route and setup")
    parser.add_argument("--rounds", type=int, default=3, help="rounds through every setup and route, in turn")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--tokens", type=int, default=30_000, help="JWTs signed up front (one per CDS call)")
    args = parser.parse_args(argv)

    from decision_core.catalogue.loading import load_builtin_catalogue

    cases = generate_cases(load_builtin_catalogue(), 2000, seed=7)
    bodies = [json.dumps(facts).encode() for facts in cases]
    cds_bodies = [json.dumps({"hook": "patient-view", "hookInstance": f"h{i}", "context": {
        "userId": "Practitioner/1", "patientId": f"p{i}", "extension": {"hamstring-decision-core.facts": facts}}}).encode()
        for i, facts in enumerate(cases)]
    signer = Signer()
    # one pool of JWTs signed before any measurement, each used once (Redis remembers the ids it saw)
    tokens = [signer.token(PUBLIC + PV, kid="es256", lifetime=1800) for _ in range(args.tokens)]
    evaluation, cds = sources(bodies, cds_bodies, tokens)
    results: dict[str, dict[str, list[dict]]] = {name: {"/v1/evaluations": [], PV: []} for name in SETUPS}
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "jwks.json").write_text(json.dumps(signer.jwks()))
        processes = []
        try:
            redis = RedisServer(tmp_path / "redis").start()
            processes.append(redis)
            ports: dict[str, int] = {}
            # every setup runs at once (idle ones cost nothing) and the rounds go through them in turn,
            # so the machine's drift (2 shared CPUs) falls on all of them alike
            env = {"DECISION_CORE_ENV": "production", "DECISION_CORE_API_KEYS": API_KEY,
                   "DECISION_CORE_CDS_TRUSTED_ISSUERS": json.dumps({ISSUER: str(tmp_path / "jwks.json")}),
                   "DECISION_CORE_PUBLIC_BASE_URL": PUBLIC, "DECISION_CORE_LOG_REQUESTS": "0"}
            one_sqlite, shared_a, shared_b = free_port(), free_port(), free_port()
            for port, extra in ((one_sqlite, {}), (shared_a, {"DECISION_CORE_REDIS_URL": redis.url}),
                                (shared_b, {"DECISION_CORE_REDIS_URL": redis.url})):
                processes.append(Instance(start_instance(port, args.workers, {**env, **extra})))
            ports["1 direct, sqlite"], ports["1 direct, redis"] = one_sqlite, shared_a
            for name, upstreams in (("1 via nginx, redis", [shared_a]), ("2 via nginx, redis", [shared_a, shared_b])):
                nginx = Nginx(tmp_path / name.replace(" ", "-").replace(",", ""),
                              [f"127.0.0.1:{p}" for p in upstreams], port=LB_PORT if len(upstreams) == 2 else None)
                processes.append(nginx.start())
                ports[name] = nginx.port
            for _ in range(args.rounds):
                for name, port in ports.items():
                    for path, source in (("/v1/evaluations", evaluation), (PV, cds)):
                        results[name][path].append(run_load(port, path, source, args.connections, args.seconds,
                                                            args.warmup))
        finally:
            for proc in reversed(processes):
                proc.stop()

    from decision_core.adapters.http.server import default_workers

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other work (load average "
          f"{os.getloadavg()[0]:.2f} at the end), Python {platform.python_version()}; "
          f"{args.workers or default_workers()} sync worker(s) per instance; nginx, redis-server and the load "
          f"generator on the same CPUs")
    print(f"load: {args.connections} keep-alive connections, {args.rounds} x {args.seconds:g} s per route and setup")
    print()
    print(f"{'setup':<22}{'route':<46}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    merged = {name: {path: merge(runs) for path, runs in figures.items()} for name, figures in results.items()}
    for name, figures in merged.items():
        for path, f in figures.items():
            print(f"{name:<22}{'POST ' + path:<46}{f['rps']:>8.0f}{f['p50']:>9.2f}"
                  f"{f['p99']:>9.2f}{f['errors']:>8}")
    return 1 if any(f["errors"] for figures in merged.values() for f in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
