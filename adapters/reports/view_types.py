"""The shapes of a report's view (see ``view``): what each part of a result looks like in words,
ready for the templates and the FHIR bundle."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from decision_core.catalogue.dose import Dose
from decision_core.i18n.result_texts import N_
from decision_core.i18n.result_words import confidence_words
from decision_core.i18n.wording import percent

from . import handout
from decision_core.catalogue.levels import ShownLevels
from .once import CallGroup, Shared
from .programme_view import ProgrammeView, RedFlagCall

@dataclass
class Evidence:
    because: str
    rule: str
    sources: list[str]
    facts: list[tuple[str, str]]
    against: bool
    strength: str | None
    raw_facts: dict[str, Any] = field(default_factory=dict)  # the answers as given (to compare, not to show)

    @property
    def facts_text(self) -> str:
        return "; ".join(f"{name} = {value}" for name, value in self.facts)


@dataclass
class CauseView:
    id: str
    name: str
    rank: int
    score: float
    confidence: float
    why: str
    fix: str | None  # None while the programme is on hold
    evidence: list[Evidence]
    sources: list[str]

    likelihood: str = ""  # the confidence in words, in the report's language
    patient_evidence: list[Evidence] = field(default_factory=list)  # what points to it, not said before

    @property
    def confidence_words(self) -> str:
        return self.likelihood or confidence_words(self.confidence)

    @property
    def confidence_text(self) -> str:
        return f"{self.confidence_words} ({percent(self.confidence)})"

    @property
    def supporting(self) -> list[Evidence]:
        return [e for e in self.evidence if not e.against]

    @property
    def opposing(self) -> list[Evidence]:
        return [e for e in self.evidence if e.against]


@dataclass
class ItemView:
    """One recommendation as the patient and practitioner read it."""

    id: str
    name: str
    kind: str
    dose: Dose  # resolved: the practitioner's override, the source's figures, the clinic's default
    dose_text: str  # the whole dose in one phrase ('' when it has no figure)
    slots: list[handout.DoseSlot]  # the patient's view of the dose, with marked blanks
    basis: str  # where the figures came from, in words
    detail: str
    instructions: str
    steps: list[str]
    progression: str | None
    stop_if: str | None
    serves: list[str]
    serves_ids: list[str]
    for_triage: str | None
    intensity: str | None
    sources: list[str]
    reasons: list[Evidence]

    kind_label: str = ""  # the kind in words, in the report's language
    starting_dose: bool = False  # a figure is the product's default: "your practitioner may change it"
    picture: str = ""  # an exercise's start and end position, an inline SVG titled with its name ('' without one)

    @property
    def blanks(self) -> list[str]:
        return [s.label for s in self.slots if s.blank]

    @property
    def serves_text(self) -> str:
        return ", ".join(self.serves)


@dataclass
class AvoidView:
    id: str
    name: str
    why: str
    sources: list[str]
    reasons: list[Evidence]


@dataclass
class WithheldView:
    id: str
    name: str
    kind: str
    reason: str


@dataclass
class QuestionView:
    fact: str
    question: str
    why: str
    kind: str


@dataclass
class SourceView:
    id: str
    title: str
    publisher: str


@dataclass
class ReportView:
    level: str
    level_name: str
    advice: str
    acute: bool
    reasons: list[Evidence]
    reason_levels: list[str]
    causes: list[CauseView]
    do_now: list[ItemView]
    exercises: list[ItemView]
    other_advice: list[ItemView]
    avoid: list[AvoidView]
    withheld: list[WithheldView]
    withheld_exercise_count: int
    next_questions: list[QuestionView]
    open_safety_questions: list[QuestionView]
    facts: list[tuple[str, str]]
    rulesets: list[dict[str, Any]]
    sources: list[SourceView]
    disclaimer: str
    engine: str
    generated_at: datetime
    header: handout.Header | None = None
    safety_net: list[handout.SafetyNetLine] = field(default_factory=list)
    emergency_call: str = ""
    sheet: handout.Sheet | None = None
    patient_sources: list[handout.PatientSource] = field(default_factory=list)
    lang: str = "en"
    title: str = N_("Hamstring tightness: decision support report")
    dropped_exercises: list[str] = field(default_factory=list)
    levels: ShownLevels = field(default_factory=lambda: ShownLevels(()))  # how each triage level is shown
    # the result's selected programme and its red flags (see ``programme_view``); None: the result has none
    programme: ProgrammeView | None = None
    red_flags: list[RedFlagCall] | None = None  # the open yes/no red flags by whom to call
    starting_note: str = ""  # 'Starting dose: your practitioner may change it', in the reader's language
    red_flags_also: str = ""  # the other open red flags, to answer too ('To rule them out, also answer: ...')
    assessment_questions: list[QuestionView] | None = None  # the other open questions: the practitioner's
    follow_up: str | None = None  # the clinic's follow-up form for this record (with a home programme only)
    # the patient part says each thing once (see ``once``)
    patient_reasons: list[str] = field(default_factory=list)  # one line per conclusion
    calls: list[CallGroup] = field(default_factory=list)  # the seek-care lines by whom to call
    patient_exercises: list[ItemView] = field(default_factory=list)  # the exercises without what they share
    patient_phases: list = field(default_factory=list)  # PhaseView of those: the programme's phases, or one
    shared: list[Shared] = field(default_factory=list)  # what several exercises share, said once

    @property
    def mark(self) -> str:
        """The banner's sign (never a tick while safety questions are open: unknown is not 'no')."""
        return self.levels.mark(self.level, self.unconfirmed)

    @property
    def unconfirmed(self) -> bool:
        """Triage not yet known: red flags are still open (before the split: any safety question)."""
        if self.red_flags is not None:
            return any(g.questions for g in self.red_flags)
        return bool(self.open_safety_questions)

    def cite(self, ids) -> str:
        """The patient part's numbers for these source ids: '[1, 3]' ('' when none)."""
        numbers = sorted({s.number for s in self.patient_sources if s.id in set(ids)})
        return f"[{', '.join(map(str, numbers))}]" if numbers else ""

    @property
    def dose_gaps(self) -> bool:
        """Whether any exercise's dose has a blank for the practitioner to fill in."""
        return any(e.blanks for e in self.exercises)
