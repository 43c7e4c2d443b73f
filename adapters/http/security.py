"""Who may call: API keys for the REST API, signed JWTs for CDS Hooks.

Both are off only when ``ENV`` is ``development``. In production, a server with
no API keys (or no trusted CDS issuers) refuses every call of that kind: it fails
closed, never open.

CDS Hooks (2.0, "Trusting CDS Clients"): the client signs a JWT with its private
key; we check the signature against the public keys configured for its issuer
(``CDS_TRUSTED_ISSUERS``: issuer -> JWKS file or URL; a ``jku`` header is never
followed), that ``alg`` is an allowed asymmetric algorithm, ``aud`` is the URL
that was called, ``exp``/``iat`` are sane, and the ``jti`` was not used before.
"""
from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt
from flask import Request

from .errors import HttpProblem
from .store import StateStore

log = logging.getLogger("decision_core.adapters.http")

API_KEY_HEADER = "X-API-Key"
_UNSAFE_IN_HEADER = re.compile(r"[^\x20-\x7e]")
# The key type (and curve) each algorithm family signs with. A JWKS without 'alg' is common, so the
# header's alg is checked against the key itself: PyJWT raises TypeError on an RSA key with ES256.
_KEY_FOR_ALGORITHM = {"ES256": ("EC", "P-256"), "ES384": ("EC", "P-384"), "ES512": ("EC", "P-521")}
_KEY_FOR_ALGORITHM.update({f"{family}{bits}": ("RSA", None) for family in ("RS", "PS") for bits in (256, 384, 512)})
NUMERIC_DATES = ("exp", "iat", "nbf")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class ApiKeyAuth:
    def __init__(self, keys: list[str], enabled: bool):
        self.keys = [k.encode() for k in keys]
        self.enabled = enabled

    def check(self, request: Request) -> None:
        if not self.enabled:
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="decision-core"'}
        presented = request.headers.get(API_KEY_HEADER) or _bearer(request)
        if not presented:
            raise HttpProblem(401, f"An API key is required: send it in the {API_KEY_HEADER} header "
                               "or as 'Authorization: Bearer <key>'.", headers=challenge)
        if not self.keys:
            raise HttpProblem(401, "This server has no API keys configured, so the REST API is closed "
                               "(set DECISION_CORE_API_KEYS).", headers=challenge)
        candidate = presented.encode()
        # compare with every key, in constant time, so timing tells nothing about which one nearly matched
        matched = False
        for key in self.keys:
            matched |= hmac.compare_digest(candidate, key)
        if not matched:
            raise HttpProblem(401, "The API key is not valid.", headers=challenge)


