"""The result of one evaluation: one set of typed classes that the core builds and every adapter
reads. The classes are the whole declaration of the result's shape (:mod:`.shape`): from their
fields come ``to_dict()`` (the JSON shape integrators read, the public contract), ``from_dict()``
(a saved result, a report of a result sent over HTTP, read back so that no adapter parses a result
by hand), ``to_json()`` and the marshmallow schema of the OpenAPI document (:mod:`.schema`).

To add a field to the result, add the dataclass field, with a ``description`` in its metadata
for the OpenAPI document (and ``omit``, ``absent`` where they apply: see :mod:`.shape`). A field
that is always written must come before the first one with a default unless the class is
``kw_only``; the key order of the JSON is the field order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from decision_core.catalogue.citations import Citation
from decision_core.catalogue.dose import Dose
from decision_core.result.programme import Programme
from decision_core.result.reasons import LEFT_OUT_WHEN_NONE, Evidence, Reason
from decision_core.result.shape import declared, declared_classes

DISCLAIMER = (
    "Decision support for a practitioner, not a diagnosis. It reasons only from the answers given; "
    "unanswered questions are unknown, not 'no'. If symptoms change or worsen, seek professional care."
)


def described(text: str, **more: Any) -> dict[str, Any]:
    return {"description": text, **more}


@declared
@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result_json)
class SafetyQuestion:
    """An unanswered red-flag question: its answer could raise the triage."""

    fact: str
    question: str
    could_raise_to: str = field(metadata=described("The highest level its answer could reach."))


@declared
@dataclass(slots=True, kw_only=True)
class Triage:
    level: str = field(metadata=described("the level's id, one the triage ruleset declares (GET /v1/rulesets)"))
    name: str
    advice: str
    confirmed: bool = field(default=True, metadata=described(
        "False while red-flag questions that could raise the level are unanswered."))
    reasons: list[Evidence]


@declared
@dataclass(slots=True)
class Cause:
    id: str
    name: str
    rank: int
    score: float
    confidence: float
    why: str = field(metadata=described("What the cause is (always shown)."))
    fix: str | None = field(metadata=described("What helps; null while the safety policy holds the programme."))
    evidence: list[Evidence]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)


@declared
@dataclass(slots=True)
class Guidance:
    """How to progress an exercise, or when to stop it: a sentence for the patient and its sources."""

    text: str = field(metadata=described("A plain sentence for the patient."))
    citations: list[Citation] = field(default_factory=list)


@declared
@dataclass(slots=True, kw_only=True)
class Recommendation:
    id: str
    name: str
    kind: str = field(metadata=described("exercise | lifestyle | self_care | referral"))
    tags: list[str] = field(metadata=described("What the safety policy reads.", absent=list))
    dose: dict[str, Any] = field(metadata=described(
        "The dose its sources give; a figure they do not give is absent (never invented).", shape=Dose))
    instructions: str = field(metadata=described("One sentence: what it is."))
    steps: list[str] = field(default_factory=list, metadata=described("Numbered steps for the patient."))
    for_causes: list[str]
    reasons: list[Reason]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)
    leads: bool = field(default=False, metadata=described(
        "The safety policy puts it first."))  # the referral, when the triage asks for one
    intensity: str | None = field(default=None, metadata=LEFT_OUT_WHEN_NONE)
    # the triage level it answers, when a triage rule recommended it
    for_triage: str | None = field(default=None, metadata=LEFT_OUT_WHEN_NONE)
    progression: Guidance | None = field(default=None, metadata=described(
        "How to progress it, where a source says.", omit="none"))
    stop_if: Guidance | None = field(default=None, metadata=described("When to stop, where a source says.", omit="none"))

    def dose_value(self) -> Dose:
        """The dose as a typed value (``dose`` is its dictionary form: figures, basis, citations)."""
        return Dose.from_dict(self.dose)


@declared
@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result_json)
class Withheld:
    """An item the rules recommended and the safety policy withheld."""

    id: str
    name: str
    kind: str
    reason: str
    policy: str = field(metadata=described(
        "The safety policy line that withheld it (avoid.<id>: an avoid item forbids it)."))
    reason_code: dict[str, Any] | None = field(default=None, metadata=described(
        "Why, as a phrase (decision_core.presentation.phrases): {code: withheld_by_policy, policy: ...}, "
        "{code: withheld_by_avoid, avoid: ...} or {code: withheld_by_cause, causes: [...]}; reason is its English."))


@declared
@dataclass(slots=True)
class Avoid:
    id: str
    name: str
    why: str
    reasons: list[Reason]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)


@declared
@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result_json)
class Question:
    fact: str
    question: str
    label: str
    type: str
    kind: str = field(metadata=described("safety | diagnosis"))
    why: str
    score: float
    why_codes: list[dict[str, Any]] = field(default_factory=list, metadata=described(
        "Why, as phrases (decision_core.presentation.phrases): [{code: raises_triage, level: ...}, "
        "{code: confirms, causes: [...]}]; why is their English."))


@declared
@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result_json)
class AppliedPolicy:
    """A safety policy line that held for this result."""

    id: str
    says: str
    sources: list[str]
    holds_programme: bool


@declared
@dataclass(slots=True)
class Finding:
    id: str
    evidence: list[Evidence]


@declared
@dataclass(frozen=True)  # shared by every result of an evaluator: never changed; no slots (result_json)
class UsedRuleset:
    id: str
    version: str
    kind: str
    plugin: str = field(metadata={"absent": ""})


@declared
@dataclass(kw_only=True)
class Result:
    triage: Triage
    causes: list[Cause] = field(metadata=described("Most likely first."))
    recommendations: list[Recommendation]
    withheld: list[Withheld]
    avoid: list[Avoid]
    next_questions: list[Question] = field(metadata=described("Best first."))
    open_safety_questions: list[SafetyQuestion] = field(metadata=described(
        "Every unanswered red-flag question whose answer could raise the triage.", absent=list))
    # open_safety_questions split in two, same order: those that could raise the triage to a red-flag level
    # (declared in the triage ruleset), and the rest, for the assessment
    open_red_flags: list[SafetyQuestion] = field(default_factory=list, metadata=described(
        "The open safety questions whose answer could raise the triage to a red-flag level (urgent or emergency, "
        "as the triage ruleset declares), in the same order: ask them before anything starts. While this list is "
        "non-empty the triage is not yet known."))
    open_assessment_questions: list[SafetyQuestion] = field(default_factory=list, metadata=described(
        "The other open safety questions, for the practitioner's assessment. With open_red_flags it partitions "
        "open_safety_questions."))
    policy: list[AppliedPolicy] = field(metadata=described(
        "The safety policy lines that held for this result.", absent=list))
    programme_on_hold: bool = field(metadata=described(
        "The safety policy holds the home programme: no exercise, and causes give no fix.", absent=False))
    # None: the catalogue has no programme ruleset, or a result saved before there was one
    programme: Programme | None = field(default=None, metadata=described(
        "The patient's programme: a few dosed items chosen from recommendations (which keeps every allowed item), "
        "in phases, with a length, a review and the alternatives. Null when the installation has no programme "
        "ruleset."))
    findings: list[Finding] = field(metadata={"absent": list})
    facts: dict[str, Any] = field(metadata=described(
        "The validated facts the result was computed from.", absent=dict, nullable_values=False))
    rulesets: list[UsedRuleset]
    fired_rules: list[str] = field(metadata={"absent": list})
    engine: str = field(metadata={"absent": ""})
    disclaimer: str = DISCLAIMER
    # the record it is kept under (decision_core.record), when it is kept
    record_id: str | None = field(default=None, metadata=described(
        "The record this evaluation is kept under (only when the server keeps a record): the id for "
        "POST /v1/records/{id}/feedback and /follow-ups.", omit="empty"))

    @property
    def triage_level(self) -> str:
        return self.triage.level

    @property
    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    @property
    def recommendation_ids(self) -> list[str]:
        return [r.id for r in self.recommendations]

    @classmethod
    def upgrade_saved(cls, d: Mapping[str, Any]) -> Mapping[str, Any]:
        """Saved before open_safety_questions was split: unknown is not "no", so every open safety
        question counts as a red flag."""
        if "open_red_flags" in d:
            return d
        return {**d, "open_red_flags": d.get("open_safety_questions") or [], "open_assessment_questions": []}

    def to_json(self) -> bytes:
        """The dictionary form as JSON (UTF-8), exactly ``orjson.dumps(self.to_dict())``, written
        without building every dictionary first (:mod:`.json_writer`)."""
        from decision_core.result.json_writer import result_json

        return result_json(self)

    def comparable(self) -> dict[str, Any]:
        """The result without the engine's name: what two engines must agree on."""
        out = self.to_dict()
        out.pop("engine")
        out.pop("record_id", None)
        return out


# The declared classes, by the name of their schema (the OpenAPI document's components).
RESULT_CLASSES = {f"{getattr(cls, 'SCHEMA_NAME', cls.__name__)}Schema": cls
                  for cls in declared_classes(Result, shapes=True)}
