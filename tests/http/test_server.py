"""Against a real gunicorn server on 127.0.0.1 (2 preloaded workers, durable engine):
concurrent patients get exactly their serial results, bad input of every kind is
answered with the right status, and the server survives all of it."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests
from http_support import API_KEY, MINI_DIR, random_patients, start_server, stop_server

from decision_core.adapters.http.backend import Backend
from decision_core.intake import InvalidFacts

THREADS = 16
PATIENTS = 400
HEADERS = {"X-API-Key": API_KEY, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def serial_backend():
    # what the server runs, built the same way in this process: the serial oracle
    return Backend.from_directories([MINI_DIR], engine="durable")


def expected(backend, facts):
    try:
        return 200, backend.evaluator.evaluate(facts).to_dict()
    except InvalidFacts as exc:
        return 422, exc.errors


def test_concurrent_patients_get_their_serial_results(mini_server, serial_backend, mini_catalogue):
    patients = random_patients(mini_catalogue, PATIENTS, seed=20240521)
    for i in range(0, PATIENTS, 25):  # some invalid ones mixed in
        patients[i] = dict(patients[i], sitting=25 + i)
    serial = [expected(serial_backend, p) for p in patients]
    local = threading.local()

    def call(index: int):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(f"{mini_server.base}/v1/evaluations", data=json.dumps(patients[index]),
                                headers=HEADERS, timeout=30)
        body = response.json()
        return index, response.status_code, body if response.status_code == 200 else body.get("errors")

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(call, range(PATIENTS)))
    # serve keeps a record by default: each evaluation its own record id, the rest the serial result
    record_ids = [body.pop("record_id") for _, status, body in answers if status == 200]
    assert len(set(record_ids)) == len(record_ids) == PATIENTS - PATIENTS // 25
    mismatches = [i for i, status, body in answers if (status, body) != serial[i]]
    assert not mismatches, f"{len(mismatches)} responses differ from the serial result, e.g. patient {mismatches[0]}"
    assert sum(1 for _, status, _ in answers if status == 422) == PATIENTS // 25
    # the engine really ran in the workers (not a fallback)
    assert {body["engine"] for _, status, body in answers if status == 200} == {"durable"}


def test_cds_needs_a_jwt_on_a_production_server(mini_server):
    call = {"hook": "patient-view", "hookInstance": "h1", "context": {
        "patientId": "p1", "extension": {"hamstring-decision-core.facts": {"red": True}}}}
    refused = requests.post(f"{mini_server.base}/cds-services/hamstring-patient-view", json=call, timeout=10)
    assert refused.status_code == 401


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 10) -> tuple[int, bytes]:
    """Send bytes as they are (no client-side fixing up); return the status and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        def send():
            try:
                sock.sendall(head + body)
            except OSError:
                pass  # the server may answer (413) and close before reading everything

        sender = threading.Thread(target=send)
        sender.start()
        data = b""
        try:
            while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        sender.join(timeout)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""


def _expected_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return 1 << 30


def post_head(path: str, length: int | None, content_type: str | None = "application/json", extra: str = "") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"X-API-Key: {API_KEY}", "Connection: close"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + extra + "\r\n\r\n").encode()


def chunked(body: bytes, size: int = 4096) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


LIMIT = 65536  # DECISION_CORE_MAX_CONTENT_LENGTH of the test server
BAD_INPUTS = [
    ("wrong types", b'{"sitting": "8", "cramp": 1, "places": "a"}', "application/json", 422),
    ("not an object", b"[1, 2, 3]", "application/json", 422),
    ("unknown fact", b'{"shoe_size": 44}', "application/json", 422),
    ("malformed JSON", b'{"sitting": 8,', "application/json", 400),
    ("invalid UTF-8", b'{"sports": ["\xff\xfe"]}', "application/json", 400),
    ("deep nesting (arrays)", b"[" * 30000 + b"]" * 30000, "application/json", 400),
    ("deep nesting (objects)", b'{"a":' * 10000 + b"1" + b"}" * 10000, "application/json", 400),
    ("duplicate keys", b'{"red": false, "red": true}', "application/json", 400),
    ("NaN", b'{"sitting": NaN}', "application/json", 400),
    ("empty body", b"", "application/json", 400),
    ("missing content type", b'{"sitting": 8}', None, 415),
    ("form content type", b"sitting=8", "application/x-www-form-urlencoded", 415),
    ("huge body", b'{"sports": ["' + b"x" * (LIMIT * 3) + b'"]}', "application/json", 413),
    ("NUL in a word", b'{"sports": ["a\\u0000b"]}', "application/json", 422),  # one rule for a word (issue 24)
]


