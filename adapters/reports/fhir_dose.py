"""An exercise's dose in FHIR R4: a structured Timing and typed figures.

R4 has no element for "3 sets of 10-12 repetitions, holding 5 s, each side".
The representation chosen, for an EHR to read as much as it can from core
elements:

* **how often and for how long**: ``Timing.repeat`` (core, understood by every
  EHR): ``frequency`` + ``period`` + ``periodUnit`` from the dose's
  ``Frequency(times, per day|week)``, ``boundsDuration`` (UCUM ``wk``) from its
  weeks, and ``duration``/``durationMax`` + ``durationUnit`` ``s`` for a timed
  exercise (``duration_seconds``: "30-60 s"). The frequency's words are
  ``Timing.code.text``. This Timing is the exercise ServiceRequest's
  ``occurrenceTiming`` and the RequestGroup action's ``timingTiming``.
* **how much each session**: ``ServiceRequest.quantity[x]`` holds one amount per
  request, and a Dosage (``doseAndRate``, ``maxDosePerPeriod``) exists only on
  medication resources, so neither can carry sets *and* repetitions *and* a hold
  without misreading one as another. The per-session figures therefore go in one
  complex extension (``EXERCISE_DOSE_EXTENSION``) whose parts are typed, never
  text: ``sets`` and ``repetitions`` as ``valueQuantity`` (UCUM annotations
  ``{sets}``, ``{repetitions}``) or ``valueRange`` for a range, ``hold`` as
  ``valueDuration`` (``s``) or ``valueRange``, ``perSide`` as ``valueBoolean``.
  The whole dose in words is the ServiceRequest's ``patientInstruction``, for a
  system that ignores the extension.

Doses are read with ``Dose.from_dict``. Results made before the rulesets had
structured doses carry strings ({'reps': '15', 'hold': '5 s', 'frequency':
'daily'}); ``read_dose`` reads what it can of those and keeps the rest as text.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from decision_core.dose import Dose, DoseError, Frequency, amount as dose_amount, figure_texts
from decision_core.dose import frequency as dose_frequency

from .fhir_codes import EXERCISE_DOSE_EXTENSION, amount, quantity

log = logging.getLogger(__name__)

PERIOD_UNITS = {"day": "d", "week": "wk"}
_FIGURE_OF = {"hold": "hold_seconds", "duration": "duration_seconds"}
_SECONDS = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?(?:\s*[-\u2013]\s*\d+(?:\.\d+)?)?)\s*(?P<unit>s|sec|secs|seconds?|min|mins|minutes?)"
                      r"\s*(?P<rest>.*)$", re.IGNORECASE)
_LEGACY_WORDS = {"every day": "daily", "once a day": "daily", "once daily": "daily", "twice a day": "twice daily",
                 "twice a week": "twice weekly", "once a week": "weekly"}
_LEGACY_TIMES = re.compile(r"^(?P<n>\d+|once|twice|three|four)\s*(?:x|times)?\s*(?:a|per|each)\s*(?P<per>day|week)$")
_WORD_NUMBERS = {"once": 1, "twice": 2, "three": 3, "four": 4}


@dataclass
class ReadDose:
    """A dose as structured figures, plus the parts an old string dose had that are not figures."""

    dose: Dose
    texts: dict[str, str] = field(default_factory=dict)  # field -> words ('frequency': 'before every run')

    @property
    def words(self) -> str:
        """The whole dose in one phrase (the structured figures, then the words)."""
        figures = figure_texts(self.dose)
        for key, text in self.texts.items():  # an old dose's own words replace the figure read from them
            if key != "detail":
                figures[_FIGURE_OF.get(key, key)] = text
        return ", ".join(p for p in figures.values() if p)


def _legacy_frequency(text: str) -> Frequency | None:
    words = " ".join(text.lower().split())
    words = _LEGACY_WORDS.get(words, words)
    try:
        return dose_frequency(words)
    except DoseError:
        pass
    m = _LEGACY_TIMES.match(words)
    if m:
        times = _WORD_NUMBERS.get(m["n"]) or int(m["n"])
        return Frequency(times, m["per"])
    return None


def _seconds(text: str) -> tuple[Any, str] | None:
    """'5 s' -> (5, ''); '30-60 s per area' -> ((30, 60), 'per area'); '20 minutes at a time' -> (1200, 'at a time')."""
    m = _SECONDS.match(text)
    if not m:
        return None
    value = dose_amount(m["n"].replace(" ", ""), "seconds")
    if m["unit"].lower().startswith("m"):
        value = tuple(v * 60 for v in value) if isinstance(value, tuple) else value * 60
    return value, m["rest"].strip()


def _legacy(data: Mapping[str, Any]) -> ReadDose:
    """An old string dose: figures where the strings are figures, words for the rest."""
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for key, raw in data.items():
        if raw in (None, "", [], {}):
            continue
        text = str(raw).strip()
        try:
            if key in ("sets", "reps"):
                values[key] = dose_amount(raw, key)
            elif key in ("hold", "hold_seconds", "duration", "duration_seconds"):
                parsed = _seconds(text) if isinstance(raw, str) else (dose_amount(raw, key), "")
                if parsed is None:
                    texts[key] = text
                    continue
                values["hold_seconds" if key.startswith("hold") else "duration_seconds"] = parsed[0]
                if parsed[1]:
                    texts[key] = text
            elif key == "frequency":
                freq = _legacy_frequency(text) if isinstance(raw, str) else dose_frequency(raw)
                if freq is None:
                    texts[key] = text
                else:
                    values[key] = freq
            elif key in ("weeks", "per_side"):
                values[key] = raw
            else:
                texts[key] = text
        except DoseError:
            texts[key] = text
    try:
        dose = Dose.from_dict({k: v.to_dict() if isinstance(v, Frequency) else v for k, v in values.items()})
    except DoseError as exc:
        log.warning("dose %r: figures left as words (%s)", dict(data), exc)
        dose, texts = Dose(), {k: str(v) for k, v in data.items() if v not in (None, "")}
    return ReadDose(dose, texts)


def read_dose(data: Any) -> ReadDose:
    """A result's dose (a Dose, its dict, or an old string dose) as structured figures."""
    if isinstance(data, Dose):
        return ReadDose(data, {"detail": data.detail} if data.detail else {})
    if not isinstance(data, Mapping):
        return ReadDose(Dose())
    try:
        dose = Dose.from_dict(data)
        return ReadDose(dose, {"detail": dose.detail} if dose.detail else {})
    except DoseError:
        return _legacy(data)


