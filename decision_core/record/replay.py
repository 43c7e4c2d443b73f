"""What a rule change would do to the patients already seen: the recorded facts evaluated again with
the current or a candidate catalogue, compared with what was recorded, record by record.

Reports, with counts and the record ids: triage raised and lowered, causes gained and lost,
recommendations gained and lost, items newly withheld (and records whose facts the candidate no
longer accepts).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from decision_core.intake import InvalidFacts

from . import models as m

CHANGES = ("triage_raised", "triage_lowered", "causes_gained", "causes_lost", "recommendations_gained",
           "recommendations_lost", "newly_withheld", "facts_refused")
EXAMPLES = 5


def replay(store, evaluator, since: datetime | None = None) -> dict[str, Any]:
    """Every record (made since ``since``) against ``evaluator``'s catalogue. For each change, the
    affected record ids and, per item, which records gained or lost it."""
    items: dict[str, list[dict]] = defaultdict(list)
    for row in store.rows(m.record_items):
        items[row["record_id"]].append(row)
    rank = {lv.id: lv.rank for lv in evaluator.catalogue.levels}
    affected: dict[str, list[str]] = {c: [] for c in CHANGES}
    by_item: dict[str, dict[str, list[str]]] = {c: defaultdict(list) for c in CHANGES if c != "facts_refused"}
    total = 0
    for record in sorted(store.rows(m.records, since), key=lambda r: (r["created_at"], r["id"])):
        total += 1
        rid = record["id"]
        try:
            result = evaluator.evaluate(record["facts"])
        except InvalidFacts:
            affected["facts_refused"].append(rid)
            continue
        old = {kind: {i["item_id"] for i in items[rid] if i["kind"] == kind}
               for kind in ("cause", "recommendation", "withheld")}
        new = {"cause": set(result.cause_ids), "recommendation": set(result.recommendation_ids),
               "withheld": {w.id for w in result.withheld}}
        before, after = rank.get(record["triage"]), rank.get(result.triage.level)
        if before is not None and after is not None and after != before:
            change = "triage_raised" if after > before else "triage_lowered"
            affected[change].append(rid)
            by_item[change][f"{record['triage']} -> {result.triage.level}"].append(rid)
        for change, kind, diff in (("causes_gained", "cause", new["cause"] - old["cause"]),
                                   ("causes_lost", "cause", old["cause"] - new["cause"]),
                                   ("recommendations_gained", "recommendation",
                                    new["recommendation"] - old["recommendation"]),
                                   ("recommendations_lost", "recommendation",
                                    old["recommendation"] - new["recommendation"]),
                                   ("newly_withheld", "withheld", new["withheld"] - old["withheld"])):
            if diff:
                affected[change].append(rid)
                for item in sorted(diff):
                    by_item[change][item].append(rid)
    changed = sorted({rid for ids in affected.values() for rid in ids})
    return {
        "records": total,
        "changed": len(changed),
        "changed_records": changed,
        "changes": {c: {"count": len(ids), "examples": ids[:EXAMPLES], "records": ids,
                        "items": {k: {"count": len(v), "examples": v[:EXAMPLES]}
                                  for k, v in sorted(by_item.get(c, {}).items())}}
                    for c, ids in affected.items()},
    }


def replay_text(report: dict[str, Any]) -> str:
    lines = [f"{report['records']} records replayed; {report['changed']} would now be told something different."]
    for change in CHANGES:
        entry = report["changes"][change]
        if not entry["count"]:
            continue
        lines.append(f"  {change.replace('_', ' ')}: {entry['count']} (e.g. {', '.join(entry['examples'])})")
        for item, sub in entry["items"].items():
            lines.append(f"    {item}: {sub['count']} (e.g. {', '.join(sub['examples'][:3])})")
    return "\n".join(lines) + "\n"
