"""Report exports: one decision result as json, markdown, text, html, pdf or a
FHIR R4 bundle. Every format, the built-in ones included, is an output-format
plugin; :func:`render` looks formats up in the plugin registry.

    from decision_core.adapters.reports import render
    pdf = render(decision_core.evaluate(facts), "pdf", paper="letter")

Every function here takes ``core``, the installation (``decision_core.installation.DecisionCore``)
whose formats, catalogue (levels, sources, facts) and translations the report reads;
None, the default, means the process default.
"""
from __future__ import annotations

from typing import Any

from .view import InvalidResult, as_result


class ReportError(ValueError):
    """A report could not be made (unknown format, bad option, a format that misbehaved)."""


class UnknownFormat(ReportError):
    def __init__(self, name: str, available: list[str]):
        self.name = name
        self.available = available
        super().__init__(f"unknown report format {name!r}; available formats: {', '.join(available) or 'none'}")


def _formats(core) -> dict:
    from decision_core.installation import core_or_default

    return core_or_default(core).formats


def available_formats(core=None) -> list[str]:
    """The names of every registered output format, sorted."""
    return sorted(_formats(core))


def get_format(name: str, core=None):
    """The registered format ``name`` (media type, extension, render function, plugin)."""
    formats = _formats(core)
    try:
        return formats[name]
    except (KeyError, TypeError):
        raise UnknownFormat(str(name), sorted(formats)) from None


def render(result: Any, format_name: str, *, core=None, **options: Any) -> bytes:
    """Render a Result (or its dict) in the named format of ``core``; text formats come back UTF-8
    encoded. The format gets ``core`` as an option too, when one is given.

    Raises UnknownFormat, InvalidResult (not a decision result) or ReportError (bad option).
    """
    fmt = get_format(format_name, core)
    data = as_result(result)
    from .formats import ReportOptionError

    if core is not None:
        options["core"] = core
    try:
        return render_bytes(fmt, data, **options)
    except ReportOptionError as exc:
        raise ReportError(f"format {fmt.name}: {exc}") from None


def render_bytes(fmt, result, **options: Any) -> bytes:
    """One registered format's rendering of a Result, as bytes (text UTF-8 encoded). Raises the format's
    ReportOptionError for an option it cannot use, and ReportError when it returns neither text nor bytes."""
    out = fmt.render(result, **options)
    if isinstance(out, str):
        return out.encode("utf-8")
    if isinstance(out, (bytes, bytearray)):
        return bytes(out)
    raise ReportError(f"format {fmt.name} (plugin {fmt.plugin}) returned {type(out).__name__}, not text or bytes")


__all__ = ["render", "render_bytes", "available_formats", "get_format", "ReportError", "UnknownFormat", "InvalidResult"]
