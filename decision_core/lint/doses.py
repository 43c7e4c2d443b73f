"""Conflicting doses across rulesets: one recommendation id with two doses, or one exercise under two
ids with different doses."""
from __future__ import annotations

import dataclasses
from typing import Any

from decision_core.catalogue.model import RulesetDocument
from decision_core.catalogue.dose import Dose, dose_text, same_figures
from decision_core.lint.issues import ERROR, WARNING, Issue


def dose_conflicts(context: list[RulesetDocument], docs: list[RulesetDocument]) -> tuple[list[Issue], list[RulesetDocument]]:
    """One recommendation id defined twice with different doses; one exercise name under two ids with
    different doses. The second definition of an id is dropped so the build does not report it again."""
    issues: list[Issue] = []
    first_by_id: dict[str, tuple[Any, RulesetDocument]] = {}
    first_by_name: dict[str, tuple[Any, RulesetDocument]] = {}
    targets = {id(d) for d in docs}
    cleaned = []
    for doc in context + docs:
        keep = []
        for rec in doc.recommendations:
            mine = id(doc) in targets
            prev = first_by_id.get(rec.id)
            if prev is not None:
                prev_rec, prev_doc = prev
                if not same_figures(prev_rec.dose, rec.dose) and (mine or id(prev_doc) in targets):
                    issues.append(Issue(ERROR, "conflicting_dose",
                                        f"recommendation '{rec.id}' has dose {_dose(rec.dose)} here and "
                                        f"{_dose(prev_rec.dose)} in {prev_doc.info.path} "
                                        f"(plugin {prev_doc.info.origin}); one item, one dose",
                                        doc.info.path, f"item {rec.id}", "dose", doc.info.origin))
                    continue  # reported; don't let the build report the duplicate too
            else:
                first_by_id[rec.id] = (rec, doc)
                key = " ".join(rec.name.lower().split())
                other = first_by_name.get(key)
                if other is not None and not same_figures(other[0].dose, rec.dose) and (mine or id(other[1]) in targets):
                    issues.append(Issue(WARNING, "conflicting_dose",
                                        f"'{rec.name}' ({rec.id}) has dose {_dose(rec.dose)} here, but "
                                        f"'{other[0].name}' ({other[0].id}) in {other[1].info.path} has "
                                        f"{_dose(other[0].dose)}: the same exercise twice? recommend "
                                        f"'{other[0].id}' instead", doc.info.path, f"item {rec.id}", "dose",
                                        doc.info.origin))
                first_by_name.setdefault(key, (rec, doc))
            keep.append(rec)
        if id(doc) in targets:
            cleaned.append(doc if len(keep) == len(doc.recommendations)
                           else dataclasses.replace(doc, recommendations=keep))
    return issues, cleaned


def _dose(dose: Dose) -> str:
    return f"'{dose_text(dose) or dose.detail or '(none)'}'"
