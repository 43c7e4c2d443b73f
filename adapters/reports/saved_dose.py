"""A result's dose as a ``Dose``, also for results saved before doses were
structured (a stored report behind a CDS link, a result posted back for a
report). Those carry strings ({'reps': '10-12', 'hold': '5 s', 'duration':
'30-60 s per area', 'frequency': 'twice a week'}): the figures are read where
the strings are figures, and the words are kept in the dose's detail, so
nothing the old dose said is lost.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Mapping

from decision_core.catalogue.dose import Dose, DoseError, Frequency, amount, frequency

log = logging.getLogger(__name__)

_SECONDS = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?(?:\s*[-\u2013]\s*\d+(?:\.\d+)?)?)\s*"
                      r"(?P<unit>s|sec|secs|seconds?|min|mins|minutes?)\s*(?P<rest>.*)$", re.IGNORECASE)
_WORDS = {"every day": "daily", "once a day": "daily", "once daily": "daily", "twice a day": "twice daily",
          "twice a week": "twice weekly", "once a week": "weekly"}
_TIMES = re.compile(r"^(?P<n>\d+|once|twice|three|four)\s*(?:x|times)?\s*(?:a|per|each)\s*(?P<per>day|week)$")
_NUMBERS = {"once": 1, "twice": 2, "three": 3, "four": 4}


def read_dose(data: Any, basis: str = "source") -> Dose:
    """A result's dose (its dictionary form, or an old string dose) as a Dose; ``basis`` marks the figures
    that do not say where they came from."""
    if isinstance(data, Dose):
        return data
    if not isinstance(data, Mapping):
        return Dose()
    try:
        return Dose.from_dict(data, basis=basis)
    except DoseError:
        return _old(data, basis)


def _frequency(text: str) -> Frequency | None:
    words = " ".join(text.lower().split())
    words = _WORDS.get(words, words)
    try:
        return frequency(words)
    except DoseError:
        match = _TIMES.match(words)
        return Frequency(_NUMBERS.get(match["n"]) or int(match["n"]), match["per"]) if match else None


def _seconds(text: str) -> tuple[Any, str] | None:
    """'5 s' -> (5, ''); '30-60 s per area' -> ((30, 60), 'per area'); '20 minutes at a time' -> (1200, 'at a time')."""
    match = _SECONDS.match(text)
    if not match:
        return None
    value = amount(match["n"].replace(" ", ""), "seconds")
    if match["unit"].lower().startswith("m"):
        value = tuple(v * 60 for v in value) if isinstance(value, tuple) else value * 60
    return value, match["rest"].strip()


def _old(data: Mapping[str, Any], basis: str) -> Dose:
    """An old string dose: figures where the strings are figures, the rest (and any qualified figure) as words."""
    values: dict[str, Any] = {}
    words: list[str] = []
    for key, raw in data.items():
        if raw in (None, "", [], {}):
            continue
        text = str(raw).strip()
        try:
            if key in ("sets", "reps"):
                values[key] = amount(raw, key)
            elif key in ("hold", "hold_seconds", "duration", "duration_seconds"):
                parsed = _seconds(text) if isinstance(raw, str) else (amount(raw, key), "")
                if parsed is not None:
                    values["hold_seconds" if key.startswith("hold") else "duration_seconds"] = parsed[0]
                if parsed is None or parsed[1]:
                    words.append(text)
            elif key == "frequency":
                freq = _frequency(text) if isinstance(raw, str) else frequency(raw)
                if freq is None:
                    words.append(text)
                else:
                    values[key] = freq.to_dict()
            elif key in ("weeks", "per_side"):
                values[key] = raw
            elif key not in ("basis", "citations"):
                words.append(text)
        except DoseError:
            words.append(text)
    try:
        dose = Dose.from_dict(values, basis=basis)
    except DoseError as exc:
        log.warning("a saved dose's figures are kept as words (%s)", exc)
        dose, words = Dose(), [str(v) for v in data.values() if v not in (None, "")]
    return Dose.from_dict({**dose.to_dict(), "detail": "; ".join(words)}) if words else dose
