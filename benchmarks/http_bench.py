#!/usr/bin/env python3
"""HTTP benchmark: POST /v1/evaluations under the production server, side by side
with a trivial JSON echo route on the same server; prints figures.

It starts ``decision-core serve`` (gunicorn, N preloaded workers) on a free port
of 127.0.0.1, in production mode with an API key (so authentication is part of
what is measured) and ``DECISION_CORE_BENCHMARK_ECHO=1``, which adds
``POST /v1/echo``: the same body reading, authentication and JSON writing, but no
evaluation. Then, for each route in turn (echo, evaluations, echo, evaluations),
C client threads keep their HTTP/1.1 connections open (http.client; they
reconnect when the server closes one) and post distinct, varied patients'
facts as fast as the answers come back. Both routes get the same bodies.

    python benchmarks/http_bench.py                          # serve's default workers (CPUs + 1), 8 connections
    python benchmarks/http_bench.py --workers 2              # one worker per CPU
    python benchmarks/http_bench.py --serve-option=--keep-alive   # connections kept open between requests

Targets (2-core machine, 8 connections): evaluation throughput >= 60 % of the
echo route's, evaluation p99 <= 10 ms. Exit status 1 when one is missed. The
load generator runs on the same machine and takes its share of the CPUs.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import generate_cases  # noqa: E402  (same folder)

API_KEY = "benchmark-key"
TARGET_RATIO = 0.60
TARGET_P99_MS = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int | None, catalogue_dir: str | None,
                 engine: str = "durable", preload: bool = True, extra: list[str] = (),
                 record: str = "off") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECISION_CORE_")}
    env.update({"DECISION_CORE_ENV": "production", "DECISION_CORE_API_KEYS": API_KEY,
                "DECISION_CORE_BENCHMARK_ECHO": "1", "DECISION_CORE_ENGINE": engine,
                "DECISION_CORE_RECORD": record})
    if record == "on":  # the record in a throw-away SQLite file (serve's default kind of record)
        import tempfile

        folder = tempfile.mkdtemp(prefix="http-bench-record-")
        env["DECISION_CORE_DATABASE_URL"] = f"sqlite:///{folder}/record.sqlite3"
    if catalogue_dir:
        env["DECISION_CORE_CATALOGUE_DIRS"] = catalogue_dir
    # -P: the installation of this Python, never a checkout that happens to be the working directory
    # (run from a repository's root, ``-m`` would import the checkout's code, whichever venv runs it)
    command = [sys.executable, "-P", "-m", "decision_core.cli.main", "serve", "--bind", f"127.0.0.1:{port}",
               *(["--workers", str(workers)] if workers else []),
               "--log-level", "warning", "--preload" if preload else "--no-preload", *extra]
    return wait_until_serving(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, text=True), port)


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL when it has not stopped within 30 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_until_serving(proc: subprocess.Popen, port: int) -> subprocess.Popen:
    """The server process once its /healthz answers (SystemExit when it exits or takes over 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{proc.stderr.read()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start within 60 s")


class Connection:
    """One keep-alive connection to 127.0.0.1:port, reopened after the server closes it or a request fails."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.opened = 0

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int | None:
        """The response's status, or None when the request failed."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.opened += 1
            self.conn.request("POST", path, body, headers)
            response = self.conn.getresponse()
            response.read()
            if response.will_close:
                self.close()
            return response.status
        except (OSError, http.client.HTTPException):
            self.close()
            return None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


class Client(threading.Thread):
    """One connection, kept open as long as the server does; posts the requests ``source()`` gives
    ((body, headers)) until told to stop, noting each one's latency and the failures."""

    def __init__(self, port: int, path: str, source, stop: threading.Event):
        super().__init__(daemon=True)
        self.path, self.source, self.stop = path, source, stop
        self.connection = Connection(port)
        self.latencies: list[float] = []
        self.errors = 0

    @property
    def reconnects(self) -> int:
        return self.connection.opened

    def run(self) -> None:
        while not self.stop.is_set():
            body, headers = self.source()
            started = time.perf_counter()
            status = self.connection.post(self.path, body, headers)
            if status != 200:
                self.errors += 1
            if status is not None:
                self.latencies.append(time.perf_counter() - started)


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time used so far by the server's worker processes (user + system)."""
    import psutil

    total = 0.0
    for child in psutil.Process(server.pid).children():
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def run_load(server: subprocess.Popen, port: int, path: str, bodies: list[bytes], connections: int, seconds: float,
             warmup: float) -> dict:
    stop = threading.Event()
    headers = {"Content-Type": "application/json", "X-API-Key": API_KEY}

    def bodies_from(offset: int):
        turn = itertools.count(offset)
        return lambda: (bodies[next(turn) % len(bodies)], headers)

    clients = [Client(port, path, bodies_from(i * 997), stop) for i in range(connections)]
    for c in clients:
        c.start()
    time.sleep(warmup)
    for c in clients:  # drop the warm-up samples
        c.latencies.clear()
        c.errors = 0
    started, cpu_before = time.perf_counter(), server_cpu_seconds(server)
    time.sleep(seconds)
    stop.set()
    elapsed, cpu_used = time.perf_counter() - started, server_cpu_seconds(server) - cpu_before
    for c in clients:
        c.join(30)
        c.connection.close()
    latencies = sorted(x for c in clients for x in c.latencies)
    return {"requests": len(latencies), "seconds": elapsed, "latencies": latencies, "cpu": cpu_used,
            "errors": sum(c.errors for c in clients), "reconnects": sum(c.reconnects for c in clients)}


def merge(runs: list[dict]) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    total_time = sum(r["seconds"] for r in runs)
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000 if n else float("nan")

    return {"requests": n, "rps": n / total_time if total_time else 0.0, "p50": pct(0.50), "p90": pct(0.90),
            "cpu_ms": sum(r["cpu"] for r in runs) / n * 1000 if n else float("nan"),
            "p99": pct(0.99), "max": latencies[-1] * 1000 if n else float("nan"),
            "errors": sum(r["errors"] for r in runs)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn worker processes (default: serve's default, CPUs + 1)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per round and route")
    parser.add_argument("--rounds", type=int, default=4,
                        help="rounds of echo then evaluations (default 4: interleaved, so both see the same noise)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of load before each measurement")
    parser.add_argument("--patients", type=int, default=2000, help="distinct patients to cycle through")
    parser.add_argument("--serve-option", action="append", default=[],
                        help="an option for decision-core serve, e.g. --serve-option=--keep-alive (repeatable)")
    parser.add_argument("--catalogue-dir", help="serve these rulesets instead of the installed catalogue")
    parser.add_argument("--record", choices=["on", "off"], default="off",
                        help="keep the record (a throw-away SQLite file) or not (default: off, as before issue 20)")
    parser.add_argument("--no-preload", dest="preload", action="store_false",
                        help="build the app in each worker instead of once in the master")
    parser.add_argument("--engine", choices=["durable", "plain"], default="durable",
                        help="rule engine of the server (default durable, the product's)")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args(argv)

    from decision_core.catalogue.loading import load_builtin_catalogue, load_catalogue

    catalogue = load_catalogue([(args.catalogue_dir, "local")]) if args.catalogue_dir else load_builtin_catalogue()
    bodies = [json.dumps(facts).encode() for facts in generate_cases(catalogue, args.patients, seed=7)]
    port = free_port()
    from decision_core.adapters.http.server import default_workers

    workers = args.workers or default_workers()
    server = start_server(port, workers, args.catalogue_dir, args.engine, args.preload, args.serve_option, args.record)
    try:
        # every body must be a valid case, or the evaluation figures would include cheap 422s
        check = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for body in bodies[:50]:
            check.request("POST", "/v1/evaluations", body, {"Content-Type": "application/json", "X-API-Key": API_KEY})
            response = check.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"a benchmark case was refused ({response.status}); fix the generator")
            if response.will_close:
                check.close()
        check.close()
        runs: dict[str, list[dict]] = {"/v1/echo": [], "/v1/evaluations": []}
        for _ in range(args.rounds):
            for path in runs:
                runs[path].append(run_load(server, port, path, bodies, args.connections, args.seconds, args.warmup))
    finally:
        stop_server(server)

    echo, evaluation = merge(runs["/v1/echo"]), merge(runs["/v1/evaluations"])
    ratio = evaluation["rps"] / echo["rps"] if echo["rps"] else 0.0
    mean_body = sum(map(len, bodies)) / len(bodies)
    print(f"command: python {shlex.join(['benchmarks/http_bench.py', *(argv if argv is not None else sys.argv[1:])])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end, "
          f"Python {platform.python_version()}; "
          f"gunicorn {workers} worker(s){'' if args.workers else ' (the default)'} (serve's gevent worker), "
          f"{'preloaded' if args.preload else 'not preloaded'}, "
          f"{args.engine} engine, "
          "production mode with an API key")
    print(f"load: {args.connections} keep-alive connections (http.client threads), {args.rounds} x "
          f"{args.seconds:g} s per route, {len(bodies)} distinct patients, mean body {mean_body:.0f} bytes")
    print()
    print(f"{'route':<20}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}{'server CPU ms/req':>19}")
    for name, figures in (("POST /v1/echo", echo), ("POST /v1/evaluations", evaluation)):
        print(f"{name:<20}{figures['requests']:>10}{figures['rps']:>10.0f}{figures['p50']:>9.2f}"
              f"{figures['p90']:>9.2f}{figures['p99']:>9.2f}{figures['max']:>9.2f}{figures['errors']:>8}"
              f"{figures['cpu_ms']:>19.3f}")
    print()
    ok_ratio = ratio >= TARGET_RATIO
    ok_p99 = evaluation["p99"] <= TARGET_P99_MS
    print(f"evaluation throughput / echo throughput: {ratio:.0%} (target >= {TARGET_RATIO:.0%}) "
          f"{'ok' if ok_ratio else 'MISSED'}")
    print(f"evaluation p99: {evaluation['p99']:.2f} ms (target <= {TARGET_P99_MS:g} ms) {'ok' if ok_p99 else 'MISSED'}")
    if args.json:
        print(json.dumps({"echo": echo, "evaluation": evaluation, "ratio": ratio}))
    if echo["errors"] or evaluation["errors"]:
        print("some requests failed: see the errors column")
        return 1
    return 0 if ok_ratio and ok_p99 else 1


if __name__ == "__main__":
    sys.exit(main())
