"""Log lines no client can forge, and that hold nothing about a patient.

``decision-core serve`` writes one event per line, as JSON (``LOG_FORMAT=json``,
the default) or as text with every control character escaped (``LOG_FORMAT=text``):
a request path with ``%0d%0a`` cannot start a line of its own. Both carry the
request id of the request being served. Exceptions are written as their type and
where they were raised, never their message, which may quote the request. The
same holds for gunicorn's error and access logs (:class:`GunicornLogger`). Every
line of every logger, at every level, has a stored report's id redacted (it is that
report's only credential), however the path to it is written.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import traceback
from typing import Any
from urllib.parse import unquote

LOG_FORMATS = ("json", "text")
# C0 and C1 controls (CR, LF, ESC...), the Unicode line and paragraph separators, lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# A path as a log line holds it: up to white space or a quote (an access line quotes its request).
_TOKEN = re.compile(r"[^\s\"'<>]+")
REDACTED = "<redacted>"


def escape(text: str) -> str:
    """``text`` on one line: each control character written as an escape (\\x0d, \\u2028)."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def redact(text: str) -> str:
    """``text`` with every path to a stored report written ``/v1/reports/<redacted>``: whoever reads
    the log must not be able to open the report. A path is judged as the router would see it,
    normalised (percent-decoded, ``//``, ``.`` and ``..`` resolved, any case), so ``/v1//reports/<id>``,
    ``/v1/./reports/<id>`` and gunicorn's raw ``/v1/%72eports/<id>`` are redacted too."""
    if "/" not in text and "%" not in text and "\\" not in text:
        return text
    return _TOKEN.sub(_redact_token, text)


def _redact_token(match: re.Match) -> str:
    path = _report_path(match[0])
    return match[0] if path is None else path


def _report_path(token: str) -> str | None:
    """``token`` normalised, ending ``reports/<redacted>``, when a segment after ``reports`` may be an id."""
    decoded = token
    for _ in range(3):  # %252F -> %2F -> /
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    segments: list[str] = []
    for segment in decoded.split("?", 1)[0].split("#", 1)[0].replace("\\", "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    for i, segment in enumerate(segments[:-1]):
        if segment.split(";", 1)[0].casefold() == "reports":
            return "/" + "".join(s + "/" for s in segments[:i]) + "reports/" + REDACTED
    return None


def _request_id(record: logging.LogRecord) -> str | None:
    """The id the record was given (``extra={"request_id": ...}``), else the request being served's."""
    given = getattr(record, "request_id", None)
    if given:
        return str(given)
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None


def _safe_frames(exc: BaseException) -> str:
    """Where it failed (file, line, function), without the message or locals, which may hold patient data."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in reversed(frames))


def describe_exception(exc: BaseException) -> str:
    """An exception's type and where it was raised, and the same for the ones it happened during:
    never a message, which may quote the request (a fact name, a value)."""
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 4:
        seen.add(id(current))
        parts.append(f"{type(current).__name__} at {_safe_frames(current) or '?'}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "; during ".join(parts)


def _exception(record: logging.LogRecord) -> str | None:
    if not record.exc_info or record.exc_info[1] is None:
        return None
    return describe_exception(record.exc_info[1])


def _timestamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, pid, request_id, and the
    ``event`` mapping a caller passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname, "logger": record.name,
                               "message": redact(record.getMessage()), "pid": record.process}
        rid = _request_id(record)
        if rid:
            out["request_id"] = rid
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            out.update({k: redact(v) if isinstance(v, str) else v for k, v in event.items() if k not in out})
        exception = _exception(record)
        if exception:
            out["exception"] = exception
        # ensure_ascii: every control character, U+2028 and lone surrogates come out as \u escapes
        return json.dumps(out, ensure_ascii=True, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [request id]`` with control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {redact(record.getMessage())}"
        rid = _request_id(record)
        if rid and rid not in line:
            line += f" [{rid}]"
        exception = _exception(record)
        if exception:
            line += f" ({exception})"
        return escape(line)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(log_format: str) -> None:
    """Every handler of the root logger (the CLI's stderr handler) writes ``log_format`` lines; Python's
    warnings and uncaught exceptions (of any thread) become records too, so nothing else reaches stderr."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(formatter(log_format))
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda args: _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback,
                                                      getattr(args.thread, "name", "?"))


def _log_uncaught(exc_type, exc_value, traceback, thread: str = "main") -> None:
    if exc_type is not None and issubclass(exc_type, (SystemExit, KeyboardInterrupt)):
        return
    # the formatters write the exception as its type and where it was raised, never its message
    logging.getLogger("decision_core").error("uncaught exception in thread %s", thread,
                                             exc_info=(exc_type, exc_value, traceback))


def gunicorn_logger_class(log_format: str):
    """gunicorn's logger, writing its error and access logs in ``log_format``, escaped and redacted."""
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter(log_format))

        def atoms(self, resp, req, environ, request_time):
            # PATH_INFO is percent-decoded: %0d%0a arrives as CR LF. Every atom is escaped and redacted.
            return {key: escape(redact(value)) if isinstance(value, str) else value
                    for key, value in super().atoms(resp, req, environ, request_time).items()}

    return GunicornLogger
