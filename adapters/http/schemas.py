"""The marshmallow schemas of the payloads: the shared bases, problems, listings and report
requests here; the result in ``result_schemas``, CDS Hooks in ``cds_schemas``. Requests are
validated with them, and the OpenAPI document is generated from them, so the two cannot drift.

The intake facts schema is not here: it is generated from the catalogue
(:func:`decision_core.intake.build_intake_schema`), the same one the evaluator
validates with. Results are serialised by the core (``Result.to_dict()``, the
public contract); ``ResultSchema`` describes that shape and the tests check every
response against it.
"""
from __future__ import annotations

from marshmallow import RAISE, EXCLUDE, INCLUDE, Schema, fields, validate


class OpenSchema(Schema):
    """A response shape that may grow: new keys are additions, never breaking."""

    class Meta:
        unknown = INCLUDE


class AnyValue(fields.Raw):
    """Any JSON value (a fact's value: boolean, number, string or list)."""


# ------------------------------------------------------------------ problems


class ProblemSchema(OpenSchema):
    type = fields.String(required=True, metadata={"description": "'about:blank' or a urn:hamstring-decision-core:problem:* URI."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "What went wrong, for a person."})
    instance = fields.String(metadata={"description": "The path that was called."})
    request_id = fields.String(metadata={"description": "Quote it when reporting a problem."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "For 422: each offending field and why."})
    missing_prefetch = fields.List(fields.String(), metadata={
        "description": "For 412 from a CDS service: the prefetch keys that could be had neither way."})


# ------------------------------------------------------------------ listings


class FactInfoSchema(OpenSchema):
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "bool | int | number | choice | choices | list"})
    label = fields.String(required=True)
    question = fields.String(required=True, metadata={"description": "The question to put to the patient."})
    help = fields.String()
    unit = fields.String()
    min = fields.Float()
    max = fields.Float()
    values = fields.List(fields.String(), metadata={"description": "Allowed values of choice and choices facts."})
    max_items = fields.Integer()
    red_flag = fields.Boolean(required=True, metadata={"description": "A yes can raise the triage level."})
    ruleset = fields.String(required=True)


class FactListSchema(OpenSchema):
    facts = fields.List(fields.Nested(FactInfoSchema), required=True)


class CauseInfoSchema(OpenSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    why = fields.String(required=True, metadata={"description": "What the cause is, in plain language."})
    fix = fields.String(required=True, metadata={"description": "What helps (empty when the ruleset gives none)."})
    sources = fields.List(fields.String(), required=True)
    ruleset = fields.String(required=True)
    threshold = fields.Float(required=True)
    rules = fields.Integer(required=True)


class CauseListSchema(OpenSchema):
    causes = fields.List(fields.Nested(CauseInfoSchema), required=True)


class SourceInfoSchema(OpenSchema):
    id = fields.String(required=True, metadata={"description": "What citations name: a seed prefix (\"000\") or an id."})
    title = fields.String(required=True)
    publisher = fields.String(required=True)
    author = fields.String(required=True, allow_none=True, metadata={"description": "Who wrote it, where the article says (null: not named)."})
    kind = fields.String(required=True, metadata={"description": "article | policy"})
    description = fields.String(required=True)
    patient_title = fields.String(allow_none=True, metadata={"description": "What a patient's list calls it, in "
                                                                          "plain words (null: its title)."})
    quotes_required = fields.Boolean(required=True, metadata={"description": "Citations of it carry a verbatim quote."})
    ruleset = fields.String(required=True, metadata={"description": "The sources ruleset that registered it."})
    plugin = fields.String(required=True, metadata={"description": "The plugin it came from ('decision_core': built in)."})


class SourceListSchema(OpenSchema):
    sources = fields.List(fields.Nested(SourceInfoSchema), required=True)


class FormatInfoSchema(OpenSchema):
    name = fields.String(required=True)
    media_type = fields.String(required=True)
    extension = fields.String(required=True)
    description = fields.String(required=True)
    binary = fields.Boolean(required=True)
    plugin = fields.String(required=True)


class FormatListSchema(OpenSchema):
    formats = fields.List(fields.Nested(FormatInfoSchema), required=True)


class RulesetInfoSchema(OpenSchema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    plugin = fields.String(required=True, metadata={"description": "The plugin it came from ('decision_core': built in)."})


class PluginInfoSchema(OpenSchema):
    name = fields.String(required=True)
    version = fields.String(allow_none=True, required=True)
    builtin = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "ok | failed"})
    hooks = fields.List(fields.String(), required=True)
    registered = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    error = fields.String()
    problems = fields.List(fields.Dict())


class RulesetListSchema(OpenSchema):
    fingerprint = fields.String(required=True, metadata={"description": "Identifies exactly which ruleset versions are served."})
    engine = fields.String(required=True)
    rulesets = fields.List(fields.Nested(RulesetInfoSchema), required=True)
    plugins = fields.List(fields.Nested(PluginInfoSchema), required=True)
    failed_plugins = fields.List(fields.Nested(PluginInfoSchema), required=True)


