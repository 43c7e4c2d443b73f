"""An answer in words: 'yes', a choice's label ('Bottom and stomach pushed out'), a number, in the reader's
language. One place for every reader (the report, the card, the CLI summary): a value's id never reaches a
person."""
from __future__ import annotations

from typing import Any, Callable

from decision_core.presentation.phrases import N_, words_of

YES, NO, NONE = N_("yes"), N_("no"), N_("none")


def _same(text: str) -> str:
    return text


def yes_no(value: bool, gettext: Callable[[str], str] = _same) -> str:
    return gettext(YES if value else NO)


def value_text(value: Any, fact: Any = None, gettext: Callable[[str], str] = _same) -> str:
    """``value`` of ``fact`` (the catalogue's Fact, or None) in words: a choice by its label, translated."""
    if isinstance(value, bool):
        return yes_no(value, gettext)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v, fact, gettext) for v in value) if value else gettext(NONE)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        if fact is not None and value in getattr(fact, "values", ()):
            return gettext(fact.value_label(value))
        return words_of(value).lower() if "_" in value else value  # a free word, or a value no fact lists
    return str(value)


def fact_value(name: str, value: Any, catalogue: Any = None, gettext: Callable[[str], str] = _same) -> str:
    """An answer to the fact ``name`` in words (the catalogue's labels; without one, the value in words)."""
    fact = getattr(catalogue, "facts", {}).get(name) if catalogue is not None else None
    return value_text(value, fact, gettext)


def fact_label(name: str, catalogue: Any = None, gettext: Callable[[str], str] = _same) -> str:
    """A fact by its label ('Standing posture'), never its name."""
    fact = getattr(catalogue, "facts", {}).get(name) if catalogue is not None else None
    return gettext(fact.label) if fact is not None and fact.label else words_of(name)
