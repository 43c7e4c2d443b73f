"""Authentication: API keys for REST, signed JWTs for CDS Hooks; off only in development mode."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from http_support import API_KEY, BASE_URL, ISSUER

SERVICE = "/cds-services/hamstring-patient-view"
CALL = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"patientId": "p1", "extension": {"hamstring-decision-core.facts": {"red": True}}}}


def base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ API keys


def test_rest_needs_an_api_key_in_production(secure_app):
    client = secure_app.test_client()
    for path in ("/v1/facts", "/v1/causes", "/v1/sources", "/v1/formats", "/v1/rulesets"):
        response = client.get(path)
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get(path, headers={"X-API-Key": API_KEY}).status_code == 200
        assert client.get(path, headers=bearer(API_KEY)).status_code == 200
        assert client.get(path, headers={"X-API-Key": API_KEY + "x"}).status_code == 401
        assert client.get(path, headers=bearer("wrong")).status_code == 401
    assert client.post("/v1/evaluations", json={"red": True}).status_code == 401
    assert client.post("/v1/evaluations", json={"red": True}, headers={"X-API-Key": API_KEY}).json["triage"]["level"] == "emergency"


def test_public_routes_need_no_key(secure_app):
    client = secure_app.test_client()
    for path in ("/healthz", "/openapi.json", "/docs", "/app", "/app/static/app.js", "/app/static/app.css"):
        assert client.get(path).status_code == 200
    # the page is public, what it calls is not
    assert client.get("/fhir/Questionnaire/hamstring-intake").status_code == 401


def test_the_practitioner_page_allows_only_its_own_files(secure_app):
    response = secure_app.test_client().get("/app")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert "<script>" not in response.get_data(as_text=True)  # no inline script: modules from /app/static only


def test_production_without_keys_fails_closed(make_app, caplog):
    client = make_app(ENV="production").test_client()
    response = client.get("/v1/facts", headers={"X-API-Key": "anything"})
    assert response.status_code == 401 and "no API keys configured" in response.json["detail"]
    assert client.post(SERVICE, json=CALL, headers=bearer("x.y.z")).status_code == 401
    assert "refuses every call" in caplog.text


def test_development_mode_needs_no_credentials(client):
    assert client.get("/v1/facts").status_code == 200
    assert client.post(SERVICE, json=CALL).status_code == 200


def test_keys_from_a_file(make_app, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# clinic A\nkey-a\n\nkey-b\n")
    client = make_app(ENV="production", API_KEYS_FILE=str(keys)).test_client()
    assert client.get("/v1/facts", headers={"X-API-Key": "key-b"}).status_code == 200
    assert client.get("/v1/facts", headers={"X-API-Key": "# clinic A"}).status_code == 401


# ----------------------------------------------------------------- CDS JWTs


@pytest.mark.parametrize("kid", ["es256", "es384", "rs384"])
def test_cds_call_with_a_valid_jwt(secure_app, signer, kid):
    client = secure_app.test_client()
    token = signer.token(BASE_URL + SERVICE, kid=kid)
    response = client.post(SERVICE, json=CALL, headers=bearer(token))
    assert response.status_code == 200, response.json
    assert response.json["cards"][0]["indicator"] == "critical"


def test_discovery_and_feedback_need_a_jwt_for_their_own_url(secure_app, signer):
    client = secure_app.test_client()
    assert client.get("/cds-services").status_code == 401
    assert client.get("/cds-services", headers=bearer(signer.token(BASE_URL + "/cds-services"))).status_code == 200
    feedback = {"feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2024-01-01T00:00:00Z"}]}
    for aud in (BASE_URL + SERVICE + "/feedback", BASE_URL + SERVICE):
        assert client.post(SERVICE + "/feedback", json=feedback, headers=bearer(signer.token(aud))).status_code == 200
    # an API key is not a CDS credential
    assert client.get("/cds-services", headers={"X-API-Key": API_KEY}).status_code == 401


@pytest.mark.parametrize("change, message", [
    ({"aud": BASE_URL + "/cds-services/other-service"}, "audience"),
    ({"aud": "https://elsewhere.example.org" + SERVICE}, "audience"),
    ({"iss": "https://unknown.example.org"}, "issuer is not trusted"),
    ({"lifetime": -120}, "expired"),
    ({"jti": None}, "'jti'"),
    ({"iat": None}, "'iat'"),
    ({"lifetime": 7200}, "too long"),
    ({"kid": "es256", "headers": {"kid": "nope"}}, "key id"),
    ({"headers": {"typ": "at+jwt"}}, "'typ'"),
])
def test_cds_jwt_is_checked(secure_app, signer, change, message):
    change = dict(change)
    aud = change.pop("aud", BASE_URL + SERVICE)
    response = secure_app.test_client().post(SERVICE, json=CALL, headers=bearer(signer.token(aud, **change)))
    assert response.status_code == 401, response.json
    assert message in response.json["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_replayed_jwt_is_403(secure_app, signer):
    client = secure_app.test_client()
    token = signer.token(BASE_URL + SERVICE)
    assert client.post(SERVICE, json=CALL, headers=bearer(token)).status_code == 200
    replay = client.post(SERVICE, json=CALL, headers=bearer(token))
    assert replay.status_code == 403 and replay.json["type"].endswith(":replayed-token")


def test_symmetric_and_unsigned_tokens_are_refused(secure_app, signer):
    client = secure_app.test_client()
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": BASE_URL + SERVICE, "iat": now, "exp": now + 60, "jti": "j1"}
    # an attacker who knows the public key tries to use it as an HMAC secret (PyJWT will not sign that: by hand)
    public_pem = signer.keys["es256"][1].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = b".".join(base64url(json.dumps(part).encode()) for part in (
        {"alg": "HS256", "typ": "JWT", "kid": "es256"}, claims))
    hs = (signing_input + b"." + base64url(hmac.new(public_pem, signing_input, hashlib.sha256).digest())).decode()
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "es256"})
    for token in (hs, unsigned, "not-a-jwt", "a.b.c"):
        response = client.post(SERVICE, json=CALL, headers=bearer(token))
        assert response.status_code == 401, token


def test_algorithm_must_match_the_key(secure_app, signer):
    # signed with the ES256 key but claiming another key's id
    token = signer.token(BASE_URL + SERVICE, kid="es256", headers={"kid": "es384"})
    assert secure_app.test_client().post(SERVICE, json=CALL, headers=bearer(token)).status_code == 401


@pytest.fixture
def no_alg_app(make_app, signer, tmp_path):
    """Trusts a JWKS whose keys do not declare 'alg' (common), with every algorithm allowed."""
    jwks = signer.jwks()
    for key in jwks["keys"]:
        del key["alg"]
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    return make_app(ENV="production", CDS_TRUSTED_ISSUERS={ISSUER: str(tmp_path / "jwks.json")},
                    CDS_JWT_ALGORITHMS="ES256,ES384,ES512,RS256,RS384,PS256", PUBLIC_BASE_URL=BASE_URL)


@pytest.mark.parametrize("signed_with, named_key", [("es256", "rs384"), ("rs384", "es256"), ("es384", "es256")],
                         ids=["ES256 on an RSA key", "RS384 on an EC key", "ES384 on a P-256 key"])
def test_an_algorithm_of_another_family_than_the_key_is_401(no_alg_app, signer, signed_with, named_key, caplog):
    # PyJWT raised TypeError (500) when the header's alg could not use the named key at all
    token = signer.token(BASE_URL + SERVICE, kid=signed_with, headers={"kid": named_key})
    response = no_alg_app.test_client().post(SERVICE, json=CALL, headers=bearer(token))
    assert response.status_code == 401, response.json
    assert "cannot be used with its key" in response.json["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "failed" not in caplog.text  # not an internal error
    good = signer.token(BASE_URL + SERVICE, kid=named_key)
    assert no_alg_app.test_client().post(SERVICE, json=CALL, headers=bearer(good)).status_code == 200


@pytest.mark.parametrize("claim, kind", [("exp", "numeric string"), ("iat", "numeric string"), ("nbf", "numeric string"),
                                         ("iat", "boolean"), ("nbf", "boolean")])
def test_numeric_dates_must_be_numbers(secure_app, signer, claim, kind):
    now = int(time.time())
    value = {"exp": now + 60, "iat": now, "nbf": now}[claim]
    token = signer.token(BASE_URL + SERVICE, **{claim: str(value) if kind == "numeric string" else True})
    response = secure_app.test_client().post(SERVICE, json=CALL, headers=bearer(token))
    assert response.status_code == 401, response.json
    assert f"'{claim}' must be a number" in response.json["detail"]


def test_only_configured_algorithms(make_app, signer, jwks_file):
    client = make_app(ENV="production", CDS_TRUSTED_ISSUERS={ISSUER: str(jwks_file)},
                      CDS_JWT_ALGORITHMS="ES384", PUBLIC_BASE_URL=BASE_URL).test_client()
    assert client.post(SERVICE, json=CALL, headers=bearer(signer.token(BASE_URL + SERVICE, kid="es384"))).status_code == 200
    refused = client.post(SERVICE, json=CALL, headers=bearer(signer.token(BASE_URL + SERVICE, kid="rs384")))
    assert refused.status_code == 401 and "RS384" in refused.json["detail"]


def test_production_cds_needs_a_public_base_url_or_trusted_hosts(make_app, signer, jwks_file):
    from decision_core.adapters.http.config import ConfigError

    issuers = {ISSUER: str(jwks_file)}
    with pytest.raises(ConfigError, match="DECISION_CORE_PUBLIC_BASE_URL: required in production"):
        make_app(ENV="production", CDS_TRUSTED_ISSUERS=issuers)
    # development keeps the Host-derived audience
    dev = make_app(CDS_TRUSTED_ISSUERS=issuers).test_client()
    assert dev.post(SERVICE, json=CALL).status_code == 200
    # or an explicit allowlist of hosts: a token minted for evil.example with Host: evil.example is refused
    client = make_app(ENV="production", CDS_TRUSTED_ISSUERS=issuers, TRUSTED_HOSTS="cds.clinic.example").test_client()
    evil = signer.token("http://evil.example" + SERVICE)
    refused = client.post(SERVICE, json=CALL, headers={**bearer(evil), "Host": "evil.example"})
    assert refused.status_code == 400 and refused.json["status"] == 400
    good = signer.token("http://cds.clinic.example" + SERVICE)
    assert client.post(SERVICE, json=CALL, headers={**bearer(good), "Host": "cds.clinic.example"}).status_code == 200


def test_audience_follows_the_public_base_url(make_app, signer, jwks_file):
    client = make_app(ENV="production", CDS_TRUSTED_ISSUERS={ISSUER: str(jwks_file)},
                      PUBLIC_BASE_URL="https://cds.clinic.example/hamstring").test_client()
    good = signer.token("https://cds.clinic.example/hamstring" + SERVICE)
    response = client.post(SERVICE, json=CALL, headers=bearer(good))
    assert response.status_code == 200
    assert response.json["cards"][0]["links"][0]["url"].startswith("https://cds.clinic.example/hamstring/v1/reports/")
    assert client.post(SERVICE, json=CALL, headers=bearer(signer.token(BASE_URL + SERVICE))).status_code == 401


@pytest.fixture
def jwks_url(signer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(signer.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def test_jwks_from_a_url(make_app, signer, jwks_url):
    client = make_app(ENV="production", CDS_TRUSTED_ISSUERS={ISSUER: jwks_url}, PUBLIC_BASE_URL=BASE_URL).test_client()
    assert client.post(SERVICE, json=CALL, headers=bearer(signer.token(BASE_URL + SERVICE, kid="rs384"))).status_code == 200


def test_cors_is_off_by_default_and_configurable(client, make_app):
    assert "Access-Control-Allow-Origin" not in client.get("/v1/facts", headers={"Origin": "https://ehr.example"}).headers
    secure = make_app(ENV="production", API_KEYS=[API_KEY], CORS_ORIGINS="https://sandbox.cds-hooks.org").test_client()
    preflight = secure.options("/cds-services/hamstring-patient-view", headers={
        "Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://sandbox.cds-hooks.org"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    other = secure.get("/v1/facts", headers={"Origin": "https://evil.example", "X-API-Key": API_KEY})
    assert "Access-Control-Allow-Origin" not in other.headers
