"""What the record says about the rules: per rule, recommendation, cause, triage level and ruleset
version, how often it fired, was shown, accepted and overridden (with the reasons), and how the
patients did (follow-ups: improved = GROC >= +2, adherence).

Small counts stay small: every rate comes with its Wilson 95 % interval, and no rate is given over
3 responses or fewer (``rate`` is None; the counts are still there).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from . import models as m
from .followup import IMPROVED_GROC

Z95 = 1.959964
MIN_RESPONSES_FOR_RATE = 4  # "no percentages over 3 responses"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (None when n is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


class _Tally:
    __slots__ = ("fired", "shown", "accepted", "overridden", "reasons", "follow_ups", "improved", "adherence")

    def __init__(self):
        self.fired = self.shown = self.accepted = self.overridden = self.follow_ups = self.improved = 0
        self.reasons: Counter = Counter()
        self.adherence: Counter = Counter()

    def answer(self, row: dict[str, Any]) -> None:
        if row["outcome"] == "overridden":
            self.overridden += 1
            self.reasons[row["reason"] or "unspecified"] += 1
        else:
            self.accepted += 1

    def follow_up(self, row: dict[str, Any]) -> None:
        self.follow_ups += 1
        self.improved += row["groc"] >= IMPROVED_GROC
        if row["adherence"]:
            self.adherence[row["adherence"]] += 1

    def to_dict(self, **head: Any) -> dict[str, Any]:
        responses = self.accepted + self.overridden
        interval = wilson(self.overridden, responses)
        out = {**head, "fired": self.fired, "shown": self.shown, "accepted": self.accepted,
               "overridden": self.overridden, "responses": responses,
               "override_rate": round(self.overridden / responses, 4) if responses >= MIN_RESPONSES_FOR_RATE else None,
               "override_interval": [round(v, 4) for v in interval] if interval else None,
               "reasons": dict(self.reasons.most_common()),
               "follow_ups": self.follow_ups, "improved": self.improved,
               "improved_interval": [round(v, 4) for v in wilson(self.improved, self.follow_ups)]
               if self.follow_ups else None,
               "adherence": {k: self.adherence.get(k, 0) for k in ("all", "some", "none")}}
        return out


def _order(row: dict[str, Any]) -> tuple:
    # most overridden first, by the interval's lower bound: a rule overridden 4 times in 4 does not outrank one
    # overridden 60 times in 100
    lower = row["override_interval"][0] if row["override_interval"] else -1.0
    return (-lower, -row["overridden"], str(row.get("id")))


def analyse(store, since: datetime | None = None, catalogue=None) -> dict[str, Any]:
    """The analytics of the records made since ``since`` (all when None). ``catalogue``: names each
    rule's ruleset file."""
    records = {r["id"]: r for r in store.rows(m.records, since)}
    items: dict[str, list[dict]] = defaultdict(list)
    for row in store.rows(m.record_items):
        if row["record_id"] in records:
            items[row["record_id"]].append(row)
    feedback = [r for r in store.rows(m.feedback) if r["record_id"] in records]
    follow_ups = [r for r in store.rows(m.follow_ups) if r["record_id"] in records]

    rules: dict[str, _Tally] = defaultdict(_Tally)
    kinds = {"cause": defaultdict(_Tally), "recommendation": defaultdict(_Tally), "triage": defaultdict(_Tally)}
    versions: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for record in records.values():
        for rule in record["fired_rules"]:
            rules[rule].fired += 1
        shown = set(record["triage_rules"])
        kinds["triage"][record["triage"]].shown += 1
        for item in items[record["id"]]:
            if item["kind"] in kinds:
                kinds[item["kind"]][item["item_id"]].shown += 1
                shown.update(item["rules"])
        for rule in shown:
            rules[rule].shown += 1
        for ruleset, version in record["rulesets"].items():
            versions[(ruleset, version)].shown += 1
    for row in feedback:
        record = records[row["record_id"]]
        for rule in row["rules"]:
            rules[rule].answer(row)
        for ruleset, version in record["rulesets"].items():
            versions[(ruleset, version)].answer(row)
        if row["target_kind"] in kinds:
            kinds[row["target_kind"]][row["target_id"]].answer(row)
        elif row["outcome"] == "overridden" and row["reason"] == "disagree-cause":
            top = next((i["item_id"] for i in items[record["id"]] if i["kind"] == "cause" and i["rank"] == 1), None)
            if top:
                kinds["cause"][top].answer(row)
        else:  # a card is headed by its triage: an answer to the card is the triage's
            kinds["triage"][record["triage"]].answer(row)
    for row in follow_ups:
        record = records[row["record_id"]]
        kinds["triage"][record["triage"]].follow_up(row)
        for item in items[record["id"]]:
            if item["kind"] in ("cause", "recommendation"):
                kinds[item["kind"]][item["item_id"]].follow_up(row)
        for ruleset, version in record["rulesets"].items():
            versions[(ruleset, version)].follow_up(row)

    files = rule_files(catalogue)
    rule_rows = [t.to_dict(id=rule, ruleset=files.get(rule, (None, None))[0], file=files.get(rule, (None, None))[1])
                 for rule, t in rules.items()]
    return {
        "since": since.date().isoformat() if since else None,
        "records": len(records), "feedback": len(feedback), "follow_ups": len(follow_ups),
        "improved_groc": IMPROVED_GROC, "min_responses_for_rate": MIN_RESPONSES_FOR_RATE,
        "rules": sorted(rule_rows, key=_order),
        "recommendations": sorted((t.to_dict(id=k) for k, t in kinds["recommendation"].items()), key=_order),
        "causes": sorted((t.to_dict(id=k) for k, t in kinds["cause"].items()), key=_order),
        "triage": sorted((t.to_dict(id=k) for k, t in kinds["triage"].items()), key=_order),
        "rulesets": [dict(t.to_dict(id=r), version=v, records=t.shown)
                     for (r, v), t in sorted(versions.items())],
    }


def rule_files(catalogue) -> dict[str, tuple[str, str]]:
    """rule id -> (ruleset id, its file), from a catalogue (empty without one)."""
    if catalogue is None:
        return {}
    paths = {r.id: r.path for r in catalogue.rulesets}
    return {rule.id: (rule.ruleset, paths.get(rule.ruleset)) for rule in catalogue.rules}
