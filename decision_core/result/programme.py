"""The patient's programme in a result (``Result.programme``): the few dosed items chosen from the
recommendations, in phases, with the everyday changes, the length, the review and the alternatives.

Each item names an entry of ``Result.recommendations`` by its id (its name, steps, stop rule and
citations are there); the programme adds what was chosen, in which phase, and the dose to give.
Chosen by :mod:`decision_core.evaluation.prescription`.

Plain dataclasses (no slots), each one's dictionary form its fields in order: orjson writes them
natively, from their ``__dict__`` (:mod:`decision_core.result.json_writer`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from decision_core.catalogue.dose import Dose


@dataclass
class ProgrammeItem:
    """One chosen item: a recommendation's id and the dose to give (figures with their basis)."""

    id: str
    dose: dict[str, Any]
    starting_dose: bool = False  # some figure is the product's default starting dose (basis default)

    def dose_value(self) -> Dose:
        return Dose.from_dict(self.dose)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "dose": self.dose, "starting_dose": self.starting_dose}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ProgrammeItem":
        return cls(d["id"], dict(d.get("dose") or {}), bool(d.get("starting_dose", False)))


@dataclass
class Phase:
    """A phase of the programme ("start with", "when that is easy"), with its items in order."""

    id: str
    name: str
    items: list[ProgrammeItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "items": [i.to_dict() for i in self.items]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Phase":
        return cls(d["id"], d["name"], [ProgrammeItem.from_dict(i) for i in d.get("items", ())])


@dataclass
class Alternative:
    """An allowed item that was not chosen, and why (a code: same_job, limit, fit_running, ...)."""

    id: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "why": self.why}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Alternative":
        return cls(d["id"], d["why"])


@dataclass
class Programme:
    on_hold: bool  # as Result.programme_on_hold: the phases are empty while it is on hold
    phases: list[Phase]
    lifestyle: list[ProgrammeItem]  # everyday changes, and the self-care and referrals the patient does
    weeks: int
    review_in_weeks: int
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def exercise_ids(self) -> list[str]:
        return [i.id for p in self.phases for i in p.items]

    @property
    def chosen_ids(self) -> list[str]:
        return self.exercise_ids + [i.id for i in self.lifestyle]

    def to_dict(self) -> dict[str, Any]:
        return {"on_hold": self.on_hold, "phases": [p.to_dict() for p in self.phases],
                "lifestyle": [i.to_dict() for i in self.lifestyle], "weeks": self.weeks,
                "review_in_weeks": self.review_in_weeks, "alternatives": [a.to_dict() for a in self.alternatives]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "Programme | None":
        if d is None:
            return None
        return cls(bool(d["on_hold"]), [Phase.from_dict(p) for p in d["phases"]],
                   [ProgrammeItem.from_dict(i) for i in d["lifestyle"]], d["weeks"], d["review_in_weeks"],
                   [Alternative.from_dict(a) for a in d.get("alternatives", ())])
