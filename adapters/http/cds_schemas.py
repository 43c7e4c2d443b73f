"""The CDS Hooks payloads: discovery, the hook request, the cards and feedback."""
from __future__ import annotations

from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate

from .schemas import OpenSchema


class CodingSchema(OpenSchema):
    system = fields.String(validate=validate.Length(min=1))
    code = fields.String(validate=validate.Length(min=1))
    display = fields.String(validate=validate.Length(min=1))


class CdsServiceSchema(OpenSchema):
    hook = fields.String(required=True)
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    prefetch = fields.Dict(keys=fields.String(), values=fields.String())
    usageRequirements = fields.String()


class DiscoverySchema(OpenSchema):
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
    overrideReasons = fields.List(fields.Nested(CodingSchema), metadata={
        "description": "Why a clinician may override the card (when the server keeps a record)."})
    extension = fields.Dict(keys=fields.String(), metadata={
        "description": "hamstring-decision-core.record-id: the record the card's result is kept under."})


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
