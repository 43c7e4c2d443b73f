"""What a catalogue is made of: facts, causes, triage levels, recommendations,
avoid items, safety policy lines and rules, as immutable values; and the
problems a ruleset file can have. Loading and checking them is in
:mod:`decision_core.catalogue.loading`."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from decision_core.catalogue.citations import Citation, Note  # noqa: F401  (Note is read from here too)
from decision_core.catalogue.conditions import Condition, Conclusion
from decision_core.catalogue.dose import Dose
from decision_core.catalogue.programme_rules import ProgrammePart, ProgrammeRules
from decision_core.catalogue.sources import Source
from decision_core.figures.model import Figure

BUILTIN_ORIGIN = "decision_core"


class RulesetError(Exception):
    """One or more problems in ruleset files; each names file, rule and field."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    """One problem of a ruleset file or of the catalogue they make.

    ``rule`` says where in the file (a rule id, ``item x``, ``fact x``...), ``message`` what is wrong, in
    the words users see. ``code`` is what kind of problem it is (lint reports it), and ``kind``/``key``
    name the thing it is about, so that a lenient build can leave that thing out (``("rule", id)``,
    ``("item", id)``, ``("fact", name)``, ``("cause", id)``, ``("source", id)``, ``("ruleset", id)``...)."""

    file: str
    rule: str | None
    field: str | None
    message: str
    origin: str | None = None
    code: str = "invalid_ruleset"
    kind: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.origin and self.origin != BUILTIN_ORIGIN:
            where = f"{where} (plugin {self.origin})"
        if self.rule:
            where += f", rule {self.rule}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.file, "rule": self.rule, "field": self.field, "message": self.message, "plugin": self.origin}


@dataclass(frozen=True)
class Rule:
    id: str
    when: tuple[Condition, ...]
    then: Conclusion
    because: str
    sources: tuple[str, ...]
    ruleset: str
    weight: float | None = None
    strength: str | None = None
    citations: tuple[Citation, ...] = ()
    generated_from: str | None = None  # the item whose for_causes shorthand made this rule

    @property
    def stratum(self) -> int:
        """1: reads facts and findings; 2: reads concluded causes and triage."""
        return 2 if self.then.kind in ("recommend", "avoid") else 1

    @property
    def fact_conditions(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.when if c.on_fact)


@dataclass(frozen=True)
class Fact:
    name: str
    type: str
    label: str
    question: str
    ruleset: str
    help: str | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    red_flag: bool = False
    max_items: int = 20
    discriminates: tuple[str, ...] = ()
    group: str | None = None  # the intake form's group it is asked in
    enable_when: tuple[Condition, ...] = ()  # asked only once these hold (all of them)
    value_labels: tuple[tuple[str, str], ...] = ()  # (value, what it says to the patient)

    def value_label(self, value: str) -> str:
        """What a listed value says to the patient: its declared label, else the id in words."""
        for v, label in self.value_labels:
            if v == value:
                return label
        return value.replace("_", " ").capitalize()

    def to_dict(self) -> dict:
        out = {"name": self.name, "type": self.type, "label": self.label, "question": self.question}
        for key in ("help", "unit", "min", "max"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.values:
            out["values"] = list(self.values)
        if self.type in ("choices", "list"):
            out["max_items"] = self.max_items
        out["red_flag"] = self.red_flag
        if self.discriminates:
            out["discriminates"] = list(self.discriminates)
        out["ruleset"] = self.ruleset
        return out


@dataclass(frozen=True)
class Cause:
    id: str
    name: str
    why: str  # what it is: always shown
    sources: tuple[str, ...]
    ruleset: str
    threshold: float = 3.0
    citations: tuple[Citation, ...] = ()
    fix: str = ""  # what helps: shown only where the programme is


@dataclass(frozen=True)
class Presentation:
    """How adapters show a triage level (declared in the triage ruleset)."""

    acute: bool
    card_indicator: str  # CDS Hooks: info | warning | critical
    priority: str  # FHIR request priority, and the card's referral suggestion's: routine | urgent | asap | stat
    suggest_referral: bool
    fhir_severity: str | None  # DetectedIssue severity; None: not a red flag
    mark: str
    colours: tuple[tuple[str, str], ...]  # (part, #colour): background, border, text, label
    emergency_department: bool = False
    mark_while_unconfirmed: str | None = None
    card_indicator_while_red_flags_open: str | None = None  # None: card_indicator

    def indicator(self, red_flags_open: bool) -> str:
        """The card's indicator: interruptive only when there is something to act on (red flags to rule out)."""
        return self.card_indicator_while_red_flags_open if red_flags_open and self.card_indicator_while_red_flags_open \
            else self.card_indicator


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    advice: str
    rank: int
    presentation: Presentation
    advice_while_unconfirmed: str | None = None
    seek_care_if: tuple[tuple[str, str], ...] = ()  # (says, contact: clinic | emergency)
    stops_interview: bool = False  # an interview stops at once when the triage reaches it
    red_flag: bool = False  # an open question that could raise the triage here is a red flag
    contact: str | None = None  # whom to call when such a red flag is true: clinic | emergency


