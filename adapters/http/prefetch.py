"""CDS Hooks prefetch the client did not send: fetched from its ``fhirServer`` with its ``fhirAuthorization``.

The CDS Hooks specification: a client leaves out a prefetch key it chose not to (or could not) fill; the service
may then query the FHIR server itself, and when it can get the data neither way it answers 412.

Which FHIR servers are fetched from: ``https`` URLs always; ``http`` only to a loopback address literal
(127.0.0.1, ::1) and only with ``ENV=development`` (tests and local work). Redirects are not followed (the bearer
token would go with them), an answer larger than ``MAX_BYTES`` or slower than ``TIMEOUT_SECONDS`` is a failure,
and a failure is logged without the URL (it holds the patient id) or the token.
"""
from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit

log = logging.getLogger("decision_core.adapters.http")

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 2 * 1024 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_MEDIA = ("application/fhir+json", "application/json", "application/json+fhir")


def server_allowed(url: str, development: bool, allowed: list[str] | tuple[str, ...] = ()) -> bool:
    """Whether the service may send a bearer token to this FHIR base URL (``allowed``: the configured
    base URLs, when the deployment names them; then no other server is fetched from)."""
    if allowed and url.rstrip("/") not in {a.rstrip("/") for a in allowed}:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises ValueError
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and development and host in LOOPBACK_HOSTS


def fill(template: str, context: dict[str, Any]) -> str | None:
    """The template's query with its {{context.x}} tokens filled in (URL-quoted); None when a token cannot be."""
    missing = False

    def value(match: re.Match) -> str:
        nonlocal missing
        found = context.get(match.group(1))
        if not isinstance(found, str) or not found:
            missing = True
            return ""
        return quote(found, safe="")

    query = _TOKEN.sub(value, template)
    return None if missing or "{{" in query else query


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # a 3xx becomes an HTTPError
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
_DIRECT = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))  # loopback: never a proxy


def fetch(base: str, query: str, token: str) -> dict[str, Any] | None:
    """GET base/query as FHIR JSON with the bearer token: the resource (a searchset Bundle), or None on failure."""
    url = base.rstrip("/") + "/" + query.lstrip("/")
    req = urllib.request.Request(url, headers={"Accept": "application/fhir+json", "Authorization": f"Bearer {token}"})
    opener = _DIRECT if urlsplit(url).hostname in LOOPBACK_HOSTS else _OPENER
    try:
        with opener.open(req, timeout=TIMEOUT_SECONDS) as response:
            media = response.headers.get_content_type()
            if response.status != 200 or media not in _MEDIA:
                log.warning("prefetch from the FHIR server: status %s, content type %s", response.status, media[:60])
                return None
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        log.warning("prefetch from the FHIR server: status %s", exc.code)
        return None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad URLs
        log.warning("prefetch from the FHIR server failed: %s", type(exc).__name__)
        return None
    if len(body) > MAX_BYTES:
        log.warning("prefetch from the FHIR server: the answer is larger than %d bytes", MAX_BYTES)
        return None
    try:
        resource = json.loads(body)
    except ValueError:
        log.warning("prefetch from the FHIR server: the answer is not JSON")
        return None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        log.warning("prefetch from the FHIR server: the answer is not a FHIR resource")
        return None
    if resource["resourceType"] == "OperationOutcome":
        log.warning("prefetch from the FHIR server: an OperationOutcome")
        return None
    return resource
