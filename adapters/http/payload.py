"""Reading JSON request bodies strictly, and writing JSON responses.

Every way a body can be wrong gets its own clear problem: no or a non-JSON
content type (415), too large (413, raised by Werkzeug from MAX_CONTENT_LENGTH),
empty, not UTF-8, not JSON, NaN/Infinity, nested too deeply, a key given twice, a
chunked body whose framing is broken, a lone surrogate (``"\\ud800"``) in a key or
string, or an integer too long for Python to read (over 4,300 digits) (400). The
last two name where they are. Duplicate keys are refused because which value would
count is ambiguous. Every failure of the parser is handled in one place (:func:`_parse`),
so a body with several defects at once is a 400 too, never a 500.
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any

import orjson

from flask import Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from decision_core.catalogue.schema import flatten_messages

from .errors import HttpProblem

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


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What reading a broken body raises: the WSGI server's own parse errors (gunicorn: a chunk size
    of 'zz') and I/O errors (the client went away mid-body)."""
    errors: tuple[type[BaseException], ...] = (OSError, ValueError)
    try:
        from gunicorn.http.errors import ParseException
    except ImportError:  # another WSGI server
        return errors
    return (*errors, ParseException)


_STREAM_ERRORS = _stream_errors()


def _read_body(limit: int | None) -> bytes:
    try:
        return _read_stream(limit)
    except _STREAM_ERRORS:
        raise HttpProblem(400, "The request body could not be read: its framing is broken (e.g. a chunk size that is "
                           "not hexadecimal) or the connection ended early.", kind="malformed-json",
                      title="Malformed JSON") from None


def _read_stream(limit: int | None) -> bytes:
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


def _codings(header: str) -> list[str]:
    return [c.strip().lower() for c in request.headers.get(header, "").split(",") if c.strip()]


def _refuse_codings() -> None:
    """A body compressed in transit (``Transfer-Encoding: gzip, chunked``; gunicorn undoes only the chunking)
    or as a representation (``Content-Encoding: gzip``) is never decoded here: refused, not read as JSON."""
    content = [c for c in _codings("Content-Encoding") if c != "identity"]
    if content:
        raise HttpProblem(415, f"The request body is encoded ({_printable(', '.join(content))[:60]}); this server "
                               "reads JSON bodies unencoded: send it without Content-Encoding.")
    transfer = [c for c in _codings("Transfer-Encoding") if c != "chunked"]
    if transfer:
        # RFC 9112 would have a 501; a client's request is answered as the client's error (a 4xx)
        raise HttpProblem(400, f"The request body has a transfer coding this server does not decode "
                               f"({_printable(', '.join(transfer))[:60]}); send it plain or chunked only.",
                          kind="unsupported-transfer-coding", title="Unsupported transfer coding")


