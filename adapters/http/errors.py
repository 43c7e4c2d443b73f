"""One error shape for every error: RFC 9457 problem details (application/problem+json).

Generic HTTP errors use ``type: about:blank`` with the status phrase as title;
errors with a meaning of their own carry a ``urn:hamstring-decision-core:problem:*``
type, listed in docs/http.md. A problem never holds a stack trace, and is logged
without the request body: patient data stays out of the logs.
"""
from __future__ import annotations

import json
import logging
import traceback
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from decision_core.intake import InvalidFacts

log = logging.getLogger("decision_core.adapters.http")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:hamstring-decision-core:problem:"


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, title: str | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = TYPE_PREFIX + kind if kind else "about:blank"
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extensions = extensions


def invalid_facts(exc: InvalidFacts, **extensions: Any) -> Problem:
    fields = ", ".join(sorted(exc.errors))
    return Problem(422, f"The facts are not valid: {fields}. See 'errors' for each field.",
                   kind="invalid-facts", title="Invalid facts", errors=exc.errors, **extensions)


def invalid_request(errors: dict[str, list[str]], what: str = "request body") -> Problem:
    fields = ", ".join(sorted(errors))
    return Problem(422, f"The {what} is not valid: {fields}. See 'errors' for each field.",
                   kind="invalid-request", title="Invalid request", errors=errors)


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
    }
    rid = getattr(g, "request_id", None)
    if rid:
        body["request_id"] = rid
    body.update(problem.extensions)
    response = Response(json.dumps(body, ensure_ascii=False), status=problem.status, mimetype=PROBLEM_MEDIA_TYPE)
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


def _safe_frames(exc: BaseException) -> str:
    """Where it failed (file, line, function), without the message or locals, which may hold patient data."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in reversed(frames))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc)

    @app.errorhandler(InvalidFacts)
    def _invalid(exc: InvalidFacts):
        return problem_response(invalid_facts(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            return _internal(exc)
        template = _HTTP_DETAILS.get(status)
        detail = template.format(method=request.method, limit=app.config.get("MAX_CONTENT_LENGTH")) if template else (
            exc.description or HTTPStatus(status).phrase)
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "www-authenticate", "retry-after")}
        return problem_response(Problem(status, detail, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        return _internal(exc)

    def _internal(exc: BaseException):
        log.error("request %s %s failed: %s at %s (request id %s)", request.method, request.path,
                  type(exc).__name__, _safe_frames(exc), getattr(g, "request_id", "-"))
        return problem_response(Problem(500, "The server could not complete the request; nothing was concluded. "
                                             "Quote the request_id when reporting this."))
