#!/usr/bin/env python3
"""Slow-client benchmark: well-behaved requests while many connections trickle bytes.

It starts ``decision-core serve`` (production mode, an API key, serve's defaults
unless told otherwise) on a free port of 127.0.0.1. Then, for ``--duration``
seconds, an attacker process keeps ``--connections`` connections open that each
send one byte a second: half trickle a request head that never ends, half send a
head with ``Content-Length: 100000`` and trickle the body. A connection the server
closes is opened again at once, so the pressure never lets up; the attacker notes
when each was closed. Meanwhile well-behaved client threads (``--clients`` per
route) send ``GET /healthz`` and ``POST /v1/evaluations`` (distinct patients), each
on a fresh connection, at a steady ``--rate`` per second each. It prints their
p50/p90/p99/max latency, the server processes' memory (RSS, summed over the
master and the workers) before, during (the largest sample) and after the attack,
and how many slow connections were closed and after how long.

    python benchmarks/slow_clients_bench.py                              # 200 connections, 60 s
    python benchmarks/slow_clients_bench.py --connections 50 --duration 20
    python benchmarks/slow_clients_bench.py --serve-option=--header-timeout=5

Target (issue 12): p99 <= 100 ms for both routes during the attack. Exit status 1
when it is missed or a well-behaved request failed.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import platform
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import generate_cases  # noqa: E402  (same folder)
from http_bench import API_KEY, free_port, stop_server, wait_until_serving  # noqa: E402

TARGET_P99_MS = 100.0
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
SLOW_BODY_HEAD = (f"POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {API_KEY}\r\n"
                  "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{").encode()


def start_server(port: int, serve_options: list[str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECISION_CORE_")}
    env.update({"DECISION_CORE_ENV": "production", "DECISION_CORE_API_KEYS": API_KEY})
    command = [sys.executable, "-P", "-m", "decision_core.cli.main", "serve", "--bind", f"127.0.0.1:{port}",
               "--log-level", "error", *serve_options]
    return wait_until_serving(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, text=True), port)


# ------------------------------------------------------------------ attacker (a process of its own)


async def _trickle(port: int, kind: str, started: float, until: float, drops: list) -> None:
    """One slow connection after another until ``until``: each sends a byte a second till closed."""
    loop = asyncio.get_running_loop()
    prefix, byte = (SLOW_HEAD, b"a") if kind == "head" else (SLOW_BODY_HEAD, b" ")
    while loop.time() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(1.0)
            continue
        opened = loop.time()
        closed = asyncio.ensure_future(reader.read())  # EOF (or the 408 and EOF): the server closed it
        try:
            writer.write(prefix)
            while loop.time() < until and not closed.done():
                await asyncio.wait([closed], timeout=1.0)
                if not closed.done():
                    writer.write(byte)
                    await writer.drain()
        except OSError:
            pass
        if loop.time() < until:  # closed by the server, not by the end of the attack
            drops.append((kind, opened - started, loop.time() - opened))  # (kind, opened at, closed after)
        closed.cancel()
        writer.close()


def attack(port: int, connections: int, duration: float, results) -> None:
    async def main():
        loop = asyncio.get_running_loop()
        started = loop.time()
        until = started + duration
        drops: list = []
        tasks = [asyncio.ensure_future(_trickle(port, "head" if i % 2 == 0 else "body", started, until, drops))
                 for i in range(connections)]
        await asyncio.gather(*tasks, return_exceptions=True)
        return drops

    results.put(asyncio.run(main()))


# ------------------------------------------------------------------ well-behaved clients and memory


class PacedClient(threading.Thread):
    """Sends one request on a fresh connection every 1/rate s; notes each latency and failure."""

    def __init__(self, port: int, route: str, bodies: list[bytes], offset: int, rate: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.route, self.bodies, self.index = port, route, bodies, offset
        self.interval, self.stop = 1.0 / rate, stop
        self.latencies: list[float] = []
        self.failures = 0

    def request(self) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            if self.route == "/healthz":
                conn.request("GET", "/healthz")
            else:
                self.index += 1
                conn.request("POST", self.route, self.bodies[self.index % len(self.bodies)],
                             {"Content-Type": "application/json", "X-API-Key": API_KEY})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def run(self) -> None:
        next_at = time.perf_counter()
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                ok = self.request() == 200
            except (OSError, http.client.HTTPException):
                ok = False
            if ok:
                self.latencies.append(time.perf_counter() - started)
            else:
                self.failures += 1
            next_at = max(next_at + self.interval, time.perf_counter())
            self.stop.wait(next_at - time.perf_counter())


def server_rss_mb(server: subprocess.Popen) -> float:
    import psutil

    total = 0
    master = psutil.Process(server.pid)
    for process in [master, *master.children()]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2 ** 20


class MemorySampler(threading.Thread):
    def __init__(self, server: subprocess.Popen, stop: threading.Event):
        super().__init__(daemon=True)
        self.server, self.stop, self.samples = server, stop, []

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.samples.append(server_rss_mb(self.server))


def percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    n = len(ordered)

    def pct(p: float) -> float:
        return ordered[min(n - 1, int(p * n))] * 1000 if n else float("nan")

    return {"n": n, "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": ordered[-1] * 1000 if n else float("nan")}


def run_clients(port: int, bodies: list[bytes], clients: int, rate: float, seconds: float) -> dict[str, dict]:
    stop = threading.Event()
    threads = [PacedClient(port, route, bodies, i * 997, rate, stop)
               for route in ("/healthz", "/v1/evaluations") for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(90)
    out = {}
    for route in ("/healthz", "/v1/evaluations"):
        mine = [t for t in threads if t.route == route]
        out[route] = dict(percentiles([x for t in mine for x in t.latencies]), failures=sum(t.failures for t in mine))
    return out


def describe_drops(drops: list) -> list[str]:
    lines = []
    for kind, label in (("head", "trickling a head"), ("body", "trickling a body")):
        after = [d[2] for d in drops if d[0] == kind]
        if not after:
            lines.append(f"  {label}: none closed by the server")
            continue
        first = min(d[1] + d[2] for d in drops if d[0] == kind)
        lines.append(f"  {label}: {len(after)} closed by the server, each after {min(after):.1f}-{max(after):.1f} s "
                     f"(median {statistics.median(after):.1f} s); the first {first:.1f} s into the attack")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200, help="slow connections kept open (default 200)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of attack (default 60)")
    parser.add_argument("--clients", type=int, default=2, help="well-behaved client threads per route (default 2)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second of each client (default 20)")
    parser.add_argument("--serve-option", action="append", default=[],
                        help="an option for decision-core serve, e.g. --serve-option=--workers=2 (repeatable)")
    args = parser.parse_args(argv)

    from decision_core.catalogue.loading import load_builtin_catalogue

    bodies = [json.dumps(facts).encode() for facts in generate_cases(load_builtin_catalogue(), 2000, seed=7)]
    port = free_port()
    server = start_server(port, args.serve_option)
    try:
        time.sleep(2.0)  # every worker forked
        baseline = run_clients(port, bodies, args.clients, args.rate, 5.0)
        rss_before = server_rss_mb(server)
        results = multiprocessing.get_context("spawn").Queue()
        attacker = multiprocessing.get_context("spawn").Process(
            target=attack, args=(port, args.connections, args.duration, results), daemon=True)
        stop_sampling = threading.Event()
        sampler = MemorySampler(server, stop_sampling)
        attacker.start()
        sampler.start()
        time.sleep(min(5.0, args.duration / 4))  # the slow connections are all open
        during = run_clients(port, bodies, args.clients, args.rate, max(1.0, args.duration - min(5.0, args.duration / 4)))
        drops = results.get(timeout=args.duration + 120)
        attacker.join(30)
        stop_sampling.set()
        sampler.join(5)
        time.sleep(2.0)
        rss_after = server_rss_mb(server)
        after = run_clients(port, bodies, args.clients, args.rate, 5.0)
        alive = server.poll() is None
    finally:
        stop_server(server)

    print(f"command: python {shlex.join(['benchmarks/slow_clients_bench.py', *(argv if argv is not None else sys.argv[1:])])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end, "
          f"Python {platform.python_version()}; decision-core serve {shlex.join(args.serve_option) or '(defaults)'}")
    print(f"attack: {args.connections} connections sending 1 byte/s for {args.duration:g} s (half a request head, "
          "half a body), each reopened at once when closed")
    print(f"well-behaved: {args.clients} client(s) per route, {args.rate:g} requests/s each, a fresh connection "
          "per request")
    print()
    print(f"{'phase':<8}{'route':<22}{'requests':>9}{'failed':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for phase, figures in (("before", baseline), ("during", during), ("after", after)):
        for route, f in figures.items():
            print(f"{phase:<8}{route:<22}{f['n']:>9}{f['failures']:>8}{f['p50']:>9.2f}{f['p90']:>9.2f}"
                  f"{f['p99']:>9.2f}{f['max']:>9.2f}")
    print()
    peak = max(sampler.samples, default=float("nan"))
    print(f"server RSS (master + workers): before {rss_before:.0f} MB, during at most {peak:.0f} MB, "
          f"after {rss_after:.0f} MB")
    print(f"slow connections closed by the server: {len(drops)}")
    for line in describe_drops(drops):
        print(line)
    ok = alive and all(during[r]["p99"] <= TARGET_P99_MS for r in during)
    failed = sum(f["failures"] for figures in (baseline, during, after) for f in figures.values())
    for route, f in during.items():
        print(f"{route} p99 during the attack: {f['p99']:.2f} ms (target <= {TARGET_P99_MS:g} ms) "
              f"{'ok' if f['p99'] <= TARGET_P99_MS else 'MISSED'}")
    if failed or not alive:
        print(f"{failed} well-behaved request(s) failed{'' if alive else '; the server exited'}")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
