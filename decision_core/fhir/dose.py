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

The dose is the report view's resolved one (source, clinic default, per-report
override; old string doses read by ``saved_dose.read_dose``).
"""
from __future__ import annotations

from typing import Any

from decision_core.catalogue.dose import Dose, frequency_text

from decision_core.fhir.codes import EXERCISE_DOSE_EXTENSION, amount, quantity

PERIOD_UNITS = {"day": "d", "week": "wk"}


def timing(dose: Dose) -> dict[str, Any] | None:
    """The dose's Timing: repeat.frequency/period/periodUnit, boundsDuration in weeks, duration in seconds."""
    repeat: dict[str, Any] = {}
    if dose.frequency is not None:
        repeat.update(frequency=dose.frequency.times, period=1, periodUnit=PERIOD_UNITS[dose.frequency.per])
    if dose.weeks is not None:
        repeat["boundsDuration"] = quantity(dose.weeks, "wk")
    if dose.duration_seconds is not None:
        low, high = dose.duration_seconds if isinstance(dose.duration_seconds, tuple) else (dose.duration_seconds, None)
        repeat.update(duration=low, durationUnit="s")
        if high is not None:
            repeat["durationMax"] = high
    if not repeat:
        return None
    out: dict[str, Any] = {"repeat": repeat}
    if dose.frequency is not None:
        out["code"] = {"text": frequency_text(dose.frequency)}
    return out


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


__all__ = ["timing", "dose_extension"]
