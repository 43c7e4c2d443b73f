"""The marshmallow schemas of every payload. Requests are validated with them,
and the OpenAPI document is generated from them, so the two cannot drift.

The intake facts schema is not here: it is generated from the catalogue
(:func:`decision_core.intake.build_intake_schema`), the same one the evaluator
validates with. Results are serialised by the core (``Result.to_dict()``, the
public contract); ``ResultSchema`` describes that shape and the tests check every
response against it.
"""
from __future__ import annotations

from marshmallow import RAISE, EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate


class _Open(Schema):
    """A response shape that may grow: new keys are additions, never breaking."""

    class Meta:
        unknown = INCLUDE


class AnyValue(fields.Raw):
    """Any JSON value (a fact's value: boolean, number, string or list)."""


# ------------------------------------------------------------------ problems


class ProblemSchema(_Open):
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


# ------------------------------------------------------------------- results


class CitationSchema(_Open):
    source = fields.String(required=True, metadata={"description": "A source id (GET /v1/sources)."})
    quote = fields.String(metadata={"description": "The passage of the source the claim rests on, verbatim."})


def _citations():
    return fields.List(fields.Nested(CitationSchema), required=True)


class EvidenceSchema(_Open):
    fact = fields.String(allow_none=True, metadata={"description": "The first fact the rule read (null: it read only findings)."})
    value = AnyValue(allow_none=True)
    facts = fields.Dict(keys=fields.String(), values=AnyValue(allow_none=True))
    rule = fields.String(required=True)
    because = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()
    strength = fields.String()
    weight = fields.Float()
    level = fields.String()


class TriageSchema(_Open):
    level = fields.String(required=True, metadata={"description": "the level's id, one the triage ruleset declares (GET /v1/rulesets)"})
    name = fields.String(required=True)
    advice = fields.String(required=True)
    confirmed = fields.Boolean(required=True, metadata={
        "description": "False while red-flag questions that could raise the level are unanswered."})
    reasons = fields.List(fields.Nested(EvidenceSchema), required=True)


