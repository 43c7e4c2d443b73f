"""Why a result says what it says: the evidence a rule gives (``Evidence``: a cause's evidence, a
triage reason) and the reason an item was recommended or forbidden (``Reason``), each with its
sources and the citations they rest on, in typed and dictionary form (see ``result``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from decision_core.catalogue.citations import Citation


def read_citations(raw) -> list[Citation]:
    return [Citation(c["source"], c.get("quote")) for c in raw or ()]


def citation_dicts(citations) -> list[dict[str, Any]]:
    # the dictionary form of citations, inline: a result holds dozens, and this runs for every response
    return [{"source": c.source, "quote": c.quote} if c.quote else {"source": c.source} for c in citations]


@dataclass(slots=True)
class Evidence:
    """Why a rule fired: the facts it read, its plain-language reason and its sources."""

    rule: str
    because: str
    facts: dict[str, Any]
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)
    strength: str | None = None  # cause evidence: strong | supporting | against
    weight: float | None = None
    level: str | None = None  # triage reasons: the level the rule reached

    @property
    def against(self) -> bool:
        return self.strength == "against" or (self.weight is not None and self.weight < 0)

    @property
    def fact(self) -> str | None:
        """The first fact the rule read (None: it read only findings)."""
        return next(iter(self.facts), None)

    @property
    def value(self) -> Any:
        return next(iter(self.facts.values()), None)

    def to_dict(self) -> dict[str, Any]:
        facts = self.facts
        fact = next(iter(facts), None)
        out = {"fact": fact, "value": facts[fact] if fact is not None else None, "facts": self.facts, "rule": self.rule, "because": self.because,
               "sources": self.sources, "citations": citation_dicts(self.citations)}
        if self.strength is not None:
            out["strength"] = self.strength
            out["weight"] = self.weight
        if self.level is not None:
            out["level"] = self.level
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Evidence":
        facts = d.get("facts")
        if facts is None:
            facts = {d["fact"]: d.get("value")} if d.get("fact") else {}
        return cls(d["rule"], d["because"], dict(facts), list(d.get("sources", ())), read_citations(d.get("citations")),
                   d.get("strength"), d.get("weight"), d.get("level"))


@dataclass(slots=True)
class Reason:
    """Why an item was recommended or raised: the rule, its reason and the facts it read."""

    rule: str
    because: str
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)
    facts: dict[str, Any] | None = None
    # ``because`` as a phrase, when the core composed it rather than a rule's author wrote it
    # (decision_core.presentation.phrases): {"code": "recommended_for", "cause": ...}
    because_code: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"rule": self.rule, "because": self.because, "sources": self.sources,
               "citations": citation_dicts(self.citations)}
        if self.facts:
            out["facts"] = self.facts
        if self.because_code:
            out["because_code"] = self.because_code
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Reason":
        return cls(d["rule"], d["because"], list(d["sources"]), read_citations(d.get("citations")), d.get("facts"),
                   d.get("because_code"))