class JwksSource:
    """The public keys of one issuer, from a JWKS file (re-read when it changes) or URL (cached)."""

    def __init__(self, location: str, cache_seconds: int):
        self.location = location
        self.cache_seconds = cache_seconds
        self._keys: dict[str, tuple[jwt.PyJWK, str | None, tuple[str, str | None]]] = {}
        self._stamp: float | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("https://", "http://"))

    def key(self, kid: str) -> tuple[jwt.PyJWK, str | None, tuple[str, str | None]] | None:
        """The key with this id, the algorithm its JWK declares (if any), and its type and curve."""
        with self._lock:
            if self._stale() or (kid not in self._keys and self._may_refresh()):
                self._load()
            return self._keys.get(kid)

    def _stale(self) -> bool:
        if self._stamp is None:
            return True
        if self.is_url:
            return time.monotonic() - self._fetched_at > self.cache_seconds
        try:
            return Path(self.location).stat().st_mtime != self._stamp
        except OSError:
            return True

    def _may_refresh(self) -> bool:
        # an unknown kid may mean the client rotated its keys; refetch, but not more than every 10 s
        return self.is_url and time.monotonic() - self._fetched_at > 10

    def _load(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            if self.is_url:
                with urllib.request.urlopen(self.location, timeout=5) as response:  # noqa: S310 - configured URL
                    data = json.loads(response.read(1_000_000))
                stamp = self._fetched_at
            else:
                path = Path(self.location)
                stamp = path.stat().st_mtime
                data = json.loads(path.read_text(encoding="utf-8"))
            keys = {}
            for jwk in data.get("keys", []):
                if jwk.get("kid") and jwk.get("kty") in ("EC", "RSA") and "d" not in jwk:
                    keys[jwk["kid"]] = (jwt.PyJWK(jwk), jwk.get("alg"), (jwk["kty"], jwk.get("crv")))
        except Exception as exc:
            log.error("cannot load the JWKS %s: %s: %s", self.location, type(exc).__name__, exc)
            return  # keep the keys we had
        self._keys, self._stamp = keys, stamp


class CdsJwtAuth:
    def __init__(self, issuers: dict[str, str], algorithms: list[str], leeway: int, max_lifetime: int,
                 cache_seconds: int, store: StateStore, enabled: bool):
        self.sources = {iss: JwksSource(loc, cache_seconds) for iss, loc in issuers.items()}
        for issuer, location in issuers.items():
            host = location.split("/")[2] if location.startswith("http://") else ""
            if host and host.split(":")[0] not in ("127.0.0.1", "localhost", "[::1]"):
                log.warning("the keys of %s are fetched over plain http (%s): use https outside tests", issuer, location)
        self.algorithms = list(algorithms)
        self.leeway = leeway
        self.max_lifetime = max_lifetime
        self.store = store
        self.enabled = enabled

    def check(self, request: Request, audiences: list[str]) -> dict[str, Any] | None:
        """Verify the bearer JWT for a call to one of ``audiences``; return its claims (None when off)."""
        if not self.enabled:
            return None
        token = _bearer(request)
        if not token:
            raise self._fail("missing", "A signed JWT is required: 'Authorization: Bearer <JWT>' (CDS Hooks).")
        if not self.sources:
            raise self._fail("invalid_token", "This server trusts no CDS client yet (set DECISION_CORE_CDS_TRUSTED_ISSUERS).")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise self._fail("invalid_token", "The bearer token is not a well-formed JWT.") from None
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if alg not in self.algorithms:
            raise self._fail("invalid_token", f"JWT algorithm {alg!r} is not accepted "
                                              f"(accepted: {', '.join(self.algorithms)}).")
        if typ is not None and str(typ).upper() != "JWT":
            raise self._fail("invalid_token", "The JWT 'typ' header must be 'JWT'.")
        if not isinstance(kid, str) or not kid:
            raise self._fail("invalid_token", "The JWT header must name its key ('kid').")
        issuer = unverified.get("iss")
        source = self.sources.get(issuer) if isinstance(issuer, str) else None
        if source is None:
            raise self._fail("invalid_token", "The JWT issuer is not trusted by this server.")
        found = source.key(kid)
        if found is None:
            raise self._fail("invalid_token", "The JWT key id is not in the issuer's key set.")
        key, declared_alg, kind = found
        if declared_alg and declared_alg != alg:
            raise self._fail("invalid_token", "The JWT algorithm does not match its key.")
        expected = _KEY_FOR_ALGORITHM.get(alg)
        if expected is None or expected[0] != kind[0] or (expected[1] and expected[1] != kind[1]):
            raise self._fail("invalid_token", f"The JWT algorithm {alg} cannot be used with its key "
                                              f"(a {kind[0]} key{' on ' + str(kind[1]) if kind[1] else ''}).")
        try:
            claims = jwt.decode(
                token, key.key, algorithms=[alg], audience=audiences, issuer=issuer, leeway=self.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidAudienceError:
            raise self._fail("invalid_token", f"The JWT audience must be the URL called: {audiences[0]}") from None
        except jwt.ExpiredSignatureError:
            raise self._fail("invalid_token", "The JWT has expired.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise self._fail("invalid_token", f"The JWT lacks the required claim '{exc.claim}'.") from None
        except jwt.PyJWTError as exc:
            raise self._fail("invalid_token", f"The JWT is not valid ({type(exc).__name__}).") from None
        except (TypeError, ValueError):  # the key cannot verify this algorithm: never a 500
            raise self._fail("invalid_token", "The JWT signature cannot be checked with its key.") from None
        for name in NUMERIC_DATES:
            # PyJWT reads "1700000000" as a date; RFC 7519 says a NumericDate is a JSON number
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise self._fail("invalid_token", f"The JWT '{name}' must be a number (seconds since 1970), "
                                                  f"not a {type(value).__name__}.")
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise self._fail("invalid_token", "The JWT 'jti' must be a non-empty string.")
        if exp - iat > self.max_lifetime:
            raise self._fail("invalid_token", f"The JWT is valid for too long (at most {self.max_lifetime} s).")
        if not self.store.claim_jti(issuer, claims["jti"], float(exp) + self.leeway):
            raise HttpProblem(403, "This JWT was already used (its 'jti' was seen before); sign a fresh one per request.",
                          kind="replayed-token", title="Replayed token")
        return claims

    @staticmethod
    def _fail(error: str, detail: str) -> HttpProblem:
        challenge = 'Bearer realm="cds-hooks"'
        if error != "missing":
            # header-safe: printable ASCII only, no quotes (the detail may quote a URL the client chose)
            description = _UNSAFE_IN_HEADER.sub("?", detail).replace('"', "'")[:200]
            challenge += f', error="{error}", error_description="{description}"'
        return HttpProblem(401, detail, headers={"WWW-Authenticate": challenge})
