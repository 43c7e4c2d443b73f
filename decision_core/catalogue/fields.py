"""The building blocks of the ruleset schemas (:mod:`decision_core.catalogue.schema`): id patterns, a strict
schema base, and the fields that read citations, conditions and dose figures; and how a field's
validation messages become coded problems.
"""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.utils import missing

from decision_core.catalogue.citations import Citation
from decision_core.catalogue.conditions import ConditionSyntaxError, parse_condition, parse_conclusion
from decision_core.catalogue.dose import DoseError, amount as dose_amount, frequency as dose_frequency
from decision_core.catalogue.messages import dotted, walk

ID = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be lower_snake_case (letters, digits, _)")
RULE_ID = validate.Regexp(
    r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", error="must be dotted lower_snake_case, e.g. cause.short_name"
)
SOURCE = validate.Regexp(
    r"^([0-9]{3}|[a-z][a-z0-9_]*)$",
    error="must be a source id: a three-digit seed prefix such as \"000\", or a registered id such as policy",
)
VERSION = validate.Regexp(r"^\d+\.\d+\.\d+$", error="must be a version such as 1.0.0")
# Patient-facing text is declared here, once, as field metadata: ``metadata=TEXT`` marks a field (a string or
# a list of strings) translated through the gettext catalogues (decision_core.i18n.translations, whose extractor reads it).
# Everything else -- ids, conditions, tags, numbers, citations and their verbatim quotes -- is never translated.
TEXT = {"translate": True}


class CodedMessage(str):
    """A validation message that says which problem it is, where it is raised (``code``), so that no one
    has to tell problems apart by their English words. It reads as the plain message."""

    code: str

    def __new__(cls, text: str, code: str) -> "CodedMessage":
        out = super().__new__(cls, text)
        out.code = code
        return out


# A problem in a field called ``sources`` (in any section) is about what a rule or item rests on.
SOURCES_FIELD = "sources"
MISSING_SOURCES, NO_SOURCES = "missing_sources", "no_sources"


def field_problems(messages: Any) -> list[tuple[str, str, str]]:
    """marshmallow's nested errors as (dotted field path, message, problem code); '(file)': the whole
    document. The code is the one the message was raised with, else ``missing_sources`` for a sources
    field, else ``invalid_ruleset``."""
    out = []
    for path, message in walk(messages):
        code = getattr(message, "code", None)
        if code is None:
            code = MISSING_SOURCES if path and path[-1] == SOURCES_FIELD else "invalid_ruleset"
        out.append((dotted(path) or "(file)", str(message), code))
    return out


class Strict(Schema):
    class Meta:
        unknown = RAISE


class CitationField(fields.Field):
    """One citation: a source id (``"policy"``), or ``{source: "000", quote: "a few verbatim words"}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            source, quote = value, None
        elif isinstance(value, dict) and set(value) <= {"source", "quote"} and "source" in value:
            source, quote = value["source"], value.get("quote")
            if not isinstance(source, str):
                raise ValidationError("source must be a string such as \"000\"")
            if quote is not None and (not isinstance(quote, str) or not 3 <= len(quote.strip()) <= 400):
                raise ValidationError("quote must be a short verbatim passage (3 to 400 characters)")
        else:
            raise ValidationError('a citation is a source id or {source: "000", quote: "verbatim words"}')
        SOURCE(source)
        return Citation(source, quote.strip() if quote else None)


class SourcesField(fields.List):
    """What a rule or item rests on: one citation or more. Having none at all (absent or empty) is
    the ``no_sources`` problem, which lint explains to authors in its own words."""

    def __init__(self, **kwargs):
        super().__init__(CitationField(), validate=self._at_least_one, **kwargs)

    def _validate_missing(self, value):
        if value is missing and self.required:
            raise ValidationError(CodedMessage(self.error_messages["required"], NO_SOURCES))
        super()._validate_missing(value)

    @staticmethod
    def _at_least_one(value):
        if not value:
            raise ValidationError(CodedMessage("Shorter than minimum length 1.", NO_SOURCES))


class ConditionField(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_condition(value)
        except ConditionSyntaxError as exc:
            raise ValidationError(str(exc)) from exc


class ConclusionField(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_conclusion(value)
        except ConditionSyntaxError as exc:
            raise ValidationError(str(exc)) from exc


class AmountField(fields.Field):
    """A dose figure: a number, a range \"10-12\" or {low: 10, high: 12}."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return dose_amount(value, attr or "figure")
        except DoseError as exc:
            raise ValidationError(str(exc).split(": ", 1)[-1]) from exc


class FrequencyField(fields.Field):
    """How often: daily | weekly | N/day | N/week | twice a week | {times: 2, per: week}."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return dose_frequency(value)
        except DoseError as exc:
            raise ValidationError(str(exc).split(": ", 1)[-1]) from exc

