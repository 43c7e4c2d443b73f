"""The marshmallow schema of a result, generated from the result classes' declaration
(:mod:`.shape`): one schema per class, named after it (``TriageSchema``...), with its fields in the
order of the dictionary form. The HTTP adapter shows it in the OpenAPI document and the tests check
results against it; it cannot disagree with ``to_dict()``, since both are read from the same fields.

A key is required when it is always written (no ``omit``); ``None`` is allowed where the type hint
allows it and the key is written while None; ``description`` and ``enum`` come from the field's
metadata; a ``dict`` field with a ``shape`` is the nested schema of that class.
"""
from __future__ import annotations

import functools
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from decision_core.result.shape import Kind, Slot, declared_classes, slots_of

SCALAR_FIELDS = {str: fields.String, int: fields.Integer, float: fields.Float, bool: fields.Boolean}
# a dose figure: a number, or a range {low, high}
AMOUNT = {"oneOf": [{"type": "number"}, {"type": "object", "required": ["low", "high"],
                                          "properties": {"low": {"type": "number"}, "high": {"type": "number"}}}]}


class OpenSchema(Schema):
    """A response shape that may grow: new keys are additions, never breaking."""

    class Meta:
        unknown = INCLUDE


class AnyValue(fields.Raw):
    """Any JSON value (a fact's value: boolean, number, string or list)."""


class AmountValue(fields.Raw):
    """A dose figure: a number, or a range {low, high}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or (
                isinstance(value, dict) and set(value) == {"low", "high"}
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()))):
            raise ValidationError("a number, or a range {low, high}")
        return value


def schema_name(cls) -> str:
    return f"{getattr(cls, 'SCHEMA_NAME', cls.__name__)}Schema"


def _field(kind: Kind, enum=None, nullable_values: bool = True, **options: Any) -> fields.Field:
    if kind.nullable:
        options["allow_none"] = True
    if kind.tag == "scalar":
        if enum is not None:
            options["validate"] = validate.OneOf(enum)
        return SCALAR_FIELDS[kind.of](**options)
    if kind.tag == "any":
        return AnyValue(**options)
    if kind.tag == "amount":
        options["metadata"] = {**options.get("metadata", {}), **AMOUNT}
        return AmountValue(**options)
    if kind.tag == "declared":
        return fields.Nested(schema_for(kind.of), **options)
    if kind.tag == "list":
        return fields.List(_field(kind.of, enum), **options)
    values = kind.of if nullable_values else Kind(kind.of.tag, kind.of.of, False)
    return fields.Dict(keys=fields.String(), values=_field(values, enum), **options)


def field_for(slot: Slot) -> fields.Field:
    meta = slot.meta
    options: dict[str, Any] = {"required": True} if slot.always else {}
    if "description" in meta:
        options["metadata"] = {"description": meta["description"]}
    kind = slot.kind
    if slot.omit == "none" and kind.nullable:  # None is never written: the key is left out instead
        kind = Kind(kind.tag, kind.of, False)
    if slot.omit == "empty":
        kind = Kind(kind.tag, kind.of, False)
    if "shape" in meta:
        kind = Kind("declared", meta["shape"], kind.nullable)
    return _field(kind, meta.get("enum"), meta.get("nullable_values", True), **options)


@functools.cache
def schema_for(cls) -> type[Schema]:
    """The schema of ``cls``'s dictionary form (one class per declared class, made once)."""
    return OpenSchema.from_dict({slot.name: field_for(slot) for slot in slots_of(cls)}, name=schema_name(cls))


def result_schemas(root) -> dict[str, type[Schema]]:
    """The schemas of ``root`` and of every class it holds, by name."""
    return {schema_name(cls): schema_for(cls) for cls in declared_classes(root, shapes=True)}
