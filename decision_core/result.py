"""The result of one evaluation, and its dictionary form (the public contract)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DISCLAIMER = (
    "Decision support for a practitioner, not a diagnosis. It reasons only from the answers given; "
    "unanswered questions are unknown, not 'no'. If symptoms change or worsen, seek professional care."
)


@dataclass
class Result:
    triage: dict[str, Any]
    causes: list[dict[str, Any]]
    recommendations: list[dict[str, Any]]
    withheld: list[dict[str, Any]]
    avoid: list[dict[str, Any]]
    next_questions: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    facts: dict[str, Any]
    rulesets: list[dict[str, Any]]
    fired_rules: list[str]
    engine: str
    disclaimer: str = DISCLAIMER
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def triage_level(self) -> str:
        return self.triage["level"]

    @property
    def cause_ids(self) -> list[str]:
        return [c["id"] for c in self.causes]

    @property
    def recommendation_ids(self) -> list[str]:
        return [r["id"] for r in self.recommendations]

    def to_dict(self) -> dict[str, Any]:
        # Built fresh per evaluation from per-evaluation objects: nothing is shared with the catalogue.
        out = {
            "triage": self.triage,
            "causes": self.causes,
            "recommendations": self.recommendations,
            "withheld": self.withheld,
            "avoid": self.avoid,
            "next_questions": self.next_questions,
            "findings": self.findings,
            "facts": self.facts,
            "rulesets": self.rulesets,
            "fired_rules": self.fired_rules,
            "engine": self.engine,
            "disclaimer": self.disclaimer,
        }
        out.update(self.extras)
        return out

    def comparable(self) -> dict[str, Any]:
        """The result without the engine's name: what two engines must agree on."""
        out = self.to_dict()
        out.pop("engine")
        return out
