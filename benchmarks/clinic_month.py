"""A generated clinic month for the record: evaluations from the benchmark case generator, kept
in a record; clinicians' feedback skewed against one rule; patients' follow-ups.

    python benchmarks/clinic_month.py --database sqlite:////tmp/month.sqlite3 [--evaluations 5000]
    decision-core record report --database sqlite:////tmp/month.sqlite3 --format html -o month.html
    decision-core lint --record sqlite:////tmp/month.sqlite3
    decision-core record replay --database sqlite:////tmp/month.sqlite3 --rulesets <catalogue without the rule>

The skew: a cause shown with the chosen rule among its evidence is overridden ("disagree with the
cause") 3 times in 5; any other cause 1 time in 12. tests/test_record_month.py runs it small.
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import generate_cases  # noqa: E402  (same folder)

from decision_core.catalogue.loading import load_builtin_catalogue  # noqa: E402
from decision_core.evaluation.evaluator import Evaluator  # noqa: E402
from decision_core.record.entry import build_entry  # noqa: E402
from decision_core.record.feedback import OVERRIDE_REASONS, rest_rows  # noqa: E402
from decision_core.record.followup import follow_up_row  # noqa: E402
from decision_core.record.store import RecordStore  # noqa: E402

TARGET_OVERRIDE = 0.6
OTHER_OVERRIDE = 1 / 12
FEEDBACK_SHARE = 0.5
FOLLOW_UP_SHARE = 0.3


def cause_rule_counts(results) -> Counter:
    """How often each rule is among a listed cause's supporting evidence."""
    counts: Counter = Counter()
    for result in results:
        for cause in result.causes:
            counts.update({e.rule for e in cause.evidence if not getattr(e, "against", False)})
    return counts


def generate_month(url: str, evaluations: int = 5000, seed: int = 20, target_rule: str | None = None,
                   engine: str = "plain") -> dict:
    """Fill the record at ``url``; the rule the feedback is skewed against, and what was made."""
    rng = random.Random(seed)
    evaluator = Evaluator(load_builtin_catalogue(), engine)
    results = [evaluator.evaluate(facts) for facts in generate_cases(evaluator.catalogue, evaluations, seed=seed)]
    target = target_rule or cause_rule_counts(results).most_common(1)[0][0]
    store = RecordStore(url)
    start = datetime.now(timezone.utc) - timedelta(days=30)
    ids, feedback_rows, follow_ups = [], [], 0
    for n, result in enumerate(results):
        entry = build_entry(result, "rest", patient_ref=f"patient-{n % (evaluations // 2 + 1)}",
                            now=start + timedelta(seconds=n * 30 * 86400 / max(evaluations, 1)))
        store.insert(entry)
        ids.append(entry["id"])
        record = {"id": entry["id"], "triage": entry["triage"], "triage_rules": entry["triage_rules"],
                  "items": entry["items"]}
        if result.causes and rng.random() < FEEDBACK_SHARE:
            answers = []
            for cause in result.causes:
                against = target in {e.rule for e in cause.evidence if not getattr(e, "against", False)}
                if rng.random() < (TARGET_OVERRIDE if against else OTHER_OVERRIDE):
                    reason = "disagree-cause" if against else rng.choice(list(OVERRIDE_REASONS))
                    answers.append({"about": "cause", "id": cause.id, "verdict": "override", "reason": reason})
                else:
                    answers.append({"about": "cause", "id": cause.id, "verdict": "agree"})
            feedback_rows += rest_rows(record, answers)
        if rng.random() < FOLLOW_UP_SHARE:
            adherence = rng.choice(("all", "all", "some", "none"))
            groc = max(-7, min(7, round(rng.gauss({"all": 3, "some": 1.5, "none": 0}[adherence], 2))))
            store.add_follow_up(follow_up_row(entry["id"], {"groc": groc, "pain": rng.randint(0, 8),
                                                            "adherence": adherence, "comment": None}))
            follow_ups += 1
    for start_at in range(0, len(feedback_rows), 500):
        store.add_feedback(feedback_rows[start_at:start_at + 500])
    store.close()
    return {"target_rule": target, "records": ids, "feedback": len(feedback_rows), "follow_ups": follow_ups}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="the record's database URL (sqlite:///... or postgresql://...)")
    parser.add_argument("--evaluations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--rule", help="the rule the feedback is skewed against (default: the most shown cause rule)")
    args = parser.parse_args(argv)
    made = generate_month(args.database, args.evaluations, args.seed, args.rule)
    print(f"{len(made['records'])} records, {made['feedback']} responses, {made['follow_ups']} follow-ups; "
          f"feedback skewed against rule {made['target_rule']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
