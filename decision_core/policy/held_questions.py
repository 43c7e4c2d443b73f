"""Which questions are worth asking at a level that holds the home programme (urgent, emergency).

At such a level the patient does only what the level's policy lines allow (rest, the referral,
emergency care); everything else is withheld, whatever the cause. A question there is worth
asking only when its answer could change that handling:

* it could raise the triage further (the planner's safety questions: they all do), or
* it could list a cause for which a rule recommends an item the level allows and this result
  does not recommend yet (e.g. ice and compression for a suspected strain).

Causes whose items the level withholds anyway (the exercises for a posture, a stretch) change
nothing the patient does now: their questions wait for the assessment. Avoid items are left out
for the same reason: at a holding level they warn against what the level already withholds.

Everything is read from the rulesets: which levels hold the programme (the policy lines that
read only the triage), which items they allow (their tags), which rules link items to causes.
"""
from __future__ import annotations

from decision_core.engine.compiler import CompiledRules
from decision_core.policy.safety import SafetyPolicy, withholding_line


class HeldLevelQuestions:
    """Per triage level that holds the programme: the (item, causes) links a question could still change."""

    def __init__(self, compiled: CompiledRules, policy: SafetyPolicy):
        cat = compiled.catalogue
        rank = compiled.level_rank
        self._links: dict[int, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        for level_rank in sorted(set(rank.values())):
            if not policy.level_holds_programme(level_rank):
                continue
            lines = policy.level_lines(level_rank)
            links = []
            for rule in compiled.stratum2:
                shape = compiled.shapes[rule.id]
                if shape.kind != "recommend" or not shape.causes or not _level_fits(rule, rank, level_rank):
                    continue
                if withholding_line(cat.recommendations[shape.target], lines) is None:
                    links.append((shape.target, shape.causes))
            self._links[level_rank] = tuple(links)

    def holds(self, triage_rank: int) -> bool:
        return triage_rank in self._links

    def causes_that_matter(self, triage_rank: int, recommended: set[str]) -> frozenset[str]:
        """At a holding level, the causes whose listing could add an allowed item this result lacks."""
        return frozenset(c for item, causes in self._links.get(triage_rank, ()) if item not in recommended
                         for c in causes)


def _level_fits(rule, rank: dict[str, int], level_rank: int) -> bool:
    """Whether the rule's conditions on the triage level hold at this level."""
    for cond in rule.when:
        if cond.op == "triage_at_least" and level_rank < rank[cond.subject]:
            return False
        if cond.op == "triage_below" and level_rank >= rank[cond.subject]:
            return False
    return True
