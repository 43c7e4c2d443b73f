"""The built-in report formats. Each ``render_*`` takes a typed result
(:class:`decision_core.result.model.Result`) and keyword options and returns str (text formats) or bytes (pdf); the plugin module
registers them through ``register_output_formats`` like any third-party format.

Options understood (others are ignored, so one option set can serve every format):

* ``generated_at``: a datetime printed as the preparation time (default: now, UTC)
* ``title``: the report title
* ``paper``: ``a4`` or ``letter`` (html and pdf; the PDF defaults to A4)
* ``levels``: how triage levels are shown (``decision_core.catalogue.levels.ShownLevels``; default: the catalogue's)
* ``core``: the installation (``decision_core.installation.DecisionCore``) whose catalogue (levels, sources,
  seek-care lines) and translations the report reads (default: the process default)
"""
from __future__ import annotations

import json
import logging
import re
import textwrap
import threading
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined

from decision_core import markdown
from decision_core.installation import DecisionCore
from decision_core.catalogue.dose import Dose
from decision_core.i18n.translations import get_translator
from decision_core.i18n.jinja import gettext_context, i18n_environment
from decision_core.result.model import Result

from . import once
from .clinic import ClinicProfile, Patient
from decision_core.catalogue.levels import ShownLevels
from .view import ReportView, build_view

log = logging.getLogger(__name__)

TEXT_WIDTH = 78
PAPER_SIZES = {"a4": "A4", "letter": "letter"}


class ReportOptionError(ValueError):
    """A report option has a value the format cannot use."""


def _wrap(value: Any, first: str = "  ", rest: str | None = None) -> str:
    return textwrap.fill(markdown.one_line(value), width=TEXT_WIDTH, initial_indent=first,
                         subsequent_indent=first if rest is None else rest, break_on_hyphens=False)


def _zip(left, right):
    return list(zip(left, right))


def _environment(autoescape: bool) -> Environment:
    env = i18n_environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # our own documents: the readable markdown escaper (decision_core.markdown says why there are two)
    env.filters.update(md=markdown.inline, cell=markdown.cell, wrap=_wrap, zip=_zip, words=once.word_list,
                       lower_first=once.lower_first)
    return env


# Jinja environments are safe to share between threads once built.
_HTML_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)


@lru_cache(maxsize=4)
def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _css(browser: bool) -> str:
    """The stylesheet to inline; the browser-only rules (phones, print colours) are left out of the PDF."""
    return _static("report.css") + ("\n" + _static("browser.css") if browser else "")


def _view(result: Result, options: dict[str, Any]) -> ReportView:
    generated_at = options.get("generated_at")
    if generated_at is not None and not isinstance(generated_at, datetime):
        raise ReportOptionError(f"generated_at must be a datetime, not {type(generated_at).__name__}")
    for name, kind in (("clinic", ClinicProfile), ("patient", Patient)):
        if options.get(name) is not None and not isinstance(options[name], kind):
            raise ReportOptionError(f"{name} must be a {kind.__name__}, not {type(options[name]).__name__}")
    if options.get("levels") is not None and not isinstance(options["levels"], ShownLevels):
        raise ReportOptionError(f"levels must be a ShownLevels, not {type(options['levels']).__name__}")
    if options.get("core") is not None and not isinstance(options["core"], DecisionCore):
        raise ReportOptionError(f"core must be a DecisionCore, not {type(options['core']).__name__}")
    doses = options.get("doses") or {}
    if not isinstance(doses, Mapping) or not all(isinstance(d, Dose) for d in doses.values()):
        raise ReportOptionError("doses must map recommendation ids to Dose values (decision_core.catalogue.dose.parse_spec)")
    try:
        return build_view(result, generated_at=generated_at, title=options.get("title"), clinic=options.get("clinic"),
                          patient=options.get("patient"), clinician=options.get("clinician"), doses=doses,
                          lang=options.get("lang"), levels=options.get("levels"), core=options.get("core"))
    except ValueError as exc:  # an unknown language
        raise ReportOptionError(str(exc)) from None


