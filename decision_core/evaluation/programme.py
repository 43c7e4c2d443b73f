"""From stratum-2 firings to the programme: recommendations (merged per item,
listing every cause they serve), what is withheld and why, and what to avoid.

The safety policy is applied here, to the whole programme, after the rules:
whatever a rule recommended, an item that an active policy line or a raised
avoid item rules out is withheld, naming what withheld it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from decision_core.engine.compiler import CompiledRules
from decision_core.presentation import phrases
from decision_core.policy.safety import PolicyVerdict
from decision_core.result.model import Avoid, Guidance, Reason, Recommendation, Withheld
from decision_core.evaluation.scoring import Conclusions, fact_values


@dataclass
class Programme:
    recommendations: list[Recommendation] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    avoid: list[Avoid] = field(default_factory=list)


@dataclass
class _Merged:
    causes: list[str]
    reasons: list[Reason]
    by_triage: bool


def build_programme(compiled: CompiledRules, facts: dict, conclusions: Conclusions, fired: list[str],
                    verdict: PolicyVerdict) -> Programme:
    cat = compiled.catalogue
    level = conclusions.triage_level
    cause_rank = {c.id: i for i, c in enumerate(conclusions.causes)}
    unranked = len(cause_rank)
    rec_order = compiled.recommendation_order
    merged: dict[str, _Merged] = {}
    raised: dict[str, list[Reason]] = {}
    for shape in compiled.fired_shapes(fired):
        rule = shape.rule
        # a for_causes rule cites what its item cites: the item carries those citations once
        own = shape.kind != "recommend" or rule.citations != cat.recommendations[shape.target].citations
        reason = Reason(rule.id, rule.because, list(rule.sources), list(rule.citations) if own else [])
        if rule.generated_from is not None:  # a for_causes rule: its reason is the core's words, not an author's
            reason.because_code = phrases.recommended_for(rule.when[0].subject)
        if shape.reads:
            reason.facts = fact_values(shape, facts, {}) or None
        if shape.kind == "recommend":
            entry = merged.get(shape.target)
            if entry is None:
                merged[shape.target] = _Merged(list(shape.causes), [reason], shape.by_triage)
                continue
            entry.causes.extend(c for c in shape.causes if c not in entry.causes)
            entry.reasons.append(reason)
            entry.by_triage = entry.by_triage or shape.by_triage
        elif shape.kind == "avoid":
            raised.setdefault(shape.target, []).append(reason)

    out = Programme()
    for aid in sorted(raised, key=compiled.avoid_order.__getitem__):
        item = cat.avoid[aid]
        out.avoid.append(Avoid(item.id, item.name, item.why, raised[aid], list(item.sources), list(item.citations)))
    forbidden = [(cat.avoid[aid], frozenset(cat.avoid[aid].forbids)) for aid in raised if cat.avoid[aid].forbids]

    ranked: list[tuple[tuple, Recommendation]] = []
    for rec_id, entry in merged.items():
        item = cat.recommendations[rec_id]
        why = _withheld_why(item, verdict, forbidden, cause_rank)
        if why:
            out.withheld.append(Withheld(item.id, item.name, item.kind, phrases.english_text(why[1], cat), why[0],
                                         why[1]))
            continue
        for_causes = sorted(entry.causes, key=lambda c: cause_rank.get(c, unranked))
        lead_rank = verdict.lead_rank(item)
        dose_json = compiled.dose_json.get(rec_id)
        rec = Recommendation(
            id=item.id, name=item.name, kind=item.kind, tags=list(item.sorted_tags),
            dose=item.dose.to_dict() if dose_json is None else orjson.loads(dose_json),
            instructions=item.instructions, for_causes=for_causes, reasons=entry.reasons,
            sources=list(item.sources), citations=list(item.citations), intensity=item.intensity,
            for_triage=level if entry.by_triage else None, leads=lead_rank < len(verdict.lead_with),
            steps=list(item.steps), progression=_guidance(item.progression), stop_if=_guidance(item.stop_if))
        # what the policy puts first, then triage-driven items, then by the best-ranked cause served, then catalogue order
        best_cause = min((cause_rank.get(c, 99) for c in for_causes), default=99)
        key = (lead_rank, 0 if entry.by_triage else 1, best_cause, rec_order[rec_id])
        ranked.append((key, rec))
    ranked.sort(key=lambda kr: kr[0])
    out.recommendations = [rec for _, rec in ranked]
    out.withheld.sort(key=lambda w: rec_order[w.id])
    return out


def _guidance(note) -> Guidance | None:
    return None if note is None else Guidance(note.text, list(note.citations))


def _withheld_why(item, verdict: PolicyVerdict, forbidden, cause_rank) -> tuple[str, dict] | None:
    """(what withheld it, why as a phrase) when the item must not be recommended."""
    line = verdict.withholds(item)
    if line is not None:
        return line.id, phrases.withheld_by_policy(line.id)
    tags = item.policy_tags
    for avoid_item, forbids in forbidden:
        if tags & forbids:
            return f"avoid.{avoid_item.id}", phrases.withheld_by_avoid(avoid_item.id)
    clash = [c for c in item.not_with_causes if c in cause_rank]
    if clash:
        return f"{item.id}.not_with_causes", phrases.withheld_by_cause(clash)
    return None
