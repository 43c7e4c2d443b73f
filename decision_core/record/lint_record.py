"""``decision-core lint --record URL``: rules the clinic keeps overriding, from the record."""
from __future__ import annotations

from decision_core.lint.issues import WARNING, Issue

OVERRIDE_RATE = 0.30  # warn about a rule overridden in 30 % or more ...
MIN_RESPONSES = 20  # ... of at least 20 responses


def record_issues(url: str, catalogue) -> list[Issue]:
    """A warning per rule overridden in >= 30 % of >= 20 clinicians' responses, naming its file and rule."""
    from .analytics import analyse
    from .store import RecordStore

    store = RecordStore(url)
    try:
        data = analyse(store, catalogue=catalogue)
    finally:
        store.close()
    issues = []
    for row in data["rules"]:
        if row["responses"] >= MIN_RESPONSES and row["overridden"] / row["responses"] >= OVERRIDE_RATE:
            lo, hi = row["override_interval"]
            reasons = ", ".join(f"{k} {v}" for k, v in row["reasons"].items())
            issues.append(Issue(WARNING, "record-overridden",
                                f"overridden in {row['overridden']} of {row['responses']} responses "
                                f"({row['overridden'] / row['responses']:.0%}, 95 % CI {lo:.0%}-{hi:.0%}; {reasons})",
                                file=row["file"], rule=row["id"]))
    return issues