def worker_pids(server) -> set[int]:
    return {p.pid for p in psutil.Process(server.proc.pid).children()}


@pytest.mark.parametrize("name, body, content_type, status", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_the_right_status(mini_server, name, body, content_type, status):
    got, payload = raw_request(mini_server.port, post_head("/v1/evaluations", len(body), content_type), body)
    assert got == status, payload[:300]
    if status >= 400:
        problem = json.loads(payload)
        assert problem["status"] == status and "Traceback" not in payload.decode("utf-8", "replace")


def test_chunked_bodies_are_limited_too(mini_server):
    big = b'{"sports": ["' + b"y" * (LIMIT * 2) + b'"]}'
    head = post_head("/v1/evaluations", None, extra="\r\nTransfer-Encoding: chunked")
    assert raw_request(mini_server.port, head, chunked(big))[0] == 413
    small = b'{"red": true}'
    status, payload = raw_request(mini_server.port, head, chunked(small, 3))
    assert status == 200 and json.loads(payload)["triage"]["level"] == "emergency"


@pytest.mark.parametrize("framing", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"5\r\n{}"],
                         ids=["chunk size zz", "no CRLF after a chunk", "ends early"])
def test_a_broken_chunked_body_is_a_400_and_the_worker_lives(mini_server, framing):
    before = worker_pids(mini_server)
    head = post_head("/v1/evaluations", None, extra="\r\nTransfer-Encoding: chunked")
    with socket.create_connection(("127.0.0.1", mini_server.port), timeout=10) as sock:
        sock.sendall(head + framing)
        sock.shutdown(socket.SHUT_WR)  # "ends early": the client stops sending
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 "), data[:300]
    problem = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert problem["status"] == 400 and "framing" in problem["detail"]
    assert worker_pids(mini_server) == before
    assert requests.get(f"{mini_server.base}/healthz", timeout=5).status_code == 200
    assert "Traceback" not in mini_server.log()


def test_broken_http_is_refused_by_the_server_itself(mini_server):
    assert raw_request(mini_server.port, b"GARBAGE\r\n\r\n")[0] == 400
    huge_header = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'z' * 20000}\r\n\r\n".encode()
    assert raw_request(mini_server.port, huge_header)[0] in (400, 431)


def test_server_survives_the_corpus(mini_server):
    before = worker_pids(mini_server)
    for name, body, content_type, status in BAD_INPUTS * 2:
        raw_request(mini_server.port, post_head("/v1/evaluations", len(body), content_type), body)
    assert worker_pids(mini_server) == before, "a worker died or was restarted"
    assert requests.get(f"{mini_server.base}/healthz", timeout=5).json()["status"] == "ok"
    ok = requests.post(f"{mini_server.base}/v1/evaluations", json={"cramp": True}, headers=HEADERS, timeout=5)
    assert ok.status_code == 200 and ok.json()["causes"][0]["id"] == "glutes_cause"
    log = mini_server.log()
    assert "Traceback" not in log and "zzzz" not in log


