"""The safety policy, applied to the whole programme after the rules.

The policy is data (``kind: policy`` ruleset files): lines with conditions on
facts, listed causes and the final triage level, each of which withholds items
by their tags, caps exercise intensity, puts the home programme on hold or
decides what leads. This module knows no item, tag or level by name; it only
reads the lines. Both engines share it, so it cannot drift between them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from decision_core.catalogue.loading import Catalogue, PolicyLine, Recommendation
from decision_core.engine.compiler import CompiledRules, fact_test

INTENSITY_ORDER = {"gentle": 0, "moderate": 1, "vigorous": 2}

Predicate = Callable[[dict[str, Any], frozenset[str], int], bool]


def _predicate(cond, level_rank: dict[str, int]) -> Predicate:
    if cond.on_fact:
        test = fact_test(cond)
        return lambda case, causes, rank: test(case)
    if cond.op == "cause":
        cause = cond.subject
        return lambda case, causes, rank: cause in causes
    threshold = level_rank[cond.subject]
    if cond.op == "triage_at_least":
        return lambda case, causes, rank: rank >= threshold
    if cond.op == "triage_below":
        return lambda case, causes, rank: rank < threshold
    raise ValueError(f"a policy line cannot read '{cond.text}'")  # the catalogue rejects it before


def withholding_line(item: Recommendation, lines: Iterable[PolicyLine]) -> PolicyLine | None:
    """The first of ``lines`` that withholds ``item``, or None when none does."""
    tags = item.policy_tags
    for line in lines:
        if line.withhold and tags.intersection(line.withhold):
            return line
        if line.allow_only and not tags.intersection(line.allow_only):
            return line
        if line.max_intensity and "exercise" in tags and \
                INTENSITY_ORDER.get(item.intensity or "vigorous", 2) > INTENSITY_ORDER[line.max_intensity]:
            return line
    return None


@dataclass(frozen=True)
class PolicyVerdict:
    """What the active lines of one evaluation decide."""

    active: tuple[PolicyLine, ...]
    on_hold: tuple[PolicyLine, ...]  # lines that put the home programme (and each cause's fix) on hold
    lead_with: tuple[str, ...]  # tags, most important first

    def withholds(self, item: Recommendation) -> PolicyLine | None:
        return withholding_line(item, self.active)

    def lead_rank(self, item: Recommendation) -> int:
        tags = item.policy_tags
        for i, tag in enumerate(self.lead_with):
            if tag in tags:
                return i
        return len(self.lead_with)


class SafetyPolicy:
    """The catalogue's policy lines, with their conditions compiled once."""

    def __init__(self, compiled: CompiledRules):
        cat: Catalogue = compiled.catalogue
        rank = compiled.level_rank
        self.lines = tuple((line, tuple(_predicate(c, rank) for c in line.when)) for line in cat.policy)
        # lines that read only the triage level hold or not by the level alone: decided once per level
        self._by_level = {
            r: frozenset(line.id for line, tests in self.lines
                         if all(c.op.startswith("triage") for c in line.when) and all(t({}, frozenset(), r) for t in tests))
            for r in rank.values()
        }
        self._case_lines = tuple((line, tests) for line, tests in self.lines
                                 if not all(c.op.startswith("triage") for c in line.when))

    def level_lines(self, triage_rank: int) -> tuple[PolicyLine, ...]:
        """The lines that hold at a triage level whatever else is known (they read only the triage)."""
        by_level = self._by_level[triage_rank]
        return tuple(line for line, _ in self.lines if line.id in by_level)

    def level_holds_programme(self, triage_rank: int) -> bool:
        """Whether the level alone puts the home programme on hold (urgent and emergency, as the lines say)."""
        return any(line.hold_programme for line in self.level_lines(triage_rank))

    def judge(self, case: dict[str, Any], causes: frozenset[str], triage_rank: int) -> PolicyVerdict:
        by_level = self._by_level[triage_rank]
        held = {line.id for line, tests in self._case_lines if all(t(case, causes, triage_rank) for t in tests)}
        active = tuple(line for line, _ in self.lines if line.id in by_level or line.id in held)
        lead: list[str] = []
        for line in active:
            lead.extend(t for t in line.lead_with if t not in lead)
        return PolicyVerdict(active, tuple(line for line in active if line.hold_programme), tuple(lead))
