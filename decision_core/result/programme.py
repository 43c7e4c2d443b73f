"""The patient's programme in a result (``Result.programme``): the few dosed items chosen from the
recommendations, in phases, with the everyday changes, the length, the review and the alternatives.

Each item names an entry of ``Result.recommendations`` by its id (its name, steps, stop rule and
citations are there); the programme adds what was chosen, in which phase, and the dose to give.
Chosen by :mod:`decision_core.evaluation.prescription`.

Plain dataclasses (no slots), declared as :mod:`decision_core.result.shape` reads them: each one's
dictionary form is its fields in order, so orjson writes them natively, from their ``__dict__``
(:mod:`decision_core.result.json_writer`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from decision_core.catalogue.dose import Dose
from decision_core.result.shape import declared

RECOMMENDATION_ID = {"description": "The id of an entry of recommendations."}


@declared
@dataclass
class ProgrammeItem:
    """One chosen item: a recommendation's id and the dose to give (figures with their basis)."""

    id: str = field(metadata=RECOMMENDATION_ID)
    dose: dict[str, Any] = field(metadata={"shape": Dose, "absent": dict, "description": (
        "The dose to give: for an exercise, always sets, an amount (reps, a hold or a time) and how often; basis "
        "says where each figure came from.")})
    starting_dose: bool = field(default=False, metadata={"description": (
        "Some figure is the product's default starting dose: the practitioner may change it.")})

    def dose_value(self) -> Dose:
        return Dose.from_dict(self.dose)


@declared
@dataclass
class Phase:
    """A phase of the programme ("start with", "when that is easy"), with its items in order."""

    SCHEMA_NAME: ClassVar[str] = "ProgrammePhase"

    id: str = field(metadata={"description": "A phase the programme ruleset declares."})
    name: str = field(metadata={"description": "Its name for people (\"Start with\")."})
    items: list[ProgrammeItem] = field(default_factory=list)


@declared
@dataclass
class Alternative:
    """An allowed item that was not chosen, and why (a code: same_job, limit, fit_running, ...)."""

    id: str = field(metadata=RECOMMENDATION_ID)
    why: str = field(metadata={"description": (
        "Why it was not chosen, a code: same_job | limit | on_hold | no_dose | needs_start | not_in_programme | "
        "swapped_out, or a fit rule's code (fit_running, fit_sport, fit_pain_free, fit_red_flags_open, ...: "
        "GET /v1/rulesets).")})


@declared
@dataclass
class Programme:
    on_hold: bool = field(metadata={"description": "As programme_on_hold: while it is on hold the phases are empty."})
    phases: list[Phase] = field(metadata={
        "description": "The exercises, in order of phases (a phase with no items is left out)."})
    lifestyle: list[ProgrammeItem] = field(metadata={
        "description": "Everyday changes, and the self-care and referrals the patient does."})
    weeks: int = field(metadata={"description": "How long the programme runs."})
    review_in_weeks: int = field(metadata={"description": "When it is reviewed: the report's date plus this many weeks."})
    alternatives: list[Alternative] = field(default_factory=list, metadata={
        "description": "The allowed items (recommendations) that were not chosen, each with why."})

    @property
    def exercise_ids(self) -> list[str]:
        return [i.id for p in self.phases for i in p.items]

    @property
    def chosen_ids(self) -> list[str]:
        return self.exercise_ids + [i.id for i in self.lifestyle]
