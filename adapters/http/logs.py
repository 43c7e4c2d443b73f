"""Log lines no client can forge, and that hold nothing about a patient.

``decision-core serve`` writes one event per line, as JSON (``LOG_FORMAT=json``,
the default) or as text with every control character escaped (``LOG_FORMAT=text``):
a request path with ``%0d%0a`` cannot start a line of its own. Both carry the
request id of the request being served. Exceptions are written as their type and
where they were raised, never their message, which may quote the request. The
same holds for gunicorn's error and access logs (:class:`GunicornLogger`), whose
access lines also have a stored report's id redacted (it is that report's only
credential).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

LOG_FORMATS = ("json", "text")
# C0 and C1 controls (CR, LF, ESC...), the Unicode line and paragraph separators, lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_REPORT_ID = re.compile(r"(/v1/reports/)[^/?\s\"]+")


def escape(text: str) -> str:
    """``text`` on one line: each control character written as an escape (\\x0d, \\u2028)."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def redact(text: str) -> str:
    """``/v1/reports/<id>`` with the id replaced: whoever reads the log must not be able to open it."""
    return _REPORT_ID.sub(r"\1<redacted>", text)


def _request_id(record: logging.LogRecord) -> str | None:
    """The id the record was given (``extra={"request_id": ...}``), else the request being served's."""
    given = getattr(record, "request_id", None)
    if given:
        return str(given)
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None


def _exception(record: logging.LogRecord) -> str | None:
    if not record.exc_info or record.exc_info[1] is None:
        return None
    from .errors import describe_exception

    return describe_exception(record.exc_info[1])


def _timestamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, pid, request_id, and the
    ``event`` mapping a caller passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname, "logger": record.name,
                               "message": record.getMessage(), "pid": record.process}
        rid = _request_id(record)
        if rid:
            out["request_id"] = rid
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            out.update({k: v for k, v in event.items() if k not in out})
        exception = _exception(record)
        if exception:
            out["exception"] = exception
        # ensure_ascii: every control character, U+2028 and lone surrogates come out as \u escapes
        return json.dumps(out, ensure_ascii=True, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [request id]`` with control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
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
    """Every handler of the root logger (the CLI's stderr handler) writes ``log_format`` lines."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(formatter(log_format))


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
