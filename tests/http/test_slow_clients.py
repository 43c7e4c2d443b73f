"""Slow clients cannot take a real ``decision-core serve`` down (issue 12 §1).

The reproductions, at a small scale: connections that send their request head or
body one byte a second, many more of them than there are workers, on serve's
defaults and on ``--workers 2 --threads 4``; meanwhile ``/healthz`` and evaluations
from well-behaved clients are answered at once (a generous bound here: the precise
figures are benchmarks/slow_clients_bench.py's), no worker is restarted, and a
connection past its head or body deadline is closed."""
from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests
from http_support import API_KEY, MINI_DIR, start_server, stop_server

HEADERS = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
ENV = {"DECISION_CORE_CATALOGUE_DIRS": str(MINI_DIR), "DECISION_CORE_ENGINE": "durable",
       "DECISION_CORE_API_KEYS": API_KEY, "DECISION_CORE_ENV": "production"}
FAST_ENOUGH = 2.0  # seconds; a held server took 30 s and more


def slow_head() -> bytes:
    return b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200


def slow_body_head(length: int = 200) -> bytes:
    return (f"POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


class Trickler(threading.Thread):
    """One connection that sends ``prefix`` at once, then ``trickle`` one byte a second, and notes
    when the server closed it (the socket read EOF or was reset) and what it answered."""

    def __init__(self, port: int, prefix: bytes, trickle: bytes, stop: threading.Event):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.prefix, self.trickle, self.stop = prefix, trickle, stop
        self.started = time.monotonic()
        self.closed_after: float | None = None
        self.answer = b""

    def run(self) -> None:
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        try:
            self.sock.sendall(self.prefix)
            for byte in self.trickle:
                if self.stop.wait(1.0) or self.closed_after is not None:
                    break
                self.sock.sendall(bytes([byte]))
        except OSError:
            pass
        reader.join(30)
        self.sock.close()

    def _read(self) -> None:
        try:
            while data := self.sock.recv(4096):
                self.answer += data
        except OSError:
            pass
        if not self.stop.is_set():
            self.closed_after = time.monotonic() - self.started


def worker_pids(server, expected: int) -> set[int]:
    """The worker processes' ids, once all ``expected`` have been forked (serve answers before that)."""
    deadline = time.monotonic() + 20
    while True:
        pids = {p.pid for p in psutil.Process(server.proc.pid).children()}
        if len(pids) >= expected or time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def timed(call) -> tuple[float, int]:
    started = time.monotonic()
    status = call()
    return time.monotonic() - started, status


def test_many_trickling_clients_leave_the_server_answering(tmp_path):
    # the second reproduction (--workers 2 --threads 4, which held /healthz for 38 s with 8
    # connections), with five times as many connections; --timeout 5: a worker held that long by a
    # client would be killed and restarted within the test
    server = start_server(tmp_path, ENV, workers=2, args=("--threads", "4", "--timeout", "5", "--header-timeout", "30"))
    stop = threading.Event()
    try:
        before = worker_pids(server, 2)
        tricklers = [Trickler(server.port, slow_head(), b"b" * 60, stop) for _ in range(20)]
        tricklers += [Trickler(server.port, slow_body_head(), b"{" + b" " * 199, stop) for _ in range(20)]
        for t in tricklers:
            t.start()
        time.sleep(1.0)  # every trickler is connected and has sent its first bytes
        body = json.dumps({"cramp": True})

        def health():
            return requests.get(f"{server.base}/healthz", timeout=30).status_code

        def evaluation():
            return requests.post(f"{server.base}/v1/evaluations", data=body, headers=HEADERS, timeout=30).status_code

        answers = []
        with ThreadPoolExecutor(4) as pool:
            for _ in range(6):  # about 6 s: past the --timeout that would kill a held worker
                answers += pool.map(timed, [health, evaluation, health, evaluation])
                time.sleep(1.0)
        assert all(status == 200 for _, status in answers), answers
        slowest = max(seconds for seconds, _ in answers)
        assert slowest < FAST_ENOUGH, f"a well-behaved request took {slowest:.1f} s"
        assert not [t for t in tricklers if t.closed_after is not None], "within its deadlines, nobody is dropped"
        assert worker_pids(server, 2) == before, "a worker was killed or restarted"
        assert "--threads is ignored" in server.log()
    finally:
        stop.set()
        stop_server(server)


def test_a_late_head_or_body_is_dropped_on_the_defaults(tmp_path):
    # serve's defaults (3 workers: the first reproduction held all three with 3 connections),
    # with short deadlines so the test need not wait the default 10 and 30 s
    server = start_server(tmp_path, ENV, workers=3, args=("--header-timeout", "2", "--body-timeout", "2"))
    stop = threading.Event()
    try:
        before = worker_pids(server, 3)
        idle = [Trickler(server.port, b"", b"", stop) for _ in range(3)]
        heads = [Trickler(server.port, slow_head(), b"b" * 30, stop) for _ in range(5)]
        bodies = [Trickler(server.port, slow_body_head(), b"{" + b" " * 199, stop) for _ in range(5)]
        for t in idle + heads + bodies:
            t.start()
        time.sleep(1.0)
        during = [timed(lambda: requests.get(f"{server.base}/healthz", timeout=30).status_code) for _ in range(3)]
        for t in idle + heads + bodies:
            t.join(10)
        for t in idle + heads + bodies:
            # closed at its 2 s deadline (+ up to a second for the body's head to arrive and the close to be seen)
            assert t.closed_after is not None and 1.5 <= t.closed_after <= 5.0, t.closed_after
        assert not any(t.answer for t in idle + heads), "a late head is closed without an answer"
        for t in bodies:
            assert t.answer.startswith(b"HTTP/1.1 408 "), t.answer[:100]
            assert json.loads(t.answer.split(b"\r\n\r\n", 1)[1])["status"] == 408
        assert all(status == 200 and seconds < FAST_ENOUGH for seconds, status in during), during
        # a whole request sent slowly but within the deadlines is served as usual
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            body = json.dumps({"cramp": True}).encode()
            head = slow_body_head(len(body)).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
            for part in (head[:20], head[20:], body[:5], body[5:]):
                sock.sendall(part)
                time.sleep(0.4)
            answer = b""
            while data := sock.recv(65536):
                answer += data
        assert answer.startswith(b"HTTP/1.1 200 ") and b"glutes_cause" in answer
        # a client that waits for 100 Continue before its body (curl does, for a second) gets it at once
        with socket.create_connection(("127.0.0.1", server.port), timeout=FAST_ENOUGH) as sock:
            sock.sendall(head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
            assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            sock.sendall(body)
            answer = b""
            while data := sock.recv(65536):
                answer += data
        assert answer.startswith(b"HTTP/1.1 200 ") and b"glutes_cause" in answer
        assert worker_pids(server, 3) == before, "a worker was killed or restarted"
        log = server.log()
        assert log.count("request body took more than 2 s") == len(bodies)
        assert "Traceback" not in log
    finally:
        stop.set()
        stop_server(server)


def test_stopping_does_not_wait_for_slow_connections(tmp_path):
    # gunicorn gives open connections graceful_timeout (30 s) to finish; slow ones would take all of it
    server = start_server(tmp_path, ENV, workers=2)
    stop = threading.Event()
    try:
        tricklers = [Trickler(server.port, slow_head(), b"b" * 60, stop) for _ in range(4)]
        tricklers += [Trickler(server.port, slow_body_head(), b"{" + b" " * 199, stop) for _ in range(4)]
        tricklers += [Trickler(server.port, b"", b"", stop) for _ in range(2)]
        for t in tricklers:
            t.start()
        time.sleep(1.5)
        started = time.monotonic()
        server.proc.terminate()
        server.proc.wait(40)
        assert time.monotonic() - started < 10, "stopping waited for the slow connections"
        for t in tricklers:
            t.join(10)
        assert all(t.closed_after is not None for t in tricklers)
    finally:
        stop.set()
        stop_server(server)


@pytest.mark.parametrize("option", ["--header-timeout", "--body-timeout"])
def test_deadlines_are_checked_at_start(tmp_path, option):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "decision_core.cli.main", "serve", "--bind", "127.0.0.1:1", option, "0"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 2 and option in run.stderr


def test_the_application_is_entered_by_one_greenlet_at_a_time():
    # the worker's greenlets share one thread, where the engine's re-entrant lock would let a second
    # request in if the first one ever waited cooperatively: the worker's own lock keeps them apart
    import gevent

    from decision_core.adapters.http.worker import one_request_at_a_time

    inside, most = 0, 0

    def application(environ, start_response):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        gevent.sleep(0.01)  # waits cooperatively in the middle of a request
        inside -= 1
        return [b"ok"]

    wrapped = one_request_at_a_time(application)
    gevent.joinall([gevent.spawn(wrapped, {}, None) for _ in range(5)], timeout=10)
    assert most == 1
    assert [wrapped({}, None)] == [[b"ok"]]


@pytest.mark.parametrize("args, kept", [((), False), (("--keep-alive",), True)])
def test_connections_close_after_each_response_unless_kept_alive(tmp_path, args, kept):
    # closed by default, so every request goes back to the shared accept queue and no worker
    # queues a kept-alive client's requests while another idles (docs/http.md, Slow clients)
    server = start_server(tmp_path, ENV, workers=2, args=args)
    try:
        with requests.Session() as client:
            first = client.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
            second = client.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
        assert first.status_code == second.status_code == 200
        assert (first.headers.get("Connection", "").lower() == "close") is not kept
    finally:
        stop_server(server)
