"""The intake boundary: a marshmallow schema built from the catalogue's facts.

Absent (or null) means unknown. Types are strict JSON types: ``"90"`` is not a
number and ``1`` is not ``true``, because the engine would compare them wrongly.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from decision_core.catalogue.loading import Catalogue, Fact
from decision_core.catalogue.messages import indexed, walk

# The code system of the intake facts in FHIR (Observation.code: code = the fact name). The CDS Hooks
# service reads Observations coded with it (its default), and the FHIR report writes the answers with it.
FACT_CODE_SYSTEM = "urn:hamstring-decision-core:intake-fact"

# A free word (an item of a 'list' fact, such as a sport): at most 40 characters, at least one of them
# visible, no control character. One rule for every way in: the REST facts, and the QuestionnaireResponse's
# valueString (adapters/http/interview.py shows the same pattern in its schema).
FREE_WORD_MAX = 40
FREE_WORD_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
FREE_WORD_ERROR = (f"Must be a word of at most {FREE_WORD_MAX} characters: at least one visible character, "
                   "no control characters.")

# Words, yes/no answers and whole numbers already validated, per catalogue:
# at most this many (name, answer) pairs are remembered.
MAX_REMEMBERED_ANSWERS = 4096


class InvalidFacts(ValueError):
    """The facts failed validation. ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items())))

    def to_dict(self) -> dict:
        return {"error": "invalid_facts", "message": "The facts are not valid.", "fields": self.errors}


class StrictBoolean(fields.Field):
    default_error_messages = {"invalid": "Not a boolean: must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        raise self.make_error("invalid")


class StrictNumber(fields.Field):
    default_error_messages = {
        "invalid": "Not a number.",
        "integer": "Not a whole number.",
        "finite": "Must be a finite number.",
    }

    def __init__(self, integer: bool = False, **kwargs):
        self.integer = integer
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.make_error("finite")
        if self.integer:
            if isinstance(value, float):
                if not value.is_integer():
                    raise self.make_error("integer")
                value = int(value)
            return value
        return value


class Word(fields.Field):
    default_error_messages = {"invalid": "Not a string."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


def _field_for(fact: Fact) -> fields.Field:
    kw: dict[str, Any] = {"allow_none": True, "metadata": {"description": fact.question}}
    if fact.type == "bool":
        return StrictBoolean(**kw)
    if fact.type in ("int", "number"):
        rng = validate.Range(min=fact.min, max=fact.max) if fact.min is not None or fact.max is not None else None
        return StrictNumber(integer=fact.type == "int", validate=rng, **kw)
    if fact.type == "choice":
        return Word(validate=validate.OneOf(fact.values), **kw)
    if fact.type == "choices":
        return fields.List(Word(validate=validate.OneOf(fact.values)), validate=validate.Length(max=fact.max_items), **kw)
    # free list of words: normalised to lower case so "Running" matches "running"
    word = Word(validate=[validate.Length(min=1, max=FREE_WORD_MAX),
                          validate.Regexp(FREE_WORD_PATTERN, error=FREE_WORD_ERROR)])
    return fields.List(word, validate=validate.Length(max=fact.max_items), **kw)


def build_intake_schema(catalogue: Catalogue) -> Schema:
    attrs = {name: _field_for(f) for name, f in catalogue.facts.items()}
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    cls = type("IntakeSchema", (Schema,), attrs)
    return cls()


class Intake:
    """Validates raw facts against one catalogue's vocabulary."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.schema = build_intake_schema(catalogue)
        self._free_lists = [n for n, f in catalogue.facts.items() if f.type == "list"]
        self._choices = [n for n, f in catalogue.facts.items() if f.type == "choices"]
        self._names = frozenset(catalogue.facts)
        self._fields = self.schema.fields
        self._accepted: set[tuple[str, type, Any]] = set()

    def _load(self, raw: Mapping) -> dict[str, Any]:
        """The schema's load, visiting only the fields sent.

        A case answers a handful of 40-odd questions and marshmallow's load visits
        every declared field; each field validates exactly as in ``schema.load``.
        (A cache of per-key-set schemas was tried: a miss costs ~0.3 ms to build
        one, the cache held ~100k objects and made gen-2 GC pauses of up to 0.2 s.)
        """
        data: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        accepted = self._accepted
        for name, value in raw.items():
            cls = value.__class__
            if cls is str or cls is bool or cls is int:
                # A word, a yes/no or a whole number the field accepted before is valid again, and is
                # itself: only the key and the answer are remembered, never a case.
                key = (name, cls, value)
                if key in accepted:
                    data[name] = value
                    continue
            else:
                key = None
            field = self._fields.get(name)
            if field is None:
                errors[name] = ["Unknown field."]
                continue
            try:
                data[name] = out = field.deserialize(value, name, raw)
            except ValidationError as exc:
                errors[name] = exc.messages
                continue
            if key is not None and out == value and out.__class__ is cls and len(accepted) < MAX_REMEMBERED_ANSWERS:
                accepted.add(key)
        if errors:
            raise ValidationError(errors)
        return data

    def validate(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise InvalidFacts({"_schema": ["The facts must be a JSON object of fact names to values."]})
        try:
            data = self._load(raw)
        except ValidationError as exc:
            raise InvalidFacts(_flatten(exc.messages)) from None
        facts = {k: v for k, v in data.items() if v is not None}
        for name in self._free_lists:
            if name in facts:
                facts[name] = sorted({w.strip().lower() for w in facts[name] if w.strip()})
        for name in self._choices:
            if name in facts:
                facts[name] = sorted(set(facts[name]))
        return facts


def _flatten(messages: Any) -> dict[str, list[str]]:
    """Messages by fact (``sports[0]``; ``_schema``: the whole case)."""
    out: dict[str, list[str]] = {}
    for path, message in walk(messages):
        if message == "Unknown field.":
            message = "Unknown field: not a fact of this catalogue."
        out.setdefault(indexed(path) or "_schema", []).append(message)
    return out
