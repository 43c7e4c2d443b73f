"""A typed result, translated: which of its strings are text for a person, and how each is translated.

The text fields are the ones the ruleset schemas declare (``metadata=TEXT`` in
:mod:`decision_core.catalogue.schema`, ``translate`` in :mod:`decision_core.catalogue.sources`):
a result field of the same name holds that text, whatever class it is on, so a
field another module adds (a recommendation's ``steps``, a dose's ``detail``) is
translated as soon as its ruleset field is declared. A few strings are composed
in Python from ruleset text and ids (why an item was withheld, why a question is
asked); their frames are Python messages here, and only their text parts are
translated. Ids, fact names and values, citations (verbatim quotes of English
sources), numbers and the engine's bookkeeping are never touched.
"""
from __future__ import annotations

import copy
import re
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator

from marshmallow import Schema
from marshmallow import fields as mfields

from decision_core.result.model import DISCLAIMER


def N_(text: str) -> str:
    """Marks a Python string for extraction (``decision-core translations extract``); translated later."""
    return text


# Frames of the strings the core composes (decision_core.evaluation.programme, .questions, .catalogue).
WITHHELD_BY_POLICY = N_("withheld by the safety policy: {says}")
WITHHELD_BY_AVOID = N_("withheld: it would go against '{name}', which you should avoid")
WITHHELD_BY_CAUSE = N_("withheld because of {names} ({ids}): it would work against that cause")
WHY_RAISE = N_("could raise the triage to {level}")
WHY_CONFIRM = N_("would help confirm or rule out {causes}")
RECOMMENDED_FOR = N_("recommended for {cause}")
PYTHON_MESSAGES = (WITHHELD_BY_POLICY, WITHHELD_BY_AVOID, WITHHELD_BY_CAUSE, WHY_RAISE, WHY_CONFIRM,
                   RECOMMENDED_FOR, DISCLAIMER)

_WITHHELD = (
    (re.compile(r"withheld by the safety policy: (?P<says>.*)", re.S), WITHHELD_BY_POLICY),
    (re.compile(r"withheld: it would go against '(?P<name>.*)', which you should avoid", re.S), WITHHELD_BY_AVOID),
    (re.compile(r"withheld because of (?P<names>.*) \((?P<ids>[a-z0-9_, ]*)\): it would work against that cause",
                re.S), WITHHELD_BY_CAUSE),
)
_WHY = (
    (re.compile(r"could raise the triage to (?P<level>[a-z0-9_]+)"), WHY_RAISE),
    (re.compile(r"would help confirm or rule out (?P<causes>[a-z0-9_, ]+)"), WHY_CONFIRM),
)
_RECOMMENDED_FOR = re.compile(r"recommended for (?P<cause>[a-z0-9_]+)")
_IDS = ("ids", "level", "causes", "cause")  # placeholders that hold ids: never translated


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


def _frame(text: str, patterns, gettext: Callable[[str], str]) -> str:
    for pattern, frame in patterns:
        m = pattern.fullmatch(text)
        if m:
            parts = {k: (v if k in _IDS else ", ".join(gettext(p) for p in v.split(", ")) if k == "names"
                         else gettext(v)) for k, v in m.groupdict().items()}
            return gettext(frame).format(**parts)
    return gettext(text)


def _withheld_reason(text: str, gettext) -> str:
    return _frame(text, _WITHHELD, gettext)


def _question_why(text: str, gettext) -> str:
    return "; ".join(_frame(part, _WHY, gettext) for part in text.split("; ")) if text else text


def _because(text: str, gettext) -> str:
    return _frame(text, ((_RECOMMENDED_FOR, RECOMMENDED_FOR),), gettext)


# (class name, field) -> how a composed string is translated
_COMPOSED: dict[tuple[str, str], Callable[[str, Callable[[str], str]], str]] = {
    ("Withheld", "reason"): _withheld_reason,
    ("Question", "why"): _question_why,
    ("Reason", "because"): _because,
    ("Alternative", "why"): lambda code, gettext: code,  # a code (same_job, limit...), not words
}


def _text(value: Any, gettext) -> Any:
    if isinstance(value, str):
        return gettext(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [gettext(v) for v in value]
    return value


def _walk(obj: Any, gettext, texts: frozenset[str], containers: frozenset[str]) -> None:
    """Translate a dataclass in place (a copy: see translate_result)."""
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
            new = composed(value, gettext)
        elif name in texts:
            new = _text(value, gettext)
        elif is_dataclass(value):
            _walk(value, gettext, texts, containers)
            continue
        elif isinstance(value, list):
            for item in value:
                if is_dataclass(item):
                    _walk(item, gettext, texts, containers)
            continue
        elif isinstance(value, dict) and name in containers:
            new = {k: _text(v, gettext) if k in texts else v for k, v in value.items()}
        else:
            continue
        object.__setattr__(obj, name, new)  # also through frozen dataclasses: every object here is a copy


def translate_result(result, translator):
    """A translated copy of ``result``; the result itself is left as it is."""
    out = copy.deepcopy(result)
    texts, containers = text_field_names()
    _walk(out, translator.gettext, texts, containers)
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
