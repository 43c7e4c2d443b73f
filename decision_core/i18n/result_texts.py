"""A typed result, translated: which of its strings are text for a person, and how each is translated.

The text fields are the ones the ruleset schemas declare (``metadata=TEXT`` in
:mod:`decision_core.catalogue.schema`, ``translate`` in :mod:`decision_core.catalogue.sources`):
a result field of the same name holds that text, whatever class it is on, so a
field another module adds (a recommendation's ``steps``, a dose's ``detail``) is
translated as soon as its ruleset field is declared. A few strings are composed
by the core (why an item was withheld, why a question is asked): the result
carries them as phrases (codes with ids), and they are said again from those by
:mod:`decision_core.presentation.phrases`, naming what they are about. Ids, fact
names and values, citations (verbatim quotes of English sources), numbers and the
engine's bookkeeping are never touched.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator

from marshmallow import Schema
from marshmallow import fields as mfields

from decision_core.presentation.phrases import N_, PYTHON_FRAMES, PeopleNames, render, render_all
from decision_core.result.model import DISCLAIMER

log = logging.getLogger(__name__)
PYTHON_MESSAGES = PYTHON_FRAMES + (DISCLAIMER,)  # the composed phrases' frames, and the disclaimer


def has_words(text: str) -> bool:
    """Whether a text has anything to translate (``"15"`` or ``"2-3"`` has not)."""
    return any(ch.isalpha() for ch in text)


def text_schemas() -> tuple[type[Schema], ...]:
    """The ruleset schemas whose fields may be declared text: each section's, and those nested in them."""
    from decision_core.catalogue import schema as rs
    from decision_core.catalogue.programme_rules import FitRuleSchema, ProgrammeSettingsSchema
    from decision_core.catalogue.sources import SourceEntrySchema

    found: list[type[Schema]] = []
    todo = [rs.RuleSchema, rs.FactSchema, rs.CauseEntrySchema, rs.LevelSchema, rs.PolicyLineSchema,
            rs.RecommendationEntrySchema, rs.AvoidEntrySchema, SourceEntrySchema, ProgrammeSettingsSchema,
            FitRuleSchema]
    while todo:
        schema = todo.pop(0)
        if schema not in found:
            found.append(schema)
            todo.extend(n for n in map(nested_schema, schema._declared_fields.values()) if n is not None)
    return tuple(found)


def is_text(field: mfields.Field) -> bool:
    """Whether a schema field is declared patient-facing text (a string, or a list of strings)."""
    if field.metadata.get("translate"):
        return True
    return isinstance(field, mfields.List) and bool(field.inner.metadata.get("translate"))


def nested_schema(field: mfields.Field) -> type[Schema] | None:
    if isinstance(field, mfields.Nested):
        schema = field.nested
        return schema if isinstance(schema, type) else type(schema)
    if isinstance(field, mfields.List) and isinstance(field.inner, mfields.Nested):
        return nested_schema(field.inner)
    return None


@lru_cache(maxsize=1)
def text_field_names() -> tuple[frozenset[str], frozenset[str]]:
    """(names of text fields, names of nested sections that hold text fields such as ``dose``)."""
    texts: set[str] = set()
    containers: set[str] = set()
    for schema in text_schemas():
        for name, field in schema._declared_fields.items():
            if is_text(field):
                texts.add(field.data_key or name)
            inner = nested_schema(field)
            if inner is not None and any(is_text(f) for f in inner._declared_fields.values()):
                containers.add(field.data_key or name)
    return frozenset(texts), frozenset(containers)


# Never walked into: the patient's answers, citations (verbatim quotes) and the rulesets used.
NOT_WALKED = frozenset({"facts", "citations", "rulesets", "fired_rules", "sources", "tags", "for_causes"})


# (class name, field) -> how a composed string is said to a person: rendered from its phrases
# (decision_core.presentation.phrases), never parsed back out of the English
def _withheld_reason(obj, names) -> str:
    return render(obj.reason_code or saved_withheld_code(obj), names)


def _question_why(obj, names) -> str:
    return render_all(obj.why_codes, names)  # a question saved before its phrases: no why (never its ids)


