"""The schema of a result (``Result.to_dict()``, the core's public contract): responses are
checked against it in the tests, and the OpenAPI document shows it."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from decision_core.catalogue.dose import BASES

from .schemas import AnyValue, OpenSchema


class CitationSchema(OpenSchema):
    source = fields.String(required=True, metadata={"description": "A source id (GET /v1/sources)."})
    quote = fields.String(metadata={"description": "The passage of the source the claim rests on, verbatim."})


def _citations():
    return fields.List(fields.Nested(CitationSchema), required=True)


class EvidenceSchema(OpenSchema):
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


class TriageSchema(OpenSchema):
    level = fields.String(required=True, metadata={"description": "the level's id, one the triage ruleset declares (GET /v1/rulesets)"})
    name = fields.String(required=True)
    advice = fields.String(required=True)
    confirmed = fields.Boolean(required=True, metadata={
        "description": "False while red-flag questions that could raise the level are unanswered."})
    reasons = fields.List(fields.Nested(EvidenceSchema), required=True)


class CauseSchema(OpenSchema):
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


class PhraseSchema(OpenSchema):
    """A sentence the product composes, as a code and what it is about (ids); its words are made in the
    reader's language from the message catalogues. Codes: raises_triage (level), confirms (causes),
    withheld_by_policy (policy), withheld_by_avoid (avoid), withheld_by_cause (causes), recommended_for (cause),
    screen_raises."""

    code = fields.String(required=True)
    level = fields.String()
    cause = fields.String()
    causes = fields.List(fields.String())
    policy = fields.String()
    avoid = fields.String()


class ReasonSchema(OpenSchema):
    rule = fields.String(required=True)
    because = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()
    facts = fields.Dict(keys=fields.String(), values=AnyValue(allow_none=True))
    because_code = fields.Nested(PhraseSchema, metadata={
        "description": "``because`` as a phrase, when the product composed it (recommended_for)."})


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


class FrequencySchema(OpenSchema):
    times = fields.Integer(required=True, metadata={"description": "How many times per period."})
    per = fields.String(required=True, validate=validate.OneOf(("day", "week")), metadata={"description": "day | week"})


class DoseSchema(OpenSchema):
    """A dose: every figure is optional (absent: nobody gave one). ``basis`` says where each came from."""

    sets = _amount("Sets: a number, or a range {low, high}.")
    reps = _amount("Repetitions per set.")
    hold_seconds = _amount("How long each repetition is held, in seconds.")
    duration_seconds = _amount("How long the whole exercise lasts, in seconds (e.g. rolling 30-60 s).")
    per_side = fields.Boolean(metadata={"description": "The figures are for each side."})
    frequency = fields.Nested(FrequencySchema, metadata={"description": "How often."})
    weeks = fields.Integer(metadata={"description": "For how many weeks."})
    detail = fields.String(metadata={"description": "How to do it, in words (not a figure)."})
    basis = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(BASES)), metadata={
        "description": "Where each figure came from, by field name: source | default (the product's starting "
                       "dose, cited as the source 'defaults') | clinic | practitioner."})
    citations = fields.List(fields.Nested(CitationSchema), metadata={
        "description": "The passages of the sources that give the figures with basis 'source', verbatim "
                       "(and the source 'defaults' for figures with basis 'default')."})


class GuidanceSchema(OpenSchema):
    text = fields.String(required=True, metadata={"description": "A plain sentence for the patient."})
    citations = _citations()


class RecommendationSchema(OpenSchema):
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


class WithheldSchema(OpenSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    reason = fields.String(required=True)
    policy = fields.String(required=True, metadata={
        "description": "The safety policy line that withheld it (avoid.<id>: an avoid item forbids it)."})
    reason_code = fields.Nested(PhraseSchema, allow_none=True, metadata={"description": "``reason`` as a phrase."})


class AvoidSchema(OpenSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    why = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    sources = fields.List(fields.String(), required=True)
    citations = _citations()


class SafetyQuestionSchema(OpenSchema):
    fact = fields.String(required=True)
    question = fields.String(required=True)
    could_raise_to = fields.String(required=True, metadata={"description": "The highest level its answer could reach."})


class AppliedPolicySchema(OpenSchema):
    id = fields.String(required=True)
    says = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)
    holds_programme = fields.Boolean(required=True)


class QuestionSchema(OpenSchema):
    fact = fields.String(required=True)
    question = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "safety | diagnosis"})
    why = fields.String(required=True)
    score = fields.Float(required=True)
    why_codes = fields.List(fields.Nested(PhraseSchema), metadata={
        "description": "``why`` as phrases: raises_triage (level), confirms (causes)."})


class FindingSchema(OpenSchema):
    id = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)


class UsedRulesetSchema(OpenSchema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    kind = fields.String(required=True)
    plugin = fields.String(required=True)


class ProgrammeItemSchema(OpenSchema):
    id = fields.String(required=True, metadata={"description": "The id of an entry of recommendations."})
    dose = fields.Nested(DoseSchema, required=True, metadata={
        "description": "The dose to give: for an exercise, always sets, an amount (reps, a hold or a time) and how "
                       "often; basis says where each figure came from."})
    starting_dose = fields.Boolean(required=True, metadata={
        "description": "Some figure is the product's default starting dose: the practitioner may change it."})


class ProgrammePhaseSchema(OpenSchema):
    id = fields.String(required=True, metadata={"description": "A phase the programme ruleset declares."})
    name = fields.String(required=True, metadata={"description": "Its name for people (\"Start with\")."})
    items = fields.List(fields.Nested(ProgrammeItemSchema), required=True)


class AlternativeSchema(OpenSchema):
    id = fields.String(required=True, metadata={"description": "The id of an entry of recommendations."})
    why = fields.String(required=True, metadata={
        "description": "Why it was not chosen, a code: same_job | limit | on_hold | no_dose | needs_start | "
                       "not_in_programme | swapped_out, or a fit rule's code (fit_running, fit_sport, fit_pain_free, "
                       "fit_red_flags_open, ...: GET /v1/rulesets)."})


class ProgrammeSchema(OpenSchema):
    on_hold = fields.Boolean(required=True, metadata={
        "description": "As programme_on_hold: while it is on hold the phases are empty."})
    phases = fields.List(fields.Nested(ProgrammePhaseSchema), required=True, metadata={
        "description": "The exercises, in order of phases (a phase with no items is left out)."})
    lifestyle = fields.List(fields.Nested(ProgrammeItemSchema), required=True, metadata={
        "description": "Everyday changes, and the self-care and referrals the patient does."})
    weeks = fields.Integer(required=True, metadata={"description": "How long the programme runs."})
    review_in_weeks = fields.Integer(required=True, metadata={
        "description": "When it is reviewed: the report's date plus this many weeks."})
    alternatives = fields.List(fields.Nested(AlternativeSchema), required=True, metadata={
        "description": "The allowed items (recommendations) that were not chosen, each with why."})


class ResultSchema(OpenSchema):
    triage = fields.Nested(TriageSchema, required=True)
    causes = fields.List(fields.Nested(CauseSchema), required=True, metadata={"description": "Most likely first."})
    recommendations = fields.List(fields.Nested(RecommendationSchema), required=True)
    withheld = fields.List(fields.Nested(WithheldSchema), required=True)
    avoid = fields.List(fields.Nested(AvoidSchema), required=True)
    next_questions = fields.List(fields.Nested(QuestionSchema), required=True, metadata={"description": "Best first."})
    open_safety_questions = fields.List(fields.Nested(SafetyQuestionSchema), required=True, metadata={
        "description": "Every unanswered red-flag question whose answer could raise the triage."})
    open_red_flags = fields.List(fields.Nested(SafetyQuestionSchema), required=True, metadata={
        "description": "The open safety questions whose answer could raise the triage to a red-flag level (urgent "
                       "or emergency, as the triage ruleset declares), in the same order: ask them before anything "
                       "starts. While this list is non-empty the triage is not yet known."})
    open_assessment_questions = fields.List(fields.Nested(SafetyQuestionSchema), required=True, metadata={
        "description": "The other open safety questions, for the practitioner's assessment. With open_red_flags "
                       "it partitions open_safety_questions."})
    policy = fields.List(fields.Nested(AppliedPolicySchema), required=True, metadata={
        "description": "The safety policy lines that held for this result."})
    programme_on_hold = fields.Boolean(required=True, metadata={
        "description": "The safety policy holds the home programme: no exercise, and causes give no fix."})
    programme = fields.Nested(ProgrammeSchema, required=True, allow_none=True, metadata={
        "description": "The patient's programme: a few dosed items chosen from recommendations (which keeps every "
                       "allowed item), in phases, with a length, a review and the alternatives. Null when the "
                       "installation has no programme ruleset."})
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    facts = fields.Dict(keys=fields.String(), values=AnyValue(), required=True,
                        metadata={"description": "The validated facts the result was computed from."})
    rulesets = fields.List(fields.Nested(UsedRulesetSchema), required=True)
    fired_rules = fields.List(fields.String(), required=True)
    engine = fields.String(required=True)
    disclaimer = fields.String(required=True)
    record_id = fields.String(metadata={
        "description": "The record this evaluation is kept under (only when the server keeps a record): "
                       "the id for POST /v1/records/{id}/feedback and /follow-ups."})