def timing(read: ReadDose) -> dict[str, Any] | None:
    """The dose's Timing: repeat.frequency/period/periodUnit, boundsDuration in weeks, duration in seconds."""
    dose = read.dose
    repeat: dict[str, Any] = {}
    words = []
    if dose.frequency is not None:
        repeat.update(frequency=dose.frequency.times, period=1, periodUnit=PERIOD_UNITS[dose.frequency.per])
    if "frequency" in read.texts:
        words.append(read.texts["frequency"])
    if dose.weeks is not None:
        repeat["boundsDuration"] = quantity(dose.weeks, "wk")
    if dose.duration_seconds is not None:
        low, high = dose.duration_seconds if isinstance(dose.duration_seconds, tuple) else (dose.duration_seconds, None)
        repeat.update(duration=low, durationUnit="s")
        if high is not None:
            repeat["durationMax"] = high
    if not repeat and not words:
        return None
    out: dict[str, Any] = {}
    if repeat:
        out["repeat"] = repeat
    text = ", ".join(words) or (_frequency_words(dose) if dose.frequency else "")
    if text:
        out["code"] = {"text": text}
    return out


def _frequency_words(dose: Dose) -> str:
    from decision_core.dose import frequency_text

    return frequency_text(dose.frequency)


def dose_extension(dose: Dose) -> dict[str, Any] | None:
    """The per-session figures as one complex extension of typed parts (Quantity, Range, Duration, boolean)."""
    parts = []
    for name, value, unit, code in (("sets", dose.sets, "sets", "{sets}"),
                                    ("repetitions", dose.reps, "repetitions", "{repetitions}"),
                                    ("hold", dose.hold_seconds, "s", "s")):
        if value is None:
            continue
        kind, typed = amount(value, unit, code)
        if name == "hold" and kind == "Quantity":
            kind = "Duration"
        parts.append({"url": name, f"value{kind}": typed})
    if dose.per_side is not None:
        parts.append({"url": "perSide", "valueBoolean": dose.per_side})
    return {"url": EXERCISE_DOSE_EXTENSION, "extension": parts} if parts else None


__all__ = ["ReadDose", "read_dose", "timing", "dose_extension"]
