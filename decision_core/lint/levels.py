"""Lint checks of the triage levels' red-flag declarations (``red_flag``, ``contact`` in the triage ruleset).

An open question that could raise the triage to a red-flag level is a red flag (``result.open_red_flags``);
outputs name those alone, say the triage is not yet known while one is open, and tell the patient whom
to call (the level's ``contact``). So the red-flag levels must be the most severe ones, each with a contact.
"""
from __future__ import annotations

from typing import Iterable

from decision_core.catalogue.model import RulesetDocument
from decision_core.lint.issues import ERROR, WARNING, Issue


def red_flag_level_issues(docs: Iterable[RulesetDocument]) -> list[Issue]:
    out: list[Issue] = []
    for doc in docs:
        if not doc.levels:
            continue

        def issue(severity: str, code: str, message: str, where: str | None = None, fld: str | None = None) -> None:
            out.append(Issue(severity, code, message, doc.info.path, where, fld, doc.info.origin))

        levels = sorted(doc.levels, key=lambda lv: lv.rank)
        flagged = [lv for lv in levels if lv.red_flag]
        if not flagged:
            issue(WARNING, "no_red_flag_level", "no triage level declares red_flag: true, so no open question counts "
                  "as a red flag: outputs will not single any out, nor say the triage is not yet known",
                  fld="levels")
            continue
        if levels[0].red_flag:
            issue(ERROR, "red_flag_level_order", f"'{levels[0].id}' is the least severe level, what a case without "
                  "any warning sign gets; it cannot be a red-flag level", f"level {levels[0].id}", "red_flag")
        for lower, higher in zip(levels, levels[1:]):
            if lower.red_flag and not higher.red_flag:
                issue(ERROR, "red_flag_level_order", f"red-flag level '{lower.id}' is less severe than '{higher.id}', "
                      "which is not one: the red-flag levels must be the most severe ones", f"level {lower.id}",
                      "red_flag")
        for lv in levels:
            if lv.red_flag and not lv.contact:
                issue(ERROR, "red_flag_without_contact", f"red-flag level '{lv.id}' declares no contact (clinic or "
                      "emergency): whom to call when one of its red flags is true", f"level {lv.id}", "contact")
            elif lv.contact and not lv.red_flag:
                issue(WARNING, "unused_contact", f"level '{lv.id}' is not a red-flag level, so its contact is never "
                      "used", f"level {lv.id}", "contact")
    return out