def test_cds_report_links_are_shared_by_all_workers(tmp_path, signer, jwks_file):
    issuer = "https://ehr.example.org"
    server = start_server(tmp_path, {
        "DECISION_CORE_CATALOGUE_DIRS": str(MINI_DIR), "DECISION_CORE_ENGINE": "plain", "TMPDIR": str(tmp_path),
        "DECISION_CORE_CDS_TRUSTED_ISSUERS": json.dumps({issuer: str(jwks_file)}),
        "DECISION_CORE_TRUSTED_HOSTS": "127.0.0.1"})
    try:
        url = f"{server.base}/cds-services/hamstring-patient-view"
        call = {"hook": "patient-view", "hookInstance": "h1", "context": {
            "patientId": "p1", "extension": {"hamstring-decision-core.facts": {"red": True}}}}
        token = signer.token(url)
        response = requests.post(url, json=call, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200, response.text
        link = response.json()["cards"][0]["links"][0]["url"]
        assert link.startswith(f"{server.base}/v1/reports/")
        # many at once on fresh connections: both workers serve some, and every one finds the report
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: requests.get(link, timeout=10).status_code, range(32)))
        assert statuses == [200] * 32
        # the same JWT on another connection (maybe another worker) is a replay
        again = requests.post(url, json=call, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert again.status_code == 403
        assert list(tmp_path.glob("decision-core-*")), "the shared state folder is where TMPDIR says"
    finally:
        stop_server(server)
    assert not list(tmp_path.glob("decision-core-*")), "the shared state folder is removed on exit"


def test_serve_refuses_to_start_on_bad_configuration(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DECISION_CORE_MAX_CONTENT_LENGTH": "lots", "DECISION_CORE_CORS_MAX_AGE": "-1"}
    run = subprocess.run([sys.executable, "-m", "decision_core.cli.main", "serve", "--bind", "127.0.0.1:1"],
                         capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert run.returncode == 1
    assert "DECISION_CORE_MAX_CONTENT_LENGTH: Not a valid integer." in run.stderr
    assert "DECISION_CORE_CORS_MAX_AGE: Must be greater than or equal to 1." in run.stderr
    assert "Traceback" not in run.stderr
    env = {"PATH": "/usr/bin:/bin", "DECISION_CORE_CATALOGUE_DIRS": str(tmp_path / "missing")}
    run = subprocess.run([sys.executable, "-m", "decision_core.cli.main", "serve", "--bind", "127.0.0.1:1"],
                         capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert run.returncode == 1 and "cannot start" in run.stderr and "Traceback" not in run.stderr
    # CDS Hooks in production: the JWT audience must not come from the Host header
    env = {"PATH": "/usr/bin:/bin", "DECISION_CORE_CDS_TRUSTED_ISSUERS": '{"https://ehr.example": "/keys.json"}'}
    run = subprocess.run([sys.executable, "-m", "decision_core.cli.main", "serve", "--bind", "127.0.0.1:1"],
                         capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "DECISION_CORE_PUBLIC_BASE_URL: required in production when DECISION_CORE_CDS_TRUSTED_ISSUERS" in run.stderr


def test_serve_defaults_to_one_worker_per_cpu_plus_one(monkeypatch):
    from decision_core.adapters.http import server

    monkeypatch.setattr(server.os, "cpu_count", lambda: 4)
    assert server.default_workers() == 5
    monkeypatch.setattr(server.os, "cpu_count", lambda: None)  # unknown: still one spare worker
    assert server.default_workers() == 2


def test_serve_config_file_reaches_the_app_without_touching_the_environment(tmp_path, monkeypatch):
    """``serve --config FILE`` reads the file with the environment into the configuration every
    worker's app is built from; os.environ is left as it was (issue 23 §4)."""
    import os

    from click.testing import CliRunner

    from decision_core.adapters.http import server

    monkeypatch.delenv("DECISION_CORE_CONFIG", raising=False)
    monkeypatch.setenv("DECISION_CORE_REPORT_TTL_SECONDS", "77")  # the environment still counts, below the file
    config_file = tmp_path / "server.toml"
    config_file.write_text('API_KEYS = ["from-the-file"]\nENV = "development"\n', encoding="utf-8")
    built = {}
    monkeypatch.setattr(server, "_gunicorn_app", lambda load, options: type("Run", (), {
        "run": staticmethod(lambda: built.setdefault("app", load()))})())
    before = dict(os.environ)
    out = CliRunner().invoke(server.serve, ["--bind", "127.0.0.1:1", "--config", str(config_file)])
    assert out.exit_code == 0, out.output
    assert dict(os.environ) == before
    config = built["app"].config
    assert config["API_KEYS"] == ["from-the-file"] and config["ENV"] == "development"
    assert config["REPORT_TTL_SECONDS"] == 77
