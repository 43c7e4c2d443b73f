"""Reading JSON request bodies strictly, and writing JSON responses.

Every way a body can be wrong gets its own clear problem: no or a non-JSON
content type (415), too large (413, raised by Werkzeug from MAX_CONTENT_LENGTH),
empty, not UTF-8, not JSON, NaN/Infinity, nested too deeply or a key given twice
(400). Duplicate keys are refused because which value would count is ambiguous.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

from flask import Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from decision_core.ruleset_schema import flatten_messages

from .errors import Problem

JSON_MEDIA_TYPE = "application/json"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise _NotJsonConstant(name)


class _NotJsonConstant(ValueError):
    pass


def _read_body(limit: int | None) -> bytes:
    if request.content_length is not None or limit is None:
        return request.get_data(cache=False)  # Werkzeug raises 413 when Content-Length exceeds the limit
    # A chunked body has no length up front; Werkzeug would silently cut it at the limit, so read one byte more.
    stream = request.environ.get("wsgi.input")
    if stream is None or not request.environ.get("wsgi.input_terminated"):
        return b""
    chunks, total = [], 0
    while total <= limit:
        chunk = stream.read(min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise RequestEntityTooLarge()
    return b"".join(chunks)


def read_json_body() -> Any:
    mimetype = request.mimetype
    if not mimetype:
        raise Problem(415, "The request has no Content-Type; send the body as JSON with 'Content-Type: application/json'.")
    if mimetype != JSON_MEDIA_TYPE and not mimetype.endswith("+json"):
        raise Problem(415, f"The request body must be JSON (Content-Type: application/json), not {mimetype}.")
    charset = request.mimetype_params.get("charset", "utf-8").lower().replace("-", "").replace("_", "")
    if charset != "utf8":
        raise Problem(415, "JSON request bodies must be UTF-8 encoded.")
    raw = _read_body(current_app.config.get("MAX_CONTENT_LENGTH"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, f"The request body is not valid UTF-8 (byte {exc.start}).", kind="malformed-json",
                      title="Malformed JSON") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise Problem(400, "The request body is empty; send a JSON object.", kind="malformed-json", title="Malformed JSON")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        detail = f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
    except _DuplicateKey as exc:
        detail = f"The request body gives the key '{str(exc)[:80]}' twice in one object; give each key once."
    except _NotJsonConstant as exc:
        detail = f"The request body is not valid JSON: {exc} is not a JSON value."
    except RecursionError:
        detail = "The request body is nested too deeply."
    raise Problem(400, detail, kind="malformed-json", title="Malformed JSON")


def load_with(schema: Schema, data: Any, what: str = "request body") -> dict[str, Any]:
    """Validate ``data`` with a marshmallow schema; a 422 problem names each bad field."""
    from .errors import invalid_request

    if not isinstance(data, dict):
        raise invalid_request({"_schema": [f"The {what} must be a JSON object."]}, what)
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise invalid_request(errors_by_field(exc.messages), what) from None


def load_query(schema: Schema) -> dict[str, Any]:
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        errors = errors_by_field(exc.messages)
        raise Problem(400, "The query parameters are not valid: " + ", ".join(sorted(errors)) + ".",
                      kind="invalid-query", title="Invalid query", errors=errors) from None


def errors_by_field(messages: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, message in flatten_messages(messages):
        name = "_schema" if name == "(file)" else name
        out.setdefault(name, []).append(message)
    return out


def json_response(data: Any, status: int = 200) -> Response:
    return current_app.response_class(orjson.dumps(data), status=status, mimetype=JSON_MEDIA_TYPE)
