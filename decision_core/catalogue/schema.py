"""Marshmallow schemas that validate ruleset files as they are loaded.

They check shape and vocabulary of one file; cross-file checks (unknown facts,
duplicate ids) are made by :mod:`decision_core.catalogue.loading` once all are loaded.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, pre_load, validate, validates_schema

from decision_core.catalogue.citations import Note
from decision_core.figures.schema import FigureSchema
from decision_core.catalogue.dose import FIGURES as DOSE_FIGURES, Dose
from decision_core.catalogue.messages import dotted, walk
from decision_core.catalogue.fields import (  # noqa: F401  (ID, SOURCE, TEXT... are read from here too)
    ID,
    RULE_ID,
    SOURCE,
    TEXT,
    VERSION,
    AmountField,
    CitationField,
    ConclusionField,
    ConditionField,
    FrequencyField,
    SourcesField,
    Strict,
    field_problems,
)

RULESET_KINDS = ("facts", "cause", "triage", "recommendations", "avoid", "policy", "sources", "programme")
FACT_TYPES = ("bool", "int", "number", "choice", "choices", "list")
# conditions a question's enable_when may use: the ones FHIR's Questionnaire.item.enableWhen can say
ENABLE_WHEN_OPS = ("is_true", "is_false", "eq", "ne", "includes", "gte", "gt", "lte", "lt")
REC_KINDS = ("exercise", "lifestyle", "self_care", "referral")
INTENSITIES = ("gentle", "moderate", "vigorous")
STRENGTH_WEIGHTS = {"strong": 3.0, "supporting": 1.0, "against": -2.0}


class RuleSchema(Strict):
    id = fields.String(required=True, validate=RULE_ID)
    when = fields.List(ConditionField(), required=True, validate=validate.Length(min=1, max=16))
    then = ConclusionField(required=True)
    strength = fields.String(validate=validate.OneOf(tuple(STRENGTH_WEIGHTS)))
    weight = fields.Float(validate=validate.Range(min=-10, max=10))
    because = fields.String(required=True, validate=validate.Length(min=3, max=600), metadata=TEXT)
    sources = SourcesField(required=True)

    @validates_schema
    def _strength_for_causes(self, data, **kwargs):
        then = data.get("then")
        if then is None:
            return
        if then.kind == "cause" and "strength" not in data and "weight" not in data:
            raise ValidationError("a cause rule needs a strength (strong, supporting or against)", "strength")
        if then.kind != "cause" and ("strength" in data or "weight" in data):
            raise ValidationError("only cause rules carry a strength or weight", "strength")


class FactSchema(Strict):
    name = fields.String(required=True, validate=ID)
    type = fields.String(required=True, validate=validate.OneOf(FACT_TYPES))
    label = fields.String(required=True, metadata=TEXT)
    question = fields.String(required=True, validate=validate.Length(min=5), metadata=TEXT)
    help = fields.String(metadata=TEXT)
    unit = fields.String(metadata=TEXT)
    min = fields.Float()
    max = fields.Float()
    values = fields.List(fields.String(validate=ID), validate=validate.Length(min=1))
    red_flag = fields.Boolean(load_default=False)
    max_items = fields.Integer(validate=validate.Range(min=1, max=50), load_default=20)
    # causes whose rules this fact helps tell apart (plugins declare it; lint checks it)
    discriminates = fields.List(fields.String(validate=ID), load_default=list)
    # the interview: which group of the intake form it belongs to (a group a facts ruleset declares), the
    # answers that make it worth asking (conditions on other facts, all of them; unknown means not yet),
    # and what each listed value says to the patient
    group = fields.String(validate=ID)
    enable_when = fields.List(ConditionField(), validate=validate.Length(min=1, max=4), load_default=list)
    value_labels = fields.Dict(keys=fields.String(validate=ID), values=fields.String(validate=validate.Length(min=1)),
                               metadata=TEXT)

    @validates_schema
    def _consistent(self, data, **kwargs):
        kind = data.get("type")
        if kind in ("choice", "choices") and not data.get("values"):
            raise ValidationError(f"a {kind} fact needs values", "values")
        if kind not in ("choice", "choices") and "values" in data:
            raise ValidationError(f"a {kind} fact takes no values", "values")
        if kind not in ("int", "number") and ("min" in data or "max" in data):
            raise ValidationError(f"a {kind} fact takes no min/max", "min")
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError("min is above max", "min")
        labels = data.get("value_labels")
        if labels is not None:
            if kind not in ("choice", "choices"):
                raise ValidationError(f"a {kind} fact takes no value_labels", "value_labels")
            unknown = sorted(set(labels) - set(data.get("values") or ()))
            if unknown:
                raise ValidationError(f"labels for values the fact does not list: {', '.join(unknown)}", "value_labels")
        for cond in data.get("enable_when") or ():
            if cond.op not in ENABLE_WHEN_OPS:
                raise ValidationError(f"'{cond.text}': enable_when takes conditions on facts (is true, is false, "
                                      "is, is not, includes, >=, >, <=, <)", "enable_when")
            if cond.subject == data.get("name"):
                raise ValidationError(f"'{cond.text}': a fact cannot wait on its own answer", "enable_when")


class GroupSchema(Strict):
    """A group of the intake form (facts rulesets): its id, the heading the patient sees, in form order."""

    id = fields.String(required=True, validate=ID)
    title = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata=TEXT)


class CauseEntrySchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, metadata=TEXT)
    # why: what the cause is (always shown); fix: what helps (shown only where the programme is)
    why = fields.String(metadata=TEXT)
    fix = fields.String(metadata=TEXT)
    explanation = fields.String(metadata=TEXT)  # older name of `why`
    sources = SourcesField(required=True)
    threshold = fields.Float(load_default=3.0, validate=validate.Range(min=0.5, max=30))

    @validates_schema
    def _why(self, data, **kwargs):
        if not data.get("why") and not data.get("explanation"):
            raise ValidationError("a cause needs a 'why': what it is, in plain language", "why")


CONTACTS = ("clinic", "emergency")  # the clinic (its phone) or the emergency services (the emergency number)


class SafetyNetSchema(Strict):
    says = fields.String(required=True, validate=validate.Length(min=1), metadata=TEXT)
    # who to call: the clinic (its phone) or the emergency services (the clinic's emergency number)
    contact = fields.String(required=True, validate=validate.OneOf(CONTACTS))


COLOUR = fields.String(validate=validate.Regexp(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$", error="must be a #rgb or #rrggbb colour"))


class LevelColoursSchema(Strict):
    background = COLOUR
    border = COLOUR
    text = COLOUR  # the whole box's text, where the background needs it (white on a dark red)
    label = COLOUR  # the level's name only


class PresentationSchema(Strict):
    """How adapters show a level: they read these and name no level."""

    acute = fields.Boolean(required=True)  # act now: the card's referral says "now", reports draw it heavier
    card_indicator = fields.String(required=True, validate=validate.OneOf(("info", "warning", "critical")))
    priority = fields.String(required=True, validate=validate.OneOf(("routine", "urgent", "asap", "stat")))
    suggest_referral = fields.Boolean(required=True)  # the card suggests a referral even when no rule did
    fhir_severity = fields.String(required=True, allow_none=True, validate=validate.OneOf(("high", "moderate", "low")))
    emergency_department = fields.Boolean(load_default=False)  # FHIR: a request for an emergency department
    mark = fields.String(required=True, validate=validate.Length(min=1, max=3))
    mark_while_unconfirmed = fields.String(validate=validate.Length(min=1, max=3))  # while red flags are open
    # the card's indicator while red-flag questions are open (actionable: rule them out first); default card_indicator
    card_indicator_while_red_flags_open = fields.String(validate=validate.OneOf(("info", "warning", "critical")))
    colours = fields.Nested(LevelColoursSchema, required=True)


class LevelSchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, metadata=TEXT)
    advice = fields.String(required=True, metadata=TEXT)
    # said instead of `advice` while red-flag questions that could raise the level are unanswered
    advice_while_unconfirmed = fields.String(metadata=TEXT)
    # the handout's "call us / seek care if ..." lines at this level
    seek_care_if = fields.List(fields.Nested(SafetyNetSchema), load_default=list)
    # an interview stops as soon as the triage reaches this level, and says what to do
    stops_interview = fields.Boolean(load_default=False)
    # a red-flag level: an open question that could raise the triage to it is a red flag, asked before anything
    # starts (result.open_red_flags); the others are questions for the assessment
    red_flag = fields.Boolean(load_default=False)
    # whom to call when a red flag for this level turns out true (as seek_care_if's contact)
    contact = fields.String(validate=validate.OneOf(CONTACTS))
    presentation = fields.Nested(PresentationSchema, required=True)


TAG = fields.String(validate=ID)


class PolicyLineSchema(Strict):
    id = fields.String(required=True, validate=RULE_ID)
    when = fields.List(ConditionField(), required=True, validate=validate.Length(min=1, max=16))
    withhold = fields.List(TAG, load_default=list)  # items with any of these tags
    allow_only = fields.List(TAG, load_default=list)  # items with none of these tags are withheld
    max_intensity = fields.String(validate=validate.OneOf(INTENSITIES))  # exercises above it are withheld
    lead_with = fields.List(TAG, load_default=list)  # items with these tags come first, in this order
    hold_programme = fields.Boolean(load_default=False)  # the home programme and each cause's fix are on hold
    says = fields.String(required=True, validate=validate.Length(min=3, max=600), metadata=TEXT)
    sources = SourcesField(required=True)

    @validates_schema
    def _does_something(self, data, **kwargs):
        if not (data.get("withhold") or data.get("allow_only") or data.get("max_intensity")
                or data.get("lead_with") or data.get("hold_programme")):
            raise ValidationError("a policy line must withhold, allow_only, max_intensity, lead_with or hold_programme", "withhold")


RENAMED_DOSE_FIELDS = {"hold": "hold_seconds (a number of seconds)", "duration": "duration_seconds (a number of seconds)"}


class DoseSchema(Strict):
    """A dose as its source gives it; every figure rests on ``sources`` (the passages that give the numbers)."""

    sets = AmountField()
    reps = AmountField()
    hold_seconds = AmountField()
    duration_seconds = AmountField()
    per_side = fields.Boolean()
    frequency = FrequencyField()
    weeks = fields.Integer(validate=validate.Range(min=1, max=104))
    detail = fields.String(validate=validate.Length(min=3, max=400), metadata=TEXT)
    sources = fields.List(CitationField())

    @pre_load
    def _renamed(self, data, **kwargs):
        if isinstance(data, dict):
            for old, new in RENAMED_DOSE_FIELDS.items():
                if old in data:
                    raise ValidationError(f"'{old}' is now {new}", old)
        return data

    @validates_schema
    def _figures_rest_on_sources(self, data, **kwargs):
        if any(data.get(name) is not None for name in DOSE_FIGURES) and not data.get("sources"):
            raise ValidationError("a dose with figures needs sources: the passages that give them, "
                                  '{source: "001", quote: "3 sets of 10 to 12 reps"}', "sources")

    @post_load
    def _dose(self, data, **kwargs):
        values = {name: data[name] for name in (*DOSE_FIGURES, "detail") if data.get(name) is not None}
        return Dose(**values, basis={name: "source" for name in values if name != "detail"},
                    citations=tuple(data.get("sources") or ()))


class GuidanceSchema(Strict):
    """A progression or stop rule: a short sentence for the patient and the passages it rests on."""

    text = fields.String(required=True, validate=validate.Length(min=3, max=300), metadata=TEXT)
    sources = SourcesField(required=True)

    @post_load
    def _note(self, data, **kwargs):
        return Note(" ".join(data["text"].split()), tuple(data["sources"]))


STEP = fields.String(validate=validate.Length(min=3, max=200), metadata=TEXT)


class RecommendationEntrySchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, metadata=TEXT)
    kind = fields.String(required=True, validate=validate.OneOf(REC_KINDS))
    intensity = fields.String(validate=validate.OneOf(INTENSITIES))
    dose = fields.Nested(DoseSchema, load_default=Dose)
    # numbered steps for the patient (exercises); instructions is a one-sentence summary (else the steps joined)
    steps = fields.List(STEP, validate=validate.Length(min=1, max=8), load_default=list)
    instructions = fields.String(metadata=TEXT)
    progression = fields.Nested(GuidanceSchema)
    stop_if = fields.Nested(GuidanceSchema)
    for_causes = fields.List(fields.String(validate=ID), load_default=list)
    not_with_causes = fields.List(fields.String(validate=ID), load_default=list)
    tags = fields.List(TAG, load_default=list)  # what the safety policy reads (exercise, stretch, loaded, ...)
    sources = SourcesField(required=True)
    # an exercise's picture: its start and end position as joint angles, or an svg file (decision_core.figures)
    figure = fields.Nested(FigureSchema)

    @validates_schema
    def _intensity(self, data, **kwargs):
        if data.get("kind") == "exercise" and "intensity" not in data:
            raise ValidationError("an exercise needs an intensity (gentle, moderate or vigorous)", "intensity")
        if not data.get("instructions") and not data.get("steps"):
            raise ValidationError("an item needs instructions (one sentence) or steps", "instructions")
        if "figure" in data and data.get("kind") != "exercise":
            raise ValidationError("only an exercise has a figure", "figure")


class AvoidEntrySchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, metadata=TEXT)
    why = fields.String(required=True, metadata=TEXT)
    forbids = fields.List(TAG, load_default=list)  # while it is raised, items with these tags are withheld
    sources = SourcesField(required=True)


# Which conclusions and items each kind of file may hold.
ALLOWED_CONCLUSIONS = {
    "facts": (),
    "cause": ("finding", "cause"),
    "triage": ("finding", "triage"),
    "recommendations": ("recommend",),
    "avoid": ("avoid",),
    "policy": (),
    "sources": (),
    "programme": (),
}
# the sections of a programme ruleset (decision_core.catalogue.programme_rules)
PROGRAMME_SECTIONS = ("settings", "jobs", "fit", "doses")


class RulesetFileSchema(Strict):
    ruleset = fields.String(required=True, validate=ID)
    version = fields.String(required=True, validate=VERSION)
    kind = fields.String(required=True, validate=validate.OneOf(RULESET_KINDS))
    title = fields.String(required=True)
    description = fields.String()
    sources = fields.List(fields.String(validate=SOURCE), load_default=list)
    cause = fields.Nested(CauseEntrySchema)
    facts = fields.List(fields.Nested(FactSchema))
    groups = fields.List(fields.Nested(GroupSchema))  # facts: the intake form's groups, in order
    levels = fields.List(fields.Nested(LevelSchema))
    items = fields.List(fields.Raw())
    tags = fields.Dict(keys=TAG, values=fields.String())  # policy, programme: the tag vocabulary, each explained
    lines = fields.List(fields.Raw())  # policy: its lines
    entries = fields.List(fields.Raw())  # sources: the sources this ruleset registers
    rules = fields.List(fields.Raw(), load_default=list)
    settings = fields.Raw()  # programme: limits, phases, length (programme_rules.ProgrammeSettingsSchema)
    jobs = fields.List(TAG)  # programme: the tags that name a job
    fit = fields.List(fields.Raw())  # programme: which items fit which patients
    doses = fields.List(fields.Raw())  # programme: starting doses by item or tag

    @validates_schema
    def _sections(self, data, **kwargs):
        kind = data.get("kind")
        need = {"facts": "facts", "cause": "cause", "triage": "levels", "policy": "lines", "sources": "entries"}.get(kind)
        if need and not data.get(need):
            raise ValidationError(f"a {kind} ruleset needs a '{need}' section", need)
        if kind in ("recommendations", "avoid") and data.get("items") is None:
            raise ValidationError(f"a {kind} ruleset needs an 'items' section", "items")
        if "groups" in data and kind != "facts":
            raise ValidationError(f"a {kind} ruleset has no 'groups' section (facts rulesets declare them)", "groups")
        for section in ("cause", "facts", "levels", "items", "tags", "lines", "entries") + PROGRAMME_SECTIONS:
            if section in data and section != need and not (section == "items" and kind in ("recommendations", "avoid")) \
                    and not (section == "tags" and kind in ("policy", "programme")) \
                    and not (section in PROGRAMME_SECTIONS and kind == "programme"):
                raise ValidationError(f"a {kind} ruleset has no '{section}' section", section)
        if kind == "programme" and not any(data.get(s) for s in PROGRAMME_SECTIONS + ("tags",)):
            raise ValidationError("a programme ruleset needs settings, jobs, fit, doses or tags", "settings")


def rule_label(raw, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return raw["id"]
    return f"#{index + 1}"


def flatten_messages(messages) -> list[tuple[str, str]]:
    """marshmallow's nested errors as (dotted field path, message) pairs; '(file)': the whole document."""
    return [(dotted(path) or "(file)", str(message)) for path, message in walk(messages)]


__all__ = [
    "RulesetFileSchema",
    "RuleSchema",
    "GroupSchema",
    "ENABLE_WHEN_OPS",
    "RecommendationEntrySchema",
    "DoseSchema",
    "GuidanceSchema",
    "AvoidEntrySchema",
    "STRENGTH_WEIGHTS",
    "TEXT",
    "ALLOWED_CONCLUSIONS",
    "rule_label",
    "flatten_messages",
    "field_problems",
]
