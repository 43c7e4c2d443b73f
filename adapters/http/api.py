"""The REST API, version 1 (``/v1``)."""
from __future__ import annotations

import logging

from typing import Any

from flask import Blueprint, Flask, Response, request
from marshmallow import ValidationError

from decision_core.adapters.reports import render_bytes
from decision_core.adapters.reports.formats import ReportOptionError
from decision_core.catalogue.levels import ShownLevels

from decision_core.result.model import Result

from . import result_schemas, schemas
from .app import state
from .errors import HttpProblem
from .openapi import PUBLIC, operation, report_media_types
from .payload import errors_by_field, json_response, load_query, read_json_body, result_response
from .record_hooks import PATIENT_PARAMETER, keep, request_patient

log = logging.getLogger("decision_core.adapters.http")

bp = Blueprint("api", __name__, url_prefix="/v1")

REST_PROBLEMS = (400, 401, 413, 415, 422)
# The stored report link is opened in a clinician's browser, which cannot send an API key:
# its unguessable, short-lived id is what authorises it.
PUBLIC_ENDPOINTS = {"api.stored_report"}
FALLBACK_REPORT_FORMATS = ("html", "markdown", "text", "json")
# HTML reports are self-contained (inline CSS, data: images, no scripts): a browser may load nothing else,
# so markup that slipped into a report could neither run nor fetch.
HTML_REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'none'")


@bp.before_request
def _authenticate():
    if request.method == "OPTIONS" or request.endpoint in PUBLIC_ENDPOINTS:
        return
    state().api_auth.check(request)


@bp.post("/evaluations")
@operation(
    summary="Evaluate a patient's facts",
    description="The facts in, the result out: triage, ranked causes with their evidence, the programme, "
                "what to avoid, the next questions and the ruleset versions used.",
    tags=["evaluations"], body="Facts",
    responses={200: ("The result.", result_schemas.ResultSchema)}, problems=REST_PROBLEMS,
    headers=(PATIENT_PARAMETER,),
)
def evaluations():
    facts = read_json_body()
    patient = request_patient()
    result = state().backend.evaluator.evaluate(facts)  # InvalidFacts -> 422 naming each field
    keep(result, "rest", patient_ref=patient)
    if request.args.get("view"):  # the page: the result in words too (adapters/reports/page.py)
        return result_response(result, view=_page_view(result, request.args["view"]))
    return result_response(result)


def _page_view(result: Result, lang: str) -> dict[str, Any]:
    from decision_core.adapters.reports.page import page_view
    from decision_core.i18n.translations import UnknownLanguage

    try:
        return page_view(result, lang, state().backend.core)
    except UnknownLanguage as exc:
        raise HttpProblem(400, f"The query parameters are not valid: view ({exc}).", kind="invalid-query",
                          title="Invalid query", errors={"view": [str(exc)]}) from None


@bp.post("/reports")
@operation(
    summary="Evaluate the facts and render the report in a format",
    description="The formats are the registered output formats (GET /v1/formats); the response has the "
                "format's content type.",
    tags=["reports"], body="ReportBody", query="ReportQuery",
    responses={200: ("The rendered report.", report_media_types)}, problems=REST_PROBLEMS,
    headers=(PATIENT_PARAMETER,),
)
def reports():
    st = state()
    name = load_query(st.report_query)["format"]
    fmt = _format(name)
    body = read_json_body()
    facts, options = _report_request(body)
    patient = request_patient()
    result = st.backend.evaluator.evaluate(facts)
    keep(result, "report", patient_ref=patient)
    return render_report(fmt, result, **options)


def _report_request(body: Any) -> tuple[Any, dict[str, Any]]:
    """The facts and the report options: from {facts, patient, clinician, doses, lang}, or bare facts."""
    options: dict[str, Any] = {"clinic": state().clinic}
    if not (isinstance(body, dict) and isinstance(body.get("facts"), dict)):
        return body, options
    from decision_core.adapters.reports.clinic import Patient
    from decision_core.catalogue.dose import DoseError, parse_spec

    try:
        data = state().report_request().load(body)
    except ValidationError as exc:
        errors = errors_by_field(exc.messages)
        raise HttpProblem(422, "The report request is not valid: " + ", ".join(sorted(errors)) + ".",
                      kind="invalid-request", title="Invalid request", errors=errors) from None
    doses, bad = {}, {}
    for item, spec in data.get("doses", {}).items():
        try:
            doses[item] = parse_spec(spec)
        except DoseError as exc:
            bad[f"doses.{item}"] = [str(exc)]
    if bad:
        raise HttpProblem(422, "The report request is not valid: " + ", ".join(sorted(bad)) + ".",
                      kind="invalid-request", title="Invalid request", errors=bad)
    patient = data.get("patient") or {}
    options.update(patient=Patient(patient.get("name"), patient.get("birth_date"), patient.get("identifier")) or None,
                   clinician=data.get("clinician"), doses=doses, lang=data.get("lang"))
    return data["facts"], options


