"""The programme ruleset (``kind: programme``): how the patient's programme is chosen from the items the
rules and the safety policy allow, as data.

* ``settings`` (one ruleset sets them, the built-in ``rulesets/programme.yaml``): the limits (exercises,
  everyday changes, items per cause), which kinds go into the phases and which into the everyday list,
  what is always kept, the phases in order, the programme's length and when it is reviewed;
* ``jobs``: the tags that name a job (no two chosen items do the same job);
* ``fit``: which items fit which patients, as conditions on facts (an unknown fact never fits);
* ``doses``: a conservative starting dose by item or by tag, for what the sources leave out;
* ``tags``: the tags this ruleset adds to the vocabulary (the policy's are in policy.yaml).

A plugin's programme ruleset may add jobs, fit rules, doses and tags; the settings are set once.
The selection itself is :mod:`decision_core.evaluation.prescription`; this module is the shape and the values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from decision_core.catalogue.citations import Citation
from decision_core.catalogue.conditions import Condition
from decision_core.catalogue.dose import Dose
from decision_core.catalogue.fields import ID, TEXT, ConditionField, SourcesField, Strict

TAG = fields.String(validate=ID)


@dataclass(frozen=True)
class PhaseDef:
    """A phase of the programme: its id, its name for people, and the tags of the items it holds (the
    first phase holds every item no later phase claims)."""

    id: str
    name: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgrammeSettings:
    weeks: int
    review_in_weeks: int
    max_exercises: int
    max_everyday: int
    per_cause: int
    exercise_kinds: tuple[str, ...]
    everyday_kinds: tuple[str, ...]
    everyday_tags: tuple[str, ...]  # items with any of these go to the everyday list, whatever their kind
    always_tags: tuple[str, ...]  # items with any of these are always kept (the policy's leads too)
    phases: tuple[PhaseDef, ...]
    ruleset: str = ""


@dataclass(frozen=True)
class FitRule:
    """Items with any of ``tags`` fit a patient only when every ``all`` condition holds, at least one
    ``any`` condition holds (when there are some) and, with ``triage_confirmed``, no open question could
    still raise the triage. An unknown fact never holds. ``why``: the code an item that does not fit is
    listed with among the alternatives; ``says``: the same in words for the practitioner."""

    id: str
    tags: tuple[str, ...]
    why: str
    says: str
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    triage_confirmed: bool = False
    ruleset: str = ""
    citations: tuple[Citation, ...] = ()

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.all + self.any


@dataclass(frozen=True)
class DoseEntry:
    """A starting dose for one item, or for every item with a tag."""

    item: str | None
    tag: str | None
    dose: Dose
    ruleset: str = ""

    @property
    def key(self) -> str:
        return f"item {self.item}" if self.item else f"tag {self.tag}"


@dataclass(frozen=True)
class ProgrammePart:
    """What one programme ruleset file contributes."""

    settings: ProgrammeSettings | None = None
    jobs: tuple[str, ...] = ()
    fit: tuple[FitRule, ...] = ()
    doses: tuple[DoseEntry, ...] = ()


@dataclass(frozen=True)
class ProgrammeRules:
    """The programme rules of a whole catalogue (every programme ruleset merged)."""

    settings: ProgrammeSettings
    jobs: frozenset[str] = frozenset()
    fit: tuple[FitRule, ...] = ()
    doses: tuple[DoseEntry, ...] = field(default=())

    def phase(self, phase_id: str) -> PhaseDef | None:
        return next((p for p in self.settings.phases if p.id == phase_id), None)


# ------------------------------------------------------------------ the file's schemas


class PhaseSchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata=TEXT)
    tags = fields.List(TAG, load_default=list)


class LimitsSchema(Strict):
    exercises = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=50))
    everyday = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=50))
    per_cause = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50))


class EverydaySchema(Strict):
    kinds = fields.List(fields.String(validate=ID), required=True)
    tags = fields.List(TAG, load_default=list)


class ProgrammeSettingsSchema(Strict):
    weeks = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=52))
    review_in_weeks = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=52))
    limits = fields.Nested(LimitsSchema, required=True)
    exercise_kinds = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1))
    everyday = fields.Nested(EverydaySchema, required=True)
    always = fields.List(TAG, load_default=list)
    phases = fields.List(fields.Nested(PhaseSchema), required=True, validate=validate.Length(min=1, max=6))

    @validates_schema
    def _consistent(self, data, **kwargs):
        phases = data.get("phases") or []
        ids = [p["id"] for p in phases]
        if len(set(ids)) != len(ids):
            raise ValidationError("two phases have the same id", "phases")
        if phases and phases[0]["tags"]:
            raise ValidationError("the first phase holds every item no later phase claims: it takes no tags", "phases")
        if any(not p["tags"] for p in phases[1:]):
            raise ValidationError("a later phase says which items it holds by tags", "phases")
        both = set(data.get("exercise_kinds") or ()) & set((data.get("everyday") or {}).get("kinds") or ())
        if both:
            raise ValidationError(f"kind '{sorted(both)[0]}' is both an exercise kind and an everyday kind", "everyday")
        if "weeks" in data and "review_in_weeks" in data and data["review_in_weeks"] > data["weeks"]:
            raise ValidationError("the review comes after the programme ends", "review_in_weeks")

    @post_load
    def _settings(self, data, **kwargs):
        limits, everyday = data["limits"], data["everyday"]
        return ProgrammeSettings(
            data["weeks"], data["review_in_weeks"], limits["exercises"], limits["everyday"], limits["per_cause"],
            tuple(data["exercise_kinds"]), tuple(everyday["kinds"]), tuple(everyday["tags"]), tuple(data["always"]),
            tuple(PhaseDef(p["id"], " ".join(p["name"].split()), tuple(p["tags"])) for p in data["phases"]))


class FitRuleSchema(Strict):
    id = fields.String(required=True, validate=ID)
    tags = fields.List(TAG, required=True, validate=validate.Length(min=1))
    all = fields.List(ConditionField(), load_default=list, validate=validate.Length(max=8))
    any = fields.List(ConditionField(), load_default=list, validate=validate.Length(max=16))
    triage_confirmed = fields.Boolean(load_default=False)
    why = fields.String(required=True, validate=ID)
    says = fields.String(required=True, validate=validate.Length(min=3, max=200), metadata=TEXT)
    sources = SourcesField(required=True)

    @validates_schema
    def _tests_something(self, data, **kwargs):
        if not (data.get("all") or data.get("any") or data.get("triage_confirmed")):
            raise ValidationError("a fit rule needs conditions (all, any) or triage_confirmed", "all")
        for cond in (data.get("all") or []) + (data.get("any") or []):
            if not cond.on_fact:
                raise ValidationError(f"'{cond.text}': a fit rule reads the patient's facts only", "all")


class DoseEntrySchema(Strict):
    item = fields.String(validate=ID)
    tag = fields.String(validate=ID)
    dose = fields.Raw(required=True)  # read by the ruleset's DoseSchema (the item's), with these sources
    sources = SourcesField(required=True)

    @validates_schema
    def _one_key(self, data, **kwargs):
        if ("item" in data) == ("tag" in data):
            raise ValidationError("a dose entry names either an item or a tag", "item")


def dose_entry(data: dict, ruleset: str) -> DoseEntry:
    """A validated dose entry as a DoseEntry: its figures are the product's default starting dose."""
    from decision_core.catalogue.schema import DoseSchema  # the item dose's own schema: the same figures, checked alike

    raw = data["dose"]
    if not isinstance(raw, dict):
        raise ValidationError({"dose": ["a dose is a mapping of figures (sets, reps, hold_seconds, ...)"]})
    if "sources" in raw:
        raise ValidationError({"dose": ["the entry's sources cite its figures: no sources inside the dose"]})
    dose = DoseSchema().load({**raw, "sources": [_citation_dict(c) for c in data["sources"]]})
    if not dose.given():
        raise ValidationError({"dose": ["a starting dose gives at least one figure"]})
    if dose.detail:
        raise ValidationError({"dose": ["a starting dose gives figures only; the item's detail stays the source's"]})
    basis = {name: "default" for name in dose.given()}
    return DoseEntry(data.get("item"), data.get("tag"), Dose(**{n: getattr(dose, n) for n in dose.given()},
                                                             basis=basis, citations=dose.citations), ruleset)


def _citation_dict(c: Citation) -> dict:
    return {"source": c.source, "quote": c.quote} if c.quote else {"source": c.source}


__all__ = ["PhaseDef", "ProgrammeSettings", "FitRule", "DoseEntry", "ProgrammePart", "ProgrammeRules",
           "PhaseSchema", "ProgrammeSettingsSchema", "FitRuleSchema", "DoseEntrySchema", "dose_entry"]