def read_json_body() -> Any:
    mimetype = request.mimetype
    if not mimetype:
        raise HttpProblem(415, "The request has no Content-Type; send the body as JSON with 'Content-Type: application/json'.")
    if mimetype != JSON_MEDIA_TYPE and not mimetype.endswith("+json"):
        raise HttpProblem(415, f"The request body must be JSON (Content-Type: application/json), not {mimetype}.")
    charset = request.mimetype_params.get("charset", "utf-8").lower().replace("-", "").replace("_", "")
    if charset != "utf8":
        raise HttpProblem(415, "JSON request bodies must be UTF-8 encoded.")
    _refuse_codings()
    raw = _read_body(current_app.config.get("MAX_CONTENT_LENGTH"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpProblem(400, f"The request body is not valid UTF-8 (byte {exc.start}).", kind="malformed-json",
                      title="Malformed JSON") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise HttpProblem(400, "The request body is empty; send a JSON object.", kind="malformed-json", title="Malformed JSON")
    data, detail = _parse(text)
    if data is _LONG_INTEGER:
        # an integer past Python's limit on digits: read again with a marker in its place, to say where
        data, detail = _parse(text, parse_int=_int_or_marker)
        if detail is None:
            _refuse_unreadable(_unreadable(data))
            detail = "The request body holds a number too long to read."
    if detail is None:
        # A lone surrogate can only arrive as a \uD800-\uDFFF escape (UTF-8 cannot carry one): look only then.
        if _SURROGATE_ESCAPE.search(text):
            _refuse_unreadable(_unreadable(data))
        if not _deeper_than(data, MAX_JSON_DEPTH):
            return data
        detail = "The request body is nested too deeply."
    raise HttpProblem(400, detail, kind="malformed-json", title="Malformed JSON")


def _parse(text: str, parse_int=None) -> tuple[Any, str | None]:
    """The body's value and None, or None and why it cannot be read. Every failure of the parser is
    handled here, whichever comes first in the text: a body may hold several defects at once."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants,
                          parse_int=parse_int), None
    except json.JSONDecodeError as exc:
        return None, f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
    except _DuplicateKey as exc:
        return None, f"The request body gives the key '{_printable(str(exc))[:80]}' twice in one object; give each key once."
    except _NotJsonConstant as exc:
        return None, f"The request body is not valid JSON: {exc} is not a JSON value."
    except RecursionError:
        return None, "The request body is nested too deeply."
    except ValueError:  # Python's limit on an integer's digits (json raises nothing more specific)
        return _LONG_INTEGER, None


_LONG_INTEGER = object()


# Python 3.11's parser gives up near 1,000 levels (RecursionError), 3.13's only near 10,000; and code
# that walks a body recursively (copy.deepcopy, two frames a level) ran out of stack near 500. No FHIR
# resource or intake nests near 100 levels: one limit for all, with room to spare below it.
MAX_JSON_DEPTH = 100


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` deep (iterative: no recursion to run out of)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


# ------------------------------------------------------ values JSON allows but nothing can use

MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LONE_SURROGATE = "has a lone surrogate (an unpaired \\uD800-\\uDFFF escape): not Unicode text"
MAX_UNREADABLE_LISTED = 10


class _TooLong:
    """Where json would have raised on an integer of this many digits."""

    def __init__(self, digits: int):
        self.digits = digits


def _int_or_marker(text: str) -> int | _TooLong:
    digits = len(text.lstrip("-"))
    return _TooLong(digits) if digits > MAX_INT_DIGITS else int(text)


def _printable(text: str) -> str:
    """A client's string fit for a problem: lone surrogates written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if _SURROGATE.search(text) else text


def _unreadable(data: Any) -> dict[str, list[str]]:
    """Each place (facts.sports[0]) that holds a lone surrogate or a too-long integer; iterative,
    because a body may be nested as deeply as json allows."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [("", data)]
    while stack and len(found) < MAX_UNREADABLE_LISTED:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                child = f"{path}.{_printable(key)[:80]}" if path else _printable(key)[:80]
                if _SURROGATE.search(key):
                    found.setdefault(child, []).append(f"The key {_LONE_SURROGATE}.")
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, str) and _SURROGATE.search(value):
            found.setdefault(path or "_schema", []).append(f"The text {_LONE_SURROGATE}.")
        elif isinstance(value, _TooLong):
            found.setdefault(path or "_schema", []).append(
                f"The number has {value.digits} digits; at most {MAX_INT_DIGITS} can be read.")
    return found


def _refuse_unreadable(found: dict[str, list[str]]) -> None:
    if found:
        names = ", ".join(sorted(found))
        raise HttpProblem(400, f"The request body holds values that cannot be read: {names}. See 'errors'.",
                      kind="malformed-json", title="Malformed JSON", errors=found)


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
        raise HttpProblem(400, "The query parameters are not valid: " + ", ".join(sorted(errors)) + ".",
                      kind="invalid-query", title="Invalid query", errors=errors) from None


def errors_by_field(messages: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, message in flatten_messages(messages):
        name = "_schema" if name == "(file)" else name
        out.setdefault(name, []).append(message)
    return out


def result_response(result, status: int = 200, view: Any = None) -> Response:
    """A result as JSON: ``Result.to_json()``, the same bytes as its dictionary form, written faster;
    ``view``: the result in words, added as a last member ``view`` (the page's: adapters/reports/page.py)."""
    body = result.to_json()
    if view is not None:
        body = body[:-1] + b',"view":' + orjson.dumps(view) + b"}"
    return current_app.response_class(body, status=status, mimetype=JSON_MEDIA_TYPE)


def json_response(data: Any, status: int = 200) -> Response:
    try:
        body = orjson.dumps(data)
    except TypeError:  # orjson refuses integers past 64 bits, which JSON allows (the echo route sends them back)
        body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return current_app.response_class(body, status=status, mimetype=JSON_MEDIA_TYPE)
