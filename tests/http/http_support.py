"""Helpers shared by the HTTP adapter's tests (a module with a unique name: tests/ is not a package)."""
from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from decision_core.testing import random_facts

REPO_ROOT = Path(__file__).resolve().parents[2]
MINI_DIR = REPO_ROOT / "tests" / "fixtures" / "mini"
ISSUER = "https://ehr.example.org"
API_KEY = "test-key-0123456789"
TEST_FORMAT = "shout"
BASE_URL = "http://localhost"


def shout(result, **options) -> str:
    """A test output format: the triage level and cause ids, upper case."""
    return " ".join([result.triage.level, *(c.id for c in result.causes)]).upper()


# ------------------------------------------------------------------------- JWT


class Signer:
    """Signs CDS Hooks JWTs with keys generated for the test; publishes their JWKS."""

    def __init__(self):
        self.keys = {
            "es256": ("ES256", ec.generate_private_key(ec.SECP256R1())),
            "es384": ("ES384", ec.generate_private_key(ec.SECP384R1())),
            "rs384": ("RS384", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        }

    def jwks(self) -> dict:
        keys = []
        for kid, (alg, private) in self.keys.items():
            algorithm = jwt.get_algorithm_by_name(alg)
            jwk = json.loads(algorithm.to_jwk(private.public_key()))
            keys.append(dict(jwk, kid=kid, alg=alg, use="sig"))
        return {"keys": keys}

    def token(self, aud: str, kid: str = "es384", iss: str = ISSUER, lifetime: int = 300, headers=None, **claims) -> str:
        alg, private = self.keys[kid]
        now = int(time.time())
        payload = {"iss": iss, "sub": "ehr-client", "aud": aud, "iat": now, "exp": now + lifetime,
                   "jti": str(uuid.uuid4())}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, private, algorithm=alg, headers={"kid": kid, "typ": "JWT", **(headers or {})})


# ----------------------------------------------------------------- patients


class ExplodingEvaluator:
    """An evaluator that fails on any non-empty facts, putting them in its error message (as a careless
    engine might); empty facts (the app's warm-up) pass through to ``inner``."""

    engine_name = "plain"

    def __init__(self, inner):
        self.inner = inner

    def evaluate(self, facts):
        if facts:
            raise RuntimeError(f"engine state dump: {facts}")
        return self.inner.evaluate(facts)


def random_patients(catalogue, count: int, seed: int) -> list[dict]:
    """Distinct, valid patients: each fact known with probability 1/2."""
    rng = random.Random(seed)
    patients, seen = [], set()
    while len(patients) < count:
        facts = random_facts(catalogue, rng, words=("running", "sprinting", "football", "yoga"))
        key = json.dumps(facts, sort_keys=True)
        if key not in seen:
            seen.add(key)
            patients.append(facts)
    return patients


# ------------------------------------------------------------ a real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    def __init__(self, proc: subprocess.Popen, port: int, log_path: Path):
        self.proc, self.port, self.log_path = proc, port, log_path
        self.base = f"http://127.0.0.1:{port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(tmp_path: Path, env_extra: dict, workers: int = 2, args=()) -> RunningServer:
    import requests

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECISION_CORE_")}
    env.update(env_extra)
    log_path = tmp_path / "server.log"
    log_file = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "decision_core.cli.main", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--log-level", "warning", *args],
        stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    log_file.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log_path.read_text()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return RunningServer(proc, port, log_path)
        except requests.RequestException:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"the server did not answer within 60 s:\n{log_path.read_text()}")


def stop_server(server: RunningServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()




class FhirServer:
    """A tiny FHIR server on 127.0.0.1 (http.server in a thread): it answers a search with the Bundle
    registered for its resource type, only to ``Authorization: Bearer <token>``, and records every request.
    ``delay`` (seconds) slows each answer; ``extra`` (bytes) pads it; ``redirect`` answers 302 to that URL."""

    def __init__(self, token: str = "fhir-token-0123"):
        import http.server
        import threading

        self.token = token
        self.bundles: dict[str, dict] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.delay, self.extra, self.redirect = 0.0, 0, None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Authorization")))
                time.sleep(outer.delay)
                if outer.redirect:
                    self.send_response(302)
                    self.send_header("Location", outer.redirect)
                    self.end_headers()
                    return
                if self.headers.get("Authorization") != f"Bearer {outer.token}":
                    return self._send(401, {"resourceType": "OperationOutcome", "issue": [
                        {"severity": "error", "code": "login"}]})
                kind = self.path.split("?")[0].rsplit("/", 1)[-1]
                bundle = outer.bundles.get(kind, {"resourceType": "Bundle", "type": "searchset", "total": 0})
                self._send(200, bundle)

            def _send(self, status, body):
                data = json.dumps(body).encode() + b" " * outer.extra
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir/r4"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def authorization(self, token: str | None = None) -> dict:
        return {"access_token": token or self.token, "token_type": "Bearer", "expires_in": 300,
                "scope": "patient/QuestionnaireResponse.read patient/Observation.read", "subject": "cds-service"}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def serve_app(app):
    """A Flask app on a real HTTP server (werkzeug, threaded) on a free port of 127.0.0.1: its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
