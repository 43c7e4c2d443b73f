#!/usr/bin/env python3
"""A Redis that hangs (issue 24 §1): /healthz and evaluations with Redis answering, then frozen.

Starts a redis-server of its own (tests/http/services_support.py) and one `decision-core serve`
with ``REDIS_URL`` (serve's default workers, the installed catalogue), then measures, in turn,
with Redis answering and with Redis stopped by SIGSTOP (it accepts connections and never
answers): one client thread polling ``GET /healthz`` (as a load balancer does, but without
pause) and two posting distinct patients to ``POST /v1/evaluations``, each request on a fresh
connection. Prints p50 / p99 / max per route and phase, and /healthz's answers.

    python benchmarks/frozen_redis_bench.py                 # 8 s per phase
    python benchmarks/frozen_redis_bench.py --seconds 15 --rounds 2

It prints figures; it is not a test (tests/http/test_frozen_redis.py is).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "http")]
from bench_core import generate_cases  # noqa: E402  (same folder)
from http_bench import wait_until_serving  # noqa: E402
from http_support import free_port  # noqa: E402
from services_support import RedisServer  # noqa: E402

API_KEY = "benchmark-key"


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", "X-API-Key": API_KEY})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    return response.status, data, time.perf_counter() - started


def measure(port: int, cases: list[bytes], seconds: float) -> dict[str, list]:
    out: dict[str, list] = {"healthz": [], "evaluations": [], "health": []}
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def health():
        while time.monotonic() < stop:
            status, data, took = request(port, "GET", "/healthz")
            with lock:
                out["healthz"].append(took)
                out["health"].append(json.loads(data)["status"] if status == 200 else status)

    def evaluations(offset: int):
        i = offset
        while time.monotonic() < stop:
            status, _, took = request(port, "POST", "/v1/evaluations", cases[i % len(cases)])
            assert status == 200, status
            with lock:
                out["evaluations"].append(took)
            i += 2

    threads = [threading.Thread(target=health)] + [threading.Thread(target=evaluations, args=(k,)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server's master and workers."""
    import psutil

    master = psutil.Process(pid)
    total = 0.0
    for proc in [master, *master.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def figures(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"n={len(ms):5d}  p50 {statistics.median(ms):7.1f}  p99 {p99:7.1f}  max {ms[-1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    from decision_core.catalogue.loading import load_builtin_catalogue

    cases = [json.dumps(c).encode() for c in generate_cases(load_builtin_catalogue(), 2000)]
    with tempfile.TemporaryDirectory(prefix="frozen-redis-") as tmp:
        redis = RedisServer(Path(tmp) / "redis").start()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DECISION_CORE_")}
        env.update(DECISION_CORE_API_KEYS=API_KEY, DECISION_CORE_REDIS_URL=redis.url, TMPDIR=tmp)
        command = [sys.executable, "-P", "-m", "decision_core.cli.main", "serve", "--bind", f"127.0.0.1:{port}",
                   *(["--workers", str(args.workers)] if args.workers else []), "--log-level", "warning"]
        server = wait_until_serving(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                                     stderr=subprocess.PIPE, text=True), port)
        try:
            print(f"load average {os.getloadavg()[0]:.1f}; {args.seconds:g} s per phase")
            for round_number in range(1, args.rounds + 1):
                for phase in ("answering", "frozen"):
                    if phase == "frozen":
                        os.kill(redis.proc.pid, signal.SIGSTOP)
                    cpu_before = server_cpu(server.pid)
                    try:
                        out = measure(port, cases, args.seconds)
                    finally:
                        if phase == "frozen":
                            os.kill(redis.proc.pid, signal.SIGCONT)
                    cpu = server_cpu(server.pid) - cpu_before
                    served = len(out["healthz"]) + len(out["evaluations"])
                    print(f"round {round_number}, Redis {phase} (load {os.getloadavg()[0]:.1f}; server CPU "
                          f"{cpu * 1000 / max(1, served):.2f} ms a request):")
                    print(f"  /healthz     {figures(out['healthz'])}  {dict(Counter(out['health']))}")
                    print(f"  evaluations  {figures(out['evaluations'])}")
                    deadline = time.monotonic() + 10  # the next phase starts once /healthz has seen Redis again
                    while time.monotonic() < deadline and b'"ok"' not in request(port, "GET", "/healthz")[1]:
                        time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)
            redis.stop()


if __name__ == "__main__":
    main()