@dataclass(frozen=True)
class Group:
    """A group of the intake form: facts are asked and shown under its title, groups in declared order."""

    id: str
    title: str
    ruleset: str


@dataclass(frozen=True)
class Recommendation:
    id: str
    name: str
    kind: str
    instructions: str  # one sentence (older rulesets: a paragraph)
    sources: tuple[str, ...]  # every source id it cites: its own, its dose's, its progression's and stop rule's
    ruleset: str
    intensity: str | None = None
    dose: Dose = field(default_factory=Dose, hash=False, compare=False)
    for_causes: tuple[str, ...] = ()
    not_with_causes: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()  # what the item itself rests on (the dose has its own)
    tags: tuple[str, ...] = ()  # declared; the policy reads these plus the kind
    steps: tuple[str, ...] = ()  # numbered steps for the patient
    progression: Note | None = None
    stop_if: Note | None = None
    figure: Figure | None = field(default=None, hash=False, compare=False)  # its picture (decision_core.figures)

    @property
    def all_citations(self) -> tuple[Citation, ...]:
        """The item's citations, then its dose's, progression's and stop rule's."""
        out = self.citations + self.dose.citations
        for note in (self.progression, self.stop_if):
            if note is not None:
                out += note.citations
        return out

    @cached_property  # read for every item of every evaluation
    def policy_tags(self) -> frozenset[str]:
        return frozenset(self.tags) | {self.kind}

    @cached_property
    def sorted_tags(self) -> tuple[str, ...]:
        return tuple(sorted(self.policy_tags))


@dataclass(frozen=True)
class AvoidItem:
    id: str
    name: str
    why: str
    sources: tuple[str, ...]
    ruleset: str
    citations: tuple[Citation, ...] = ()
    forbids: tuple[str, ...] = ()  # tags of items it contradicts


@dataclass(frozen=True)
class PolicyLine:
    """One line of the safety policy: when its conditions hold, what it does to the programme."""

    id: str
    when: tuple[Condition, ...]
    says: str
    sources: tuple[str, ...]
    ruleset: str
    withhold: tuple[str, ...] = ()
    allow_only: tuple[str, ...] = ()
    max_intensity: str | None = None
    lead_with: tuple[str, ...] = ()
    hold_programme: bool = False
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class RulesetInfo:
    id: str
    version: str
    kind: str
    title: str
    origin: str
    path: str

    def to_dict(self) -> dict:
        return {"id": self.id, "version": self.version, "kind": self.kind, "title": self.title,
                "plugin": self.origin, "file": self.path}


@dataclass
class RulesetDocument:
    """One validated ruleset file, not yet merged into a catalogue."""

    info: RulesetInfo
    rules: list[Rule]
    facts: list[Fact] = field(default_factory=list)
    cause: Cause | None = None
    levels: list[Level] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    avoid: list[AvoidItem] = field(default_factory=list)
    policy: list[PolicyLine] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    programme: ProgrammePart | None = None  # a programme ruleset's settings, jobs, fit rules and doses


@dataclass
class Catalogue:
    facts: dict[str, Fact]
    causes: dict[str, Cause]
    levels: list[Level]
    recommendations: dict[str, Recommendation]
    avoid: dict[str, AvoidItem]
    rules: list[Rule]
    rulesets: list[RulesetInfo]
    policy: list[PolicyLine] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # the policy's tag vocabulary
    sources: dict[str, Source] = field(default_factory=dict)  # the source registry, by id
    groups: dict[str, Group] = field(default_factory=dict)  # the intake form's groups, in form order
    # how the patient's programme is chosen (programme rulesets); None: no programme ruleset, no selection
    programme: ProgrammeRules | None = None

    def level(self, level_id: str) -> Level:
        return self._levels_by_id[level_id]

    def shown_level(self, level_id: str) -> Level:
        """The level to show for an id; one the catalogue does not know (a result from another catalogue) is
        shown as the most severe level, never as a milder one."""
        return self._levels_by_id.get(level_id) or max(self.levels, key=lambda lv: lv.rank)

    def __post_init__(self):
        self._levels_by_id = {lv.id: lv for lv in self.levels}

    def fingerprint(self) -> str:
        """A short id of exactly which ruleset versions are in here."""
        import hashlib

        text = ";".join(f"{r.origin}:{r.id}@{r.version}" for r in sorted(self.rulesets, key=lambda r: r.id))
        return hashlib.sha1(text.encode()).hexdigest()[:12]