def _words(v: ReportView, options: dict[str, Any]) -> dict[str, Any]:
    """The template's gettext callables, in the report's language (one set per render: thread-safe)."""
    return gettext_context(get_translator(v.lang, options.get("core")))


def _paper(options: dict[str, Any], default: str | None) -> str | None:
    paper = options.get("paper") or default
    if paper is None:
        return None
    size = PAPER_SIZES.get(str(paper).lower())
    if size is None:
        raise ReportOptionError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}")
    return size


def render_json(result: Result, **options: Any) -> str:
    """The full result, exactly as the evaluator returned it."""
    from .view import as_result

    return json.dumps(as_result(result).to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_markdown(result: Result, **options: Any) -> str:
    v = _view(result, options)
    return _TEXT_ENV.get_template("report.md.j2").render(v=v, mark=v.mark, **_words(v, options))


def render_text(result: Result, **options: Any) -> str:
    v = _view(result, options)
    rule = ("=" if v.acute else "-") * TEXT_WIDTH
    return _TEXT_ENV.get_template("report.txt.j2").render(v=v, mark=v.mark, rule=rule, **_words(v, options))


def _html(result: Result, options: dict[str, Any], default_paper: str | None, browser: bool) -> str:
    v = _view(result, options)
    return _HTML_ENV.get_template("report.html.j2").render(
        v=v, css=_css(browser) + "\n" + v.levels.css(), paper=_paper(options, default_paper), mark=v.mark,
        **_words(v, options))


def render_html(result: Result, **options: Any) -> str:
    """A self-contained page: inline CSS, no scripts, nothing fetched."""
    return _html(result, options, default_paper=None, browser=True)


# Pango and fontconfig are not documented as thread-safe; PDF renders take turns.
_pdf_lock = threading.Lock()


def _scheme(url: str) -> str:
    head, sep, _ = url.partition(":")
    return head.lower() if sep and head.isalnum() and len(head) <= 10 else "(none)"


class _RefusedFetch(ValueError):
    """A report asked for something outside itself; WeasyPrint leaves it out and renders the rest."""


def _no_fetch_class():
    """The URL fetcher of PDF reports: ``data:`` URIs (the clinic logo) are read, anything else is
    refused and logged (scheme only: a URL may carry what a report holds).

    WeasyPrint 68+ wants a ``URLFetcher`` (a plain function crashed the render with AttributeError
    ``_fail_on_errors`` on its first refusal); with ``fail_on_errors`` off, a refused fetch is
    caught by WeasyPrint, which leaves the resource out.
    """
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)

        def fetch(self, url, headers=None):
            if _scheme(url) != "data":
                log.warning("report render: refused to fetch a %s: URL (reports fetch nothing)", _scheme(url))
                raise _RefusedFetch("reports fetch nothing")
            return super().fetch(url, headers)

    return NoFetch


@lru_cache(maxsize=1)
def _no_fetch_type():
    return _no_fetch_class()


def _no_fetch():
    """A fresh fetcher per render (URLFetcher keeps per-request state)."""
    return _no_fetch_type()()


# WeasyPrint (seen in 70) breaks a line after its first word when the line's text fits but an
# inline element after the last space does not ("Your" / "hip flexors ... forward. [002, 003]").
# With the space moved inside the element the break falls before the element, as in browsers;
# whitespace collapses the same way, so nothing else changes.
_SPACE_BEFORE_SPAN = re.compile(r"[ \t\n]+(<span\b[^>]*>)")


def _pdf_html(html: str) -> str:
    return _SPACE_BEFORE_SPAN.sub(r"\1 ", html)


# Tagged PDF (structure tree, reading order, document language and title shown by viewers),
# so screen readers can read the handout. It needs <html lang> and <title> in the template.
PDF_VARIANT = "pdf/ua-1"


def render_pdf(result: Result, **options: Any) -> bytes:
    """The HTML handout laid out by WeasyPrint (A4 unless paper='letter'), tagged as PDF/UA-1."""
    html = _pdf_html(_html(result, options, default_paper="a4", browser=False))
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    with _pdf_lock:
        return HTML(string=html, url_fetcher=_no_fetch()).write_pdf(pdf_variant=PDF_VARIANT)
