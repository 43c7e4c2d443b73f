"""Why a result says what it says: the evidence a rule gives (``Evidence``: a cause's evidence, a
triage reason) and the reason an item was recommended or forbidden (``Reason``), each with its
sources and the citations they rest on (declared as :mod:`.shape` reads them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from decision_core.catalogue.citations import Citation
from decision_core.result.shape import declared

LEFT_OUT_WHEN_NONE = {"omit": "none"}


@declared
@dataclass(slots=True, kw_only=True)
class Evidence:
    """Why a rule fired: the facts it read, its plain-language reason and its sources."""

    JSON_COMPUTED = ("fact", "value")  # written first: the first fact the rule read, and its value

    facts: dict[str, Any]
    rule: str
    because: str
    sources: list[str] = field(metadata={"absent": list})
    citations: list[Citation] = field(default_factory=list)
    strength: str | None = field(default=None, metadata=LEFT_OUT_WHEN_NONE)  # cause evidence: strong | supporting | against
    weight: float | None = field(default=None, metadata=LEFT_OUT_WHEN_NONE)  # set with strength
    level: str | None = field(default=None, metadata=LEFT_OUT_WHEN_NONE)  # triage reasons: the level the rule reached

    @property
    def against(self) -> bool:
        return self.strength == "against" or (self.weight is not None and self.weight < 0)

    @property
    def fact(self) -> str | None:
        """The first fact the rule read (null: it read only findings)."""
        return next(iter(self.facts), None)

    @property
    def value(self) -> Any:
        return next(iter(self.facts.values()), None)

    @classmethod
    def upgrade_saved(cls, d: Mapping[str, Any]) -> Mapping[str, Any]:
        """Saved before ``facts``: the one fact and value it had."""
        if d.get("facts") is not None:
            return d
        return {**d, "facts": {d["fact"]: d.get("value")} if d.get("fact") else {}}


@declared
@dataclass(slots=True)
class Reason:
    """Why an item was recommended or raised: the rule, its reason and the facts it read."""

    rule: str
    because: str
    sources: list[str]
    citations: list[Citation] = field(default_factory=list)
    facts: dict[str, Any] | None = field(default=None, metadata={"omit": "empty"})
    # ``because`` as a phrase, when the core composed it rather than a rule's author wrote it
    because_code: dict[str, Any] | None = field(default=None, metadata={
        "omit": "none", "description": "Because, as a phrase, when the product composed it "
                                       "(decision_core.presentation.phrases): {code: recommended_for, cause: ...}."})