class CauseSchema(_Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    rank = fields.Integer(required=True)
    score = fields.Float(required=True)
    confidence = fields.Float(required=True)
    why = fields.String(required=True, metadata={"description": "What the cause is (always shown)."})
    fix = fields.String(required=True, allow_none=True, metadata={
        "description": "What helps; null while the safety policy holds the programme."})
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()


class ReasonSchema(_Open):
    rule = fields.String(required=True)
    because = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()
    facts = fields.Dict(keys=fields.String(), values=AnyValue(allow_none=True))


class AmountValue(fields.Raw):
    """A dose figure: a number, or a range {low, high}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or (
                isinstance(value, dict) and set(value) == {"low", "high"}
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()))):
            raise ValidationError("a number, or a range {low, high}")
        return value


AMOUNT = {"oneOf": [{"type": "number"}, {"type": "object", "required": ["low", "high"],
                                          "properties": {"low": {"type": "number"}, "high": {"type": "number"}}}]}


def _amount(description: str):
    return AmountValue(metadata={"description": description, **AMOUNT})


class FrequencySchema(_Open):
    times = fields.Integer(required=True, metadata={"description": "How many times per period."})
    per = fields.String(required=True, validate=validate.OneOf(("day", "week")), metadata={"description": "day | week"})


class DoseSchema(_Open):
    """A dose: every figure is optional (absent: nobody gave one). ``basis`` says where each came from."""

    sets = _amount("Sets: a number, or a range {low, high}.")
    reps = _amount("Repetitions per set.")
    hold_seconds = _amount("How long each repetition is held, in seconds.")
    duration_seconds = _amount("How long the whole exercise lasts, in seconds (e.g. rolling 30-60 s).")
    per_side = fields.Boolean(metadata={"description": "The figures are for each side."})
    frequency = fields.Nested(FrequencySchema, metadata={"description": "How often."})
    weeks = fields.Integer(metadata={"description": "For how many weeks."})
    detail = fields.String(metadata={"description": "How to do it, in words (not a figure)."})
    basis = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(
        ("source", "clinic", "practitioner"))), metadata={
        "description": "Where each figure came from, by field name: source | clinic | practitioner."})
    citations = fields.List(fields.Nested(CitationSchema), metadata={
        "description": "The passages of the sources that give the figures with basis 'source', verbatim."})


class GuidanceSchema(_Open):
    text = fields.String(required=True, metadata={"description": "A plain sentence for the patient."})
    citations = _citations()


class RecommendationSchema(_Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "exercise | lifestyle | self_care | referral"})
    tags = fields.List(fields.String(), required=True, metadata={"description": "What the safety policy reads."})
    dose = fields.Nested(DoseSchema, required=True, metadata={
        "description": "The dose its sources give; a figure they do not give is absent (never invented)."})
    instructions = fields.String(required=True, metadata={"description": "One sentence: what it is."})
    steps = fields.List(fields.String(), required=True, metadata={"description": "Numbered steps for the patient."})
    progression = fields.Nested(GuidanceSchema, metadata={"description": "How to progress it, where a source says."})
    stop_if = fields.Nested(GuidanceSchema, metadata={"description": "When to stop, where a source says."})
    for_causes = fields.List(fields.String(), required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()
    intensity = fields.String()
    for_triage = fields.String()
    leads = fields.Boolean(required=True, metadata={"description": "The safety policy puts it first."})


class WithheldSchema(_Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    reason = fields.String(required=True)
    policy = fields.String(required=True, metadata={
        "description": "The safety policy line that withheld it (avoid.<id>: an avoid item forbids it)."})


class AvoidSchema(_Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    why = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()


class SafetyQuestionSchema(_Open):
    fact = fields.String(required=True)
    question = fields.String(required=True)
    could_raise_to = fields.String(required=True, metadata={"description": "The highest level its answer could reach."})


class AppliedPolicySchema(_Open):
    id = fields.String(required=True)
    says = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)
    holds_programme = fields.Boolean(required=True)


class QuestionSchema(_Open):
    fact = fields.String(required=True)
    question = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "safety | diagnosis"})
    why = fields.String(required=True)
    score = fields.Float(required=True)


class FindingSchema(_Open):
    id = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)


class UsedRulesetSchema(_Open):
    id = fields.String(required=True)
    version = fields.String(required=True)
    kind = fields.String(required=True)
    plugin = fields.String(required=True)


class ResultSchema(_Open):
    triage = fields.Nested(TriageSchema, required=True)
    causes = fields.List(fields.Nested(CauseSchema), required=True, metadata={"description": "Most likely first."})
    recommendations = fields.List(fields.Nested(RecommendationSchema), required=True)
    withheld = fields.List(fields.Nested(WithheldSchema), required=True)
    avoid = fields.List(fields.Nested(AvoidSchema), required=True)
    next_questions = fields.List(fields.Nested(QuestionSchema), required=True, metadata={"description": "Best first."})
    open_safety_questions = fields.List(fields.Nested(SafetyQuestionSchema), required=True, metadata={
        "description": "Every unanswered red-flag question whose answer could raise the triage."})
    policy = fields.List(fields.Nested(AppliedPolicySchema), required=True, metadata={
        "description": "The safety policy lines that held for this result."})
    programme_on_hold = fields.Boolean(required=True, metadata={
        "description": "The safety policy holds the home programme: no exercise, and causes give no fix."})
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    facts = fields.Dict(keys=fields.String(), values=AnyValue(), required=True,
                        metadata={"description": "The validated facts the result was computed from."})
    rulesets = fields.List(fields.Nested(UsedRulesetSchema), required=True)
    fired_rules = fields.List(fields.String(), required=True)
    engine = fields.String(required=True)
    disclaimer = fields.String(required=True)


# ------------------------------------------------------------------ listings


class FactInfoSchema(_Open):
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


class FactListSchema(_Open):
    facts = fields.List(fields.Nested(FactInfoSchema), required=True)


class CauseInfoSchema(_Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    why = fields.String(required=True, metadata={"description": "What the cause is, in plain language."})
    fix = fields.String(required=True, metadata={"description": "What helps (empty when the ruleset gives none)."})
    sources = fields.List(fields.String(), required=True)
    ruleset = fields.String(required=True)
    threshold = fields.Float(required=True)
    rules = fields.Integer(required=True)


class CauseListSchema(_Open):
    causes = fields.List(fields.Nested(CauseInfoSchema), required=True)


class SourceInfoSchema(_Open):
    id = fields.String(required=True, metadata={"description": "What citations name: a seed prefix (\"000\") or an id."})
    title = fields.String(required=True)
    publisher = fields.String(required=True)
    author = fields.String(required=True, allow_none=True, metadata={"description": "Who wrote it, where the article says (null: not named)."})
    kind = fields.String(required=True, metadata={"description": "article | policy"})
    description = fields.String(required=True)
    quotes_required = fields.Boolean(required=True, metadata={"description": "Citations of it carry a verbatim quote."})
    ruleset = fields.String(required=True, metadata={"description": "The sources ruleset that registered it."})
    plugin = fields.String(required=True, metadata={"description": "The plugin it came from ('decision_core': built in)."})


class SourceListSchema(_Open):
    sources = fields.List(fields.Nested(SourceInfoSchema), required=True)


class FormatInfoSchema(_Open):
    name = fields.String(required=True)
    media_type = fields.String(required=True)
    extension = fields.String(required=True)
    description = fields.String(required=True)
    binary = fields.Boolean(required=True)
    plugin = fields.String(required=True)


class FormatListSchema(_Open):
    formats = fields.List(fields.Nested(FormatInfoSchema), required=True)


class RulesetInfoSchema(_Open):
    id = fields.String(required=True)
    version = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    plugin = fields.String(required=True, metadata={"description": "The plugin it came from ('decision_core': built in)."})


class PluginInfoSchema(_Open):
    name = fields.String(required=True)
    version = fields.String(allow_none=True, required=True)
    builtin = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "ok | failed"})
    hooks = fields.List(fields.String(), required=True)
    registered = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    error = fields.String()
    problems = fields.List(fields.Dict())


class RulesetListSchema(_Open):
    fingerprint = fields.String(required=True, metadata={"description": "Identifies exactly which ruleset versions are served."})
    engine = fields.String(required=True)
    rulesets = fields.List(fields.Nested(RulesetInfoSchema), required=True)
    plugins = fields.List(fields.Nested(PluginInfoSchema), required=True)
    failed_plugins = fields.List(fields.Nested(PluginInfoSchema), required=True)


class HealthSchema(_Open):
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


# ----------------------------------------------------------------- CDS Hooks


class CodingSchema(_Open):
    system = fields.String(validate=validate.Length(min=1))
    code = fields.String(validate=validate.Length(min=1))
    display = fields.String(validate=validate.Length(min=1))


class CdsServiceSchema(_Open):
    hook = fields.String(required=True)
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    prefetch = fields.Dict(keys=fields.String(), values=fields.String())
    usageRequirements = fields.String()


class DiscoverySchema(_Open):
    services = fields.List(fields.Nested(CdsServiceSchema), required=True)


class FhirAuthorizationSchema(Schema):
    class Meta:
        unknown = INCLUDE

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    scope = fields.String(required=True)
    subject = fields.String(required=True)


# A URL by a pattern the OpenAPI document carries too: marshmallow's Url field validates more than
# the document can say ("" was allowed by the document and refused by the server).
HTTP_URL = r"^https?://[^\s/?#]+([/?#]\S*)?$"


class CdsContextSchema(Schema):
    """The hook context: any members (patientId, userId, encounterId...); ``extension`` is an object."""

    class Meta:
        unknown = INCLUDE

    extension = fields.Dict(keys=fields.String(), metadata={
        "description": "Facts may be given in extension['hamstring-decision-core.facts'] "
                       "(an object of fact names to values)."})


class CdsRequestSchema(Schema):
    """A CDS Hooks service call. Unknown top-level members are ignored, as the spec allows."""

    class Meta:
        unknown = EXCLUDE

    hook = fields.String(required=True, validate=validate.Length(min=1))
    hookInstance = fields.String(required=True, validate=validate.Length(min=1, max=200))
    fhirServer = fields.String(validate=[validate.Length(min=1, max=2048), validate.Regexp(HTTP_URL)],
                               metadata={"description": "The EHR's FHIR base URL (http or https)."})
    fhirAuthorization = fields.Nested(FhirAuthorizationSchema, allow_none=True, metadata={
        "description": "The bearer token for fhirServer; null is the same as absent (no token)."})
    context = fields.Nested(CdsContextSchema, required=True, metadata={
        "description": "Hook context (patientId, userId, encounterId). Facts may be given in "
                       "context.extension['hamstring-decision-core.facts'] (an object of fact names to values)."})
    prefetch = fields.Dict(keys=fields.String(), values=fields.Dict(allow_none=True), metadata={
        "description": "FHIR resources or searchset Bundles, as requested by the service's prefetch templates."})
    extension = fields.Dict()


class SourceSchema(Schema):
    label = fields.String(required=True)
    url = fields.String()
    topic = fields.Nested(CodingSchema)


class LinkSchema(Schema):
    label = fields.String(required=True)
    url = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["absolute", "smart"]))


class ActionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["create", "update", "delete"]))
    description = fields.String(required=True)
    resource = fields.Dict()
    resourceId = fields.String()


class SuggestionSchema(Schema):
    label = fields.String(required=True)
    uuid = fields.String()
    isRecommended = fields.Boolean()
    actions = fields.List(fields.Nested(ActionSchema))


class CardSchema(Schema):
    uuid = fields.String()
    summary = fields.String(required=True, validate=validate.Length(min=1, max=139))
    detail = fields.String(metadata={"description": "GitHub-flavoured markdown."})
    indicator = fields.String(required=True, validate=validate.OneOf(["info", "warning", "critical"]))
    source = fields.Nested(SourceSchema, required=True)
    suggestions = fields.List(fields.Nested(SuggestionSchema))
    selectionBehavior = fields.String(validate=validate.OneOf(["at-most-one", "any"]))
    links = fields.List(fields.Nested(LinkSchema))


class CdsResponseSchema(Schema):
    cards = fields.List(fields.Nested(CardSchema), required=True)


class AcceptedSuggestionSchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True)


class OverrideReasonSchema(Schema):
    class Meta:
        unknown = INCLUDE

    reason = fields.Nested(CodingSchema)
    userComment = fields.String()


class FeedbackItemSchema(Schema):
    class Meta:
        unknown = INCLUDE

    card = fields.String(required=True, validate=validate.Length(min=1))
    outcome = fields.String(required=True, validate=validate.OneOf(["accepted", "overridden"]))
    # The spec wants it for accepted outcomes; OpenAPI 3.0 cannot say "required when", so neither does the
    # server (feedback is only counted): given, it names at least one suggestion.
    acceptedSuggestions = fields.List(fields.Nested(AcceptedSuggestionSchema), validate=validate.Length(min=1),
                                      metadata={"description": "The suggestions accepted (the spec asks for it "
                                                               "with outcome 'accepted')."})
    overrideReason = fields.Nested(OverrideReasonSchema)
    outcomeTimestamp = fields.String(required=True, validate=validate.Length(min=1))


class FeedbackSchema(Schema):
    class Meta:
        unknown = INCLUDE

    feedback = fields.List(fields.Nested(FeedbackItemSchema), required=True, validate=validate.Length(min=1, max=100))


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