def _because(obj, names) -> str:
    return render(obj.because_code, names) if obj.because_code else names.gettext(obj.because)


_COMPOSED: dict[tuple[str, str], Callable[[Any, PeopleNames], str]] = {
    ("Withheld", "reason"): _withheld_reason,
    ("Question", "why"): _question_why,
    ("Reason", "because"): _because,
    ("Alternative", "why"): lambda obj, names: obj.why,  # a code (same_job, limit...), not words
}


def saved_withheld_code(withheld) -> dict[str, Any] | None:
    """The phrase of a withheld item saved before results carried it, from what withheld it (``policy``)."""
    from decision_core.presentation import phrases

    policy = withheld.policy or ""
    if policy.startswith("avoid."):
        return phrases.withheld_by_avoid(policy[len("avoid."):])
    if policy.endswith(".not_with_causes"):
        return None  # which causes is not kept: said without them
    return phrases.withheld_by_policy(policy) if policy else None


def _text(value: Any, gettext) -> Any:
    if isinstance(value, str):
        return gettext(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [gettext(v) for v in value]
    return value


def _walk(obj: Any, names: PeopleNames, texts: frozenset[str], containers: frozenset[str]) -> None:
    """Translate a dataclass in place (a copy: see translate_result)."""
    gettext = names.gettext
    kind = type(obj).__name__
    for f in fields(obj):
        name = f.name
        if name in NOT_WALKED:
            continue
        value = getattr(obj, name)
        if value is None:
            continue
        composed = _COMPOSED.get((kind, name))
        if composed is not None and isinstance(value, str):
            new = composed(obj, names)
        elif name in texts:
            new = _text(value, gettext)
        elif is_dataclass(value):
            _walk(value, names, texts, containers)
            continue
        elif isinstance(value, list):
            for item in value:
                if is_dataclass(item):
                    _walk(item, names, texts, containers)
            continue
        elif isinstance(value, dict) and name in containers:
            new = {k: _text(v, gettext) if k in texts else v for k, v in value.items()}
        else:
            continue
        object.__setattr__(obj, name, new)  # also through frozen dataclasses: every object here is a copy


def translate_result(result, translator, catalogue: Any = None):
    """A copy of ``result`` in the translator's language for a person: its texts translated, and what the core
    composed (why a question, why withheld) said from its phrases, naming causes and levels by their names
    (``catalogue``'s, else the result's own), never by id. The result itself is left as it is."""
    if catalogue is None:  # the process default's (the installation that evaluated it, as a rule)
        from decision_core.installation import catalogue_or_none

        catalogue = catalogue_or_none(None, log, "cause and level names")
    out = copy.deepcopy(result)
    texts, containers = text_field_names()
    _walk(out, PeopleNames(catalogue, translator.gettext, result), texts, containers)
    out.disclaimer = translator.gettext(result.disclaimer)
    return out


def result_texts(result) -> Iterator[tuple[str, str]]:
    """(path, text) of every declared text field of a result (composed strings left out), e.g.
    ``("causes[0].why", "...")``: what a translation must have changed."""
    texts, containers = text_field_names()

    def walk(obj, path):
        kind = type(obj).__name__
        for f in fields(obj):
            name, value = f.name, getattr(obj, f.name)
            if name in NOT_WALKED or value is None or (kind, name) in _COMPOSED:
                continue
            here = f"{path}.{name}" if path else name
            if name in texts:
                if isinstance(value, str) and has_words(value):
                    yield here, value
                elif isinstance(value, list):
                    yield from ((f"{here}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str) and has_words(v))
            elif is_dataclass(value):
                yield from walk(value, here)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if is_dataclass(item):
                        yield from walk(item, f"{here}[{i}]")
            elif isinstance(value, dict) and name in containers:
                yield from ((f"{here}.{k}", v) for k, v in value.items()
                            if k in texts and isinstance(v, str) and has_words(v))

    yield from walk(result, "")


__all__ = ["translate_result", "result_texts", "has_words", "text_field_names", "text_schemas", "is_text", "N_",
           "PYTHON_MESSAGES"]
