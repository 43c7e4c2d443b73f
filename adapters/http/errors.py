"""One error shape for every error: RFC 9457 problem details (application/problem+json).

Generic HTTP errors use ``type: about:blank`` with the status phrase as title;
errors with a meaning of their own carry a ``urn:hamstring-decision-core:problem:*``
type, listed in docs/http.md. A problem never holds a stack trace, and is logged
without the request body: patient data stays out of the logs.
"""
from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from decision_core.intake import InvalidFacts

from .logs import describe_exception, redact
from .store import StoreUnavailable

log = logging.getLogger("decision_core.adapters.http")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:hamstring-decision-core:problem:"
# A body of 24,000 unknown keys once answered with a 1.6 MB problem: list the first ones and count the rest.
MAX_LISTED_ERRORS = 50
MAX_NAMED_IN_DETAIL = 10
MAX_NAME_LENGTH = 100
MAX_DETAIL_LENGTH = 1000
RETRY_AFTER_SECONDS = 5  # a 503 while the shared store (Redis) is down


class HttpProblem(Exception):
    """Raise to answer with an RFC 9457 problem document (an HTTP error; a ruleset's error is
    ``decision_core.catalogue.model.Problem``)."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, title: str | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = TYPE_PREFIX + kind if kind else "about:blank"
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extensions = extensions


def field_names(errors: dict[str, Any]) -> str:
    """The fields of an error list for a detail: the first few (shortened), then how many more."""
    names = sorted(errors)
    shown = ", ".join(_short(n) for n in names[:MAX_NAMED_IN_DETAIL])
    more = len(names) - MAX_NAMED_IN_DETAIL
    return f"{shown} and {more} more" if more > 0 else shown


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME_LENGTH else name[:MAX_NAME_LENGTH] + "…"


def capped_errors(errors: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The first MAX_LISTED_ERRORS fields (in name order, names shortened) and how many were left out."""
    names = sorted(errors)
    kept = {_short(n): errors[n] for n in names[:MAX_LISTED_ERRORS]}
    return kept, len(names) - len(kept)


def invalid_facts(exc: InvalidFacts, **extensions: Any) -> HttpProblem:
    return HttpProblem(422, f"The facts are not valid: {field_names(exc.errors)}. See 'errors' for each field.",
                   kind="invalid-facts", title="Invalid facts", errors=exc.errors, **extensions)


def invalid_request(errors: dict[str, list[str]], what: str = "request body") -> HttpProblem:
    return HttpProblem(422, f"The {what} is not valid: {field_names(errors)}. See 'errors' for each field.",
                   kind="invalid-request", title="Invalid request", errors=errors)


def problem_response(problem: HttpProblem) -> Response:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
    }
    if len(body["detail"]) > MAX_DETAIL_LENGTH:
        body["detail"] = body["detail"][:MAX_DETAIL_LENGTH] + "…"
    rid = getattr(g, "request_id", None)
    if rid:
        body["request_id"] = rid
    body.update(problem.extensions)
    if isinstance(body.get("errors"), dict):
        body["errors"], omitted = capped_errors(body["errors"])
        if omitted:
            body["errors_omitted"] = omitted
        for name, value in list(body.items()):  # per-field extensions (fact_sources) follow the listed fields
            if name not in ("errors", "instance") and isinstance(value, dict) and len(value) > MAX_LISTED_ERRORS:
                body[name] = {k: v for k, v in value.items() if _short(k) in body["errors"]}
    try:
        text = json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the client, echoed in a field name: escape it
        text = json.dumps(body).encode("ascii")
    response = Response(text, status=problem.status, mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


_HTTP_DETAILS = {
    400: "The request could not be understood.",
    404: "There is nothing at this URL.",
    405: "This URL does not accept the {method} method.",
    413: "The request body is larger than this server accepts ({limit} bytes).",
    415: "The request body must be JSON (Content-Type: application/json).",
}


def loggable_path() -> str:
    """The request's path fit for a log: a stored report's id, its only credential, redacted."""
    return redact(request.path)


def log_exception_safely(app: Flask, exc_info) -> None:
    """Replaces Flask's ``log_exception``: its traceback holds exception messages, which may quote
    the request (an error handler that failed on a client's key once logged the key)."""
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    log.error("unhandled error in %s %s: %s (request id %s)", request.method, loggable_path(),
              describe_exception(exc) if exc is not None else "?", getattr(g, "request_id", "-"))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HttpProblem)
    def _problem(exc: HttpProblem):
        return problem_response(exc)

    @app.errorhandler(InvalidFacts)
    def _invalid(exc: InvalidFacts):
        return problem_response(invalid_facts(exc))

    @app.errorhandler(StoreUnavailable)
    def _store_down(exc: StoreUnavailable):
        # logged once per outage by the store; each request gets a clear, retryable answer
        return problem_response(HttpProblem(
            503, "The shared state store (report links, JWT replay protection) cannot be reached; nothing was "
                 "concluded. Try again shortly.", kind="store-unavailable", title="State store unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)}))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            return _internal(exc)
        template = _HTTP_DETAILS.get(status)
        detail = template.format(method=request.method, limit=app.config.get("MAX_CONTENT_LENGTH")) if template else (
            exc.description or HTTPStatus(status).phrase)
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "www-authenticate", "retry-after")}
        return problem_response(HttpProblem(status, detail, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        return _internal(exc)

    def _internal(exc: BaseException):
        original = getattr(exc, "original_exception", None) or exc
        log.error("request %s %s failed: %s (request id %s)", request.method, loggable_path(),
                  describe_exception(original), getattr(g, "request_id", "-"))
        return problem_response(HttpProblem(500, "The server could not complete the request; nothing was concluded. "
                                             "Quote the request_id when reporting this."))
