"""The result of one evaluation: one set of typed classes that the core builds
and every adapter reads, and their dictionary form (the public contract).

``to_dict()`` gives the JSON shape integrators read; ``Result.from_dict()``
reads it back (a saved result, a report of a result sent over HTTP), so an
adapter never has to parse a result by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from decision_core.catalogue.citations import Citation
from decision_core.catalogue.dose import Dose, Frequency
from decision_core.result.programme import Alternative, Phase, Programme, ProgrammeItem
from decision_core.result.reasons import Evidence, Reason, citation_dicts, read_citations

DISCLAIMER = (
    "Decision support for a practitioner, not a diagnosis. It reasons only from the answers given; "
    "unanswered questions are unknown, not 'no'. If symptoms change or worsen, seek professional care."
)


@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result.json_writer)
class SafetyQuestion:
    """An unanswered red-flag question: its answer could raise the triage."""

    fact: str
    question: str
    could_raise_to: str

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "question": self.question, "could_raise_to": self.could_raise_to}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SafetyQuestion":
        return cls(d["fact"], d["question"], d["could_raise_to"])


@dataclass(slots=True)
class Triage:
    level: str
    name: str
    advice: str
    reasons: list[Evidence]
    confirmed: bool = True  # False while red-flag questions that could raise it are open

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "name": self.name, "advice": self.advice, "confirmed": self.confirmed,
                "reasons": [r.to_dict() for r in self.reasons]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Triage":
        return cls(d["level"], d["name"], d["advice"], [Evidence.from_dict(r) for r in d["reasons"]],
                   d.get("confirmed", True))


@dataclass(slots=True)
class Cause:
    id: str
    name: str
    rank: int
    score: float
    confidence: float
    why: str  # what the cause is: always shown
    fix: str | None  # what helps: None while the programme is on hold
    evidence: list[Evidence]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "rank": self.rank, "score": self.score,
                "confidence": self.confidence, "why": self.why, "fix": self.fix,
                "evidence": [e.to_dict() for e in self.evidence], "sources": self.sources,
                "citations": citation_dicts(self.citations)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Cause":
        return cls(d["id"], d["name"], d["rank"], d["score"], d["confidence"], d["why"], d.get("fix"),
                   [Evidence.from_dict(e) for e in d["evidence"]], list(d["sources"]), read_citations(d.get("citations")))


@dataclass(slots=True)
class Guidance:
    """How to progress an exercise, or when to stop it: a sentence for the patient and its sources."""

    text: str
    citations: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": citation_dicts(self.citations)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "Guidance | None":
        return None if d is None else cls(d["text"], read_citations(d.get("citations")))


@dataclass(slots=True)
class Recommendation:
    id: str
    name: str
    kind: str
    tags: list[str]
    dose: dict[str, Any]
    instructions: str
    for_causes: list[str]
    reasons: list[Reason]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)
    intensity: str | None = None
    for_triage: str | None = None  # the triage level it answers, when a triage rule recommended it
    leads: bool = False  # the safety policy puts it first (the referral, when the triage asks for one)
    steps: list[str] = field(default_factory=list)  # numbered steps for the patient
    progression: Guidance | None = None
    stop_if: Guidance | None = None

    def dose_value(self) -> Dose:
        """The dose as a typed value (``dose`` is its dictionary form: figures, basis, citations)."""
        return Dose.from_dict(self.dose)

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "kind": self.kind, "tags": self.tags, "dose": self.dose,
               "instructions": self.instructions, "steps": self.steps, "for_causes": self.for_causes,
               "reasons": [r.to_dict() for r in self.reasons], "sources": self.sources,
               "citations": citation_dicts(self.citations), "leads": self.leads}
        if self.intensity is not None:
            out["intensity"] = self.intensity
        if self.for_triage is not None:
            out["for_triage"] = self.for_triage
        if self.progression is not None:
            out["progression"] = self.progression.to_dict()
        if self.stop_if is not None:
            out["stop_if"] = self.stop_if.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Recommendation":
        return cls(d["id"], d["name"], d["kind"], list(d.get("tags", ())), dict(d["dose"]), d["instructions"],
                   list(d["for_causes"]), [Reason.from_dict(r) for r in d["reasons"]], list(d["sources"]),
                   read_citations(d.get("citations")), d.get("intensity"), d.get("for_triage"), d.get("leads", False),
                   list(d.get("steps", ())), Guidance.from_dict(d.get("progression")),
                   Guidance.from_dict(d.get("stop_if")))


@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result.json_writer)
class Withheld:
    """An item the rules recommended and the safety policy withheld."""

    id: str
    name: str
    kind: str
    reason: str
    policy: str  # the policy line that withheld it (or avoid.<id>: an avoid item forbids it)
    # why, as a phrase (decision_core.presentation.phrases): {"code": "withheld_by_policy", "policy": ...}
    reason_code: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "reason": self.reason, "policy": self.policy,
                "reason_code": self.reason_code}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Withheld":
        return cls(d["id"], d["name"], d["kind"], d["reason"], d["policy"], d.get("reason_code"))


@dataclass(slots=True)
class Avoid:
    id: str
    name: str
    why: str
    reasons: list[Reason]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "why": self.why, "reasons": [r.to_dict() for r in self.reasons],
                "sources": self.sources, "citations": citation_dicts(self.citations)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Avoid":
        return cls(d["id"], d["name"], d["why"], [Reason.from_dict(r) for r in d["reasons"]], list(d["sources"]),
                   read_citations(d.get("citations")))


@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result.json_writer)
class Question:
    fact: str
    question: str
    label: str
    type: str
    kind: str  # safety | diagnosis
    why: str
    score: float
    # why, as phrases (decision_core.presentation.phrases): [{"code": "raises_triage", "level": ...},
    # {"code": "confirms", "causes": [...]}]; ``why`` is their English
    why_codes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "question": self.question, "label": self.label, "type": self.type,
                "kind": self.kind, "why": self.why, "score": self.score, "why_codes": self.why_codes}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Question":
        return cls(d["fact"], d["question"], d["label"], d["type"], d["kind"], d["why"], d["score"],
                   list(d.get("why_codes") or ()))


@dataclass  # no slots: orjson writes a plain dataclass as fast as a dict, from its __dict__ (result.json_writer)
class AppliedPolicy:
    """A safety policy line that held for this result."""

    id: str
    says: str
    sources: list[str]
    holds_programme: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "says": self.says, "sources": self.sources, "holds_programme": self.holds_programme}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AppliedPolicy":
        return cls(d["id"], d["says"], list(d["sources"]), d["holds_programme"])


@dataclass(slots=True)
class Finding:
    id: str
    evidence: list[Evidence]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        return cls(d["id"], [Evidence.from_dict(e) for e in d["evidence"]])


@dataclass(frozen=True)  # shared by every result of an evaluator: never changed; no slots (result.json_writer)
class UsedRuleset:
    id: str
    version: str
    kind: str
    plugin: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "kind": self.kind, "plugin": self.plugin}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "UsedRuleset":
        return cls(d["id"], d["version"], d["kind"], d.get("plugin") or "")


@dataclass
class Result:
    triage: Triage
    causes: list[Cause]
    recommendations: list[Recommendation]
    withheld: list[Withheld]
    avoid: list[Avoid]
    next_questions: list[Question]
    open_safety_questions: list[SafetyQuestion]
    policy: list[AppliedPolicy]
    programme_on_hold: bool
    findings: list[Finding]
    facts: dict[str, Any]
    rulesets: list[UsedRuleset]
    fired_rules: list[str]
    engine: str
    disclaimer: str = DISCLAIMER
    # the patient's programme chosen from the recommendations (None: the catalogue has no programme ruleset,
    # or a result saved before there was one)
    programme: Programme | None = None
    # open_safety_questions split in two, same order: those that could raise the triage to a red-flag level
    # (declared in the triage ruleset), and the rest, for the assessment. The triage is not yet known while
    # open_red_flags is non-empty.
    open_red_flags: list[SafetyQuestion] = field(default_factory=list)
    open_assessment_questions: list[SafetyQuestion] = field(default_factory=list)
    record_id: str | None = None  # the record it is kept under (decision_core.record), when it is kept

    @property
    def triage_level(self) -> str:
        return self.triage.level

    @property
    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    @property
    def recommendation_ids(self) -> list[str]:
        return [r.id for r in self.recommendations]

    def to_dict(self) -> dict[str, Any]:
        # Built fresh per evaluation from per-evaluation objects: nothing is shared with the catalogue.
        return {
            "triage": self.triage.to_dict(),
            "causes": [c.to_dict() for c in self.causes],
            "recommendations": [r.to_dict() for r in self.recommendations],
            "withheld": [w.to_dict() for w in self.withheld],
            "avoid": [a.to_dict() for a in self.avoid],
            "next_questions": [q.to_dict() for q in self.next_questions],
            "open_safety_questions": [q.to_dict() for q in self.open_safety_questions],
            "open_red_flags": [q.to_dict() for q in self.open_red_flags],
            "open_assessment_questions": [q.to_dict() for q in self.open_assessment_questions],
            "policy": [p.to_dict() for p in self.policy],
            "programme_on_hold": self.programme_on_hold,
            "programme": None if self.programme is None else self.programme.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "facts": self.facts,
            "rulesets": [r.to_dict() for r in self.rulesets],
            "fired_rules": self.fired_rules,
            "engine": self.engine,
            "disclaimer": self.disclaimer,
        } | ({"record_id": self.record_id} if self.record_id else {})

    def to_json(self) -> bytes:
        """The dictionary form as JSON (UTF-8), exactly ``orjson.dumps(self.to_dict())``, written
        without building the dictionaries first (:mod:`decision_core.result.json_writer`)."""
        from decision_core.result.json_writer import result_json

        return result_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Result":
        """A result from its dictionary form; KeyError or TypeError when it is not one."""
        safety = [SafetyQuestion.from_dict(q) for q in d.get("open_safety_questions", ())]
        if "open_red_flags" in d:
            red_flags = [SafetyQuestion.from_dict(q) for q in d["open_red_flags"]]
            assessment = [SafetyQuestion.from_dict(q) for q in d.get("open_assessment_questions", ())]
        else:  # saved before the split: unknown is not "no", so every open safety question counts as a red flag
            red_flags, assessment = [SafetyQuestion.from_dict(q) for q in d.get("open_safety_questions", ())], []
        return cls(
            triage=Triage.from_dict(d["triage"]),
            causes=[Cause.from_dict(c) for c in d["causes"]],
            recommendations=[Recommendation.from_dict(r) for r in d["recommendations"]],
            withheld=[Withheld.from_dict(w) for w in d["withheld"]],
            avoid=[Avoid.from_dict(a) for a in d["avoid"]],
            next_questions=[Question.from_dict(q) for q in d["next_questions"]],
            open_safety_questions=safety,
            policy=[AppliedPolicy.from_dict(p) for p in d.get("policy", ())],
            programme_on_hold=bool(d.get("programme_on_hold", False)),
            findings=[Finding.from_dict(f) for f in d.get("findings", ())],
            facts=dict(d.get("facts") or {}),
            rulesets=[UsedRuleset.from_dict(r) for r in d["rulesets"]],
            fired_rules=list(d.get("fired_rules", ())),
            engine=d.get("engine", ""),
            disclaimer=d.get("disclaimer", DISCLAIMER),
            programme=Programme.from_dict(d.get("programme")),
            open_red_flags=red_flags,
            open_assessment_questions=assessment,
            record_id=d.get("record_id"),
        )

    def comparable(self) -> dict[str, Any]:
        """The result without the engine's name: what two engines must agree on."""
        out = self.to_dict()
        out.pop("engine")
        out.pop("record_id", None)
        return out


# The typed classes, by the name the HTTP schema gives their shape (tests keep the two in step).
RESULT_CLASSES = {
    "ResultSchema": Result, "TriageSchema": Triage, "CauseSchema": Cause, "EvidenceSchema": Evidence,
    "RecommendationSchema": Recommendation, "ReasonSchema": Reason, "WithheldSchema": Withheld,
    "AvoidSchema": Avoid, "QuestionSchema": Question, "SafetyQuestionSchema": SafetyQuestion,
    "AppliedPolicySchema": AppliedPolicy, "FindingSchema": Finding, "UsedRulesetSchema": UsedRuleset,
    "GuidanceSchema": Guidance, "DoseSchema": Dose, "FrequencySchema": Frequency,
    "ProgrammeSchema": Programme, "ProgrammePhaseSchema": Phase, "ProgrammeItemSchema": ProgrammeItem,
    "AlternativeSchema": Alternative,
}


def dict_keys(cls) -> set[str]:
    """The keys a class's dictionary form can have (its fields; Evidence adds fact and value)."""
    names = {f.name for f in fields(cls)}
    if cls is Evidence:
        names |= {"fact", "value"}
    return names