class HealthSchema(OpenSchema):
    status = fields.String(required=True, validate=validate.OneOf(["ok", "degraded"]), metadata={
        "description": "ok, or degraded when plugins failed to load or a shared service is down (still 200)."})
    failed_plugins = fields.List(fields.String(), metadata={
        "description": "With 'degraded': the names of the plugins that failed (GET /v1/rulesets says why)."})
    unavailable = fields.List(fields.String(), metadata={
        "description": "With 'degraded': the shared services that cannot be reached ('redis'); the routes that "
                       "need them answer 503 until they are back."})
    version = fields.String(required=True)
    engine = fields.String(required=True)
    catalogue = fields.String(required=True, metadata={"description": "The catalogue fingerprint."})


# FHIR's _format values meaning FHIR JSON; "application/fhir json" is the '+' of a query left unescaped
FHIR_JSON_FORMATS = ("json", "application/json", "application/fhir+json", "application/json+fhir", "fhir+json",
                     "application/fhir json")


def report_query_schema(format_names: list[str], required: bool = True, media_types: list[str] = ()) -> Schema:
    """The ?format= query of the report routes; its enum is the registered output formats."""
    description = "An output format name (GET /v1/formats)."
    if not required:
        description += " Default: the server's REPORT_FORMAT."
    check = validate.OneOf(format_names) if format_names else None
    fmt = fields.String(required=required, validate=check, metadata={"description": description})
    meta = type("Meta", (), {"unknown": EXCLUDE})
    name = "ReportQuery" if required else "StoredReportQuery"
    members = {"format": fmt, "Meta": meta}
    if not required:  # the stored report (a CDS card's link) also takes FHIR's _format
        accepted = list(dict.fromkeys([*FHIR_JSON_FORMATS, *format_names, *media_types]))
        members["fhir_format"] = fields.String(data_key="_format", validate=validate.OneOf(accepted), metadata={
            "description": (
            "FHIR's _format, for clients that add it to a link: json, application/json and "
            "application/fhir+json give the fhir format (a FHIR resource); otherwise a format name or a "
            "format's media type (text/html, application/pdf). With format, format wins.")})
    return type(name, (Schema,), members)()


# ----------------------------------------------------------------- report requests


class ReportPatientSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(metadata={"description": "YYYY-MM-DD"})
    identifier = fields.String(validate=validate.Length(min=1, max=100),
                               metadata={"description": "The patient's identifier in your records."})


class ReportRequestSchema(Schema):
    """POST /v1/reports with who the report is for; a bare facts object is accepted too."""

    class Meta:
        unknown = RAISE

    facts = fields.Dict(required=True, metadata={"description": "The facts, as in POST /v1/evaluations."})
    patient = fields.Nested(ReportPatientSchema)
    clinician = fields.String(validate=validate.Length(min=1, max=200))
    doses = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                        values=fields.String(validate=validate.Length(min=1, max=60)),
                        metadata={"description": "Per-report dose overrides by recommendation id, written short: "
                                                 "3x12@daily, 2x15-30@2/week, 3x30s+side@daily~6w."})
    lang = fields.String(validate=validate.Length(min=2, max=10),
                         metadata={"description": "Language of the patient part (default: the clinic profile's)."})


# POST /v1/reports' short doses: the same grammar as the CLI's --dose, in whole numbers (1-999), so that
# this pattern alone decides what is valid and the document cannot disagree with the server.
_N = "[1-9][0-9]{0,2}"
_R = f"{_N}(?:-{_N})?"
DOSE_SPEC_PATTERN = (rf"^(?:{_R}x)?(?:{_R}(?:x{_R}s)?|{_R}s)(?:\+side)?"
                     rf"(?:@(?:daily|weekly|[1-9]/(?:day|week)))?(?:~{_N}w)?$")


def report_request_schema(languages: list[str], recommendation_ids: list[str]) -> type[ReportRequestSchema]:
    """The report request for this server: ``lang`` is an installed language, and ``doses`` names this
    catalogue's recommendations, each dose written short (3x12@daily, 2x15-30@2/week, 3x30s+side@daily~6w)."""
    spec = {rid: fields.String(validate=validate.Regexp(DOSE_SPEC_PATTERN, error="not a dose such as 3x12@daily, "
                                                         "2x15-30@2/week or 3x30s+side@daily~6w"))
            for rid in sorted(recommendation_ids)}
    doses = type("ReportDosesSchema", (Schema,), {"Meta": type("Meta", (), {"unknown": RAISE}), **spec})
    return type("ReportRequestSchema", (ReportRequestSchema,), {
        "lang": fields.String(validate=validate.OneOf(languages), metadata={
            "description": "Language of the patient part (default: the clinic profile's, else English)."}),
        "doses": fields.Nested(doses, metadata={
            "description": "Per-report dose overrides by recommendation id; each replaces that item's whole dose."}),
    })
