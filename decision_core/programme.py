"""From stratum-2 firings to the programme: recommendations (merged per item,
listing every cause they serve), what is withheld and why, and what to avoid.

The triage level's policy is applied here, after the rules: a level's
``allowed_kinds`` and ``max_intensity`` override anything a rule recommended.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compiler import CompiledRules
from .scoring import Conclusions, fact_values

INTENSITY_ORDER = {"gentle": 0, "moderate": 1, "vigorous": 2}


@dataclass
class Programme:
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[dict[str, Any]] = field(default_factory=list)
    avoid: list[dict[str, Any]] = field(default_factory=list)


def build_programme(compiled: CompiledRules, facts: dict, conclusions: Conclusions, fired: list[str]) -> Programme:
    cat = compiled.catalogue
    level = cat.level(conclusions.triage_level)
    cause_rank = {c.id: i for i, c in enumerate(conclusions.causes)}
    unranked = len(cause_rank)
    rec_order = compiled.recommendation_order
    merged: dict[str, dict[str, Any]] = {}
    avoid: dict[str, list[dict[str, Any]]] = {}
    for shape in compiled.fired_shapes(fired):
        rule = shape.rule
        reason = {"rule": rule.id, "because": rule.because, "sources": list(rule.sources)}
        if shape.reads:
            vals = fact_values(shape, facts, {})
            if vals:
                reason["facts"] = vals
        if shape.kind == "recommend":
            entry = merged.get(shape.target)
            if entry is None:
                entry = merged[shape.target] = {"causes": list(shape.causes), "reasons": [reason],
                                                "by_triage": shape.by_triage}
                continue
            causes = entry["causes"]
            for c in shape.causes:
                if c not in causes:
                    causes.append(c)
            entry["reasons"].append(reason)
            entry["by_triage"] = entry["by_triage"] or shape.by_triage
        elif shape.kind == "avoid":
            avoid.setdefault(shape.target, []).append(reason)

    out = Programme()
    ranked: list[tuple[tuple, dict[str, Any]]] = []
    for rec_id, entry in merged.items():
        item = cat.recommendations[rec_id]
        clash = [c for c in item.not_with_causes if c in cause_rank]
        why = None
        if item.kind not in level.allowed_kinds:
            why = f"not at triage level {level.id}: {level.advice}"
        elif item.kind == "exercise" and level.max_intensity and \
                INTENSITY_ORDER.get(item.intensity or "vigorous", 2) > INTENSITY_ORDER[level.max_intensity]:
            why = f"too demanding at triage level {level.id}: only {level.max_intensity}, pain-free work for now"
        elif clash:
            why = "withheld because of " + ", ".join(cat.causes[c].name for c in clash) + \
                  " (" + ", ".join(clash) + "): it would work against that cause"
        if why:
            out.withheld.append({"id": item.id, "name": item.name, "kind": item.kind, "reason": why})
            continue
        for_causes = sorted(entry["causes"], key=lambda c: cause_rank.get(c, unranked))
        rec = {
            "id": item.id,
            "name": item.name,
            "kind": item.kind,
            "dose": dict(item.dose),
            "instructions": item.instructions,
            "for_causes": for_causes,
            "reasons": entry["reasons"],
            "sources": list(item.sources),
        }
        if item.intensity:
            rec["intensity"] = item.intensity
        if entry["by_triage"]:
            rec["for_triage"] = level.id
        # triage-driven items first, then by the best-ranked cause they serve, then catalogue order
        best_cause = min((cause_rank.get(c, 99) for c in for_causes), default=99)
        ranked.append(((0 if entry["by_triage"] else 1, best_cause, rec_order[rec_id]), rec))
    ranked.sort(key=lambda kr: kr[0])
    out.recommendations = [rec for _, rec in ranked]
    for aid in sorted(avoid, key=compiled.avoid_order.__getitem__):
        item = cat.avoid[aid]
        out.avoid.append({"id": item.id, "name": item.name, "why": item.why, "reasons": avoid[aid],
                          "sources": list(item.sources)})
    out.withheld.sort(key=lambda w: rec_order[w["id"]])
    return out