@bp.get("/reports/<report_id>", merge_slashes=False)  # its canonical path only: no 308 to it from "//" forms
@operation(
    summary="A stored report (the link on a CDS Hooks card)",
    description="Reports behind CDS card links are kept for REPORT_TTL_SECONDS. The random id is the only "
                "key: no API key is needed, and no patient data is in the URL.",
    tags=["reports"], query="StoredReportQuery",
    responses={200: ("The rendered report.", report_media_types)}, problems=(400, 404, 503), security=PUBLIC,
)
def stored_report(report_id: str):
    st = state()
    query = load_query(st.stored_report_query)
    requested = _stored_report_format(query.get("format"), query.get("fhir_format"))
    stored = st.store.get_report(report_id)
    # a CDS card's report: {"result": ..., "options": {patient_reference, fact_code_system}}
    options = stored.get("options", {}) if stored is not None and "result" in stored else {}
    result = None if stored is None else Result.from_dict(stored.get("result", stored))
    if result is None:
        minutes = max(1, st.config["REPORT_TTL_SECONDS"] // 60)
        raise HttpProblem(404, f"This report does not exist or has expired (reports are kept for {minutes} minutes).")
    response = render_report(_format(requested) if requested else _default_format(), result, **options)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/facts")
@operation(summary="The intake vocabulary", tags=["catalogue"],
           description="Every fact with its type, range or values, unit, label and question: enough to build an "
                       "intake form. The same constraints are in the Facts schema of this document.",
           responses={200: ("The facts.", schemas.FactListSchema)}, problems=(401,))
def facts():
    return json_response({"facts": state().backend.facts_listing()})


@bp.get("/causes")
@operation(summary="The causes the rulesets can conclude", tags=["catalogue"],
           responses={200: ("The causes.", schemas.CauseListSchema)}, problems=(401,))
def causes():
    return json_response({"causes": state().backend.causes_listing()})


@bp.get("/sources")
@operation(summary="The sources the rulesets cite", tags=["catalogue"],
           description="The source registry: each source id a rule, cause, recommendation or avoid item may cite, "
                       "with its title, publisher, kind (article or policy), description, and the ruleset and "
                       "plugin that registered it.",
           responses={200: ("The sources.", schemas.SourceListSchema)}, problems=(401,))
def sources():
    return json_response({"sources": state().backend.sources_listing()})


@bp.get("/formats")
@operation(summary="The registered report formats", tags=["reports"],
           responses={200: ("The formats.", schemas.FormatListSchema)}, problems=(401,))
def formats():
    return json_response({"formats": state().backend.formats_listing()})


@bp.get("/rulesets")
@operation(summary="The rulesets served, their versions and plugins", tags=["catalogue"],
           description="Ruleset ids and versions with the plugin each came from, every plugin, and the plugins "
                       "that failed to load (left out of the catalogue).",
           responses={200: ("The rulesets and plugins.", schemas.RulesetListSchema)}, problems=(401,))
def rulesets():
    return json_response(state().backend.rulesets_listing())


def enable_echo(app: Flask) -> None:
    """POST /v1/echo: the request's JSON back, through the same reading, auth and writing (benchmarks only)."""

    def echo():
        return json_response(read_json_body())

    # endpoint "api.echo": Flask counts it as part of the api blueprint, so the API-key check applies
    app.add_url_rule("/v1/echo", "api.echo", echo, methods=["POST"])


# ---------------------------------------------------------------- rendering


def _format(name: str):
    formats = state().backend.formats
    if name not in formats:
        available = ", ".join(sorted(formats)) or "none is registered"
        raise HttpProblem(400, f"Unknown report format '{name[:40]}' (available: {available}).", kind="invalid-query",
                      title="Invalid query", errors={"format": [f"Must be one of: {available}."]})
    return formats[name]


def fhir_format_name(value: str) -> str:
    """The output format FHIR's ``_format`` value names (the query schema lists the values it accepts):
    JSON means a FHIR resource, so the fhir format when it is registered."""
    formats = state().backend.formats
    if value in schemas.FHIR_JSON_FORMATS:
        return "fhir" if "fhir" in formats else "json"
    if value in formats:
        return value
    return next(name for name, fmt in formats.items() if fmt.media_type.split(";")[0].strip() == value)


def _stored_report_format(requested: str | None, fhir_value: str | None) -> str | None:
    """?format, else the format ?_format names. Both given, ?format wins: OpenAPI cannot say "they must agree",
    and the service's own parameter is the more specific one."""
    if requested is not None or fhir_value is None:
        return requested
    return fhir_format_name(fhir_value)


def _default_format():
    formats = state().backend.formats
    for name in (state().config["REPORT_FORMAT"], *FALLBACK_REPORT_FORMATS):
        if name in formats:
            return formats[name]
    return None


def render_report(fmt, result: Result, **options) -> Response:
    """The result rendered by an output format (or as JSON when no format is registered at all),
    with report options (formats ignore the ones they do not use); the clinic is the configured one, the
    triage levels the served catalogue's, the rest (sources, translations) the backend's installation's."""
    if fmt is None:
        return result_response(result)
    backend = state().backend
    options = {"clinic": state().clinic, "levels": ShownLevels(backend.catalogue.levels), "core": backend.core,
               **options}
    try:
        body = render_bytes(fmt, result, **{k: v for k, v in options.items() if v is not None})
    except ReportOptionError as exc:  # e.g. a language without translations
        raise HttpProblem(422, f"The report cannot be made: {exc}", kind="invalid-report-request",
                      title="Invalid report request") from None
    except Exception as exc:
        log.error("output format %s (plugin %s) failed: %s", fmt.name, fmt.plugin, type(exc).__name__)
        raise HttpProblem(500, f"The report could not be rendered in the format '{fmt.name}'.") from None
    content_type = fmt.media_type
    if not fmt.binary and "charset" not in content_type:
        content_type += "; charset=utf-8"
    response = Response(body, status=200, content_type=content_type)
    response.headers["Content-Disposition"] = f'inline; filename="hamstring-report.{fmt.extension}"'
    if response.mimetype in ("text/html", "application/xhtml+xml"):
        response.headers["Content-Security-Policy"] = HTML_REPORT_CSP
    return response
