"""Lint checks of the programme rulesets (``kind: programme``) against the whole catalogue.

Loading and building already reject a malformed programme ruleset, unknown kinds, tags, items and
facts, and a dose entry that is not a valid dose. This adds what only the whole shows:

* an exercise that can be chosen for a programme but has no full dose (sets, an amount, how often)
  from its sources and the starting doses together: it would never be chosen (error);
* limits that make no sense (no exercise at all, more per cause than in the whole programme);
* tags, jobs, fit rules, phases and dose entries that no item can ever use (warnings);
* a kind of item no list takes, and a fit rule whose code is one the selection uses itself;
* programme rules without settings (no programme is chosen at all).
"""
from __future__ import annotations

from typing import Iterable

from decision_core.catalogue.model import Catalogue, RulesetDocument
from decision_core.catalogue.dose import Dose
from decision_core.lint.issues import ERROR, WARNING, Issue
from decision_core.evaluation.prescription import EXERCISES, WHY_CODES, ProgrammeSelector, starting_dose_entries

_KINDS = ("exercise", "lifestyle", "self_care", "referral")


def programme_issues(catalogue: Catalogue, target_ids: set[str], docs: list[RulesetDocument]) -> list[Issue]:
    """The issues of the programme rules, for the linted rulesets (``target_ids``)."""
    parts = [d for d in docs if d.programme is not None]
    rules = catalogue.programme
    if rules is None:
        return [Issue(WARNING, "programme_without_settings", "this programme ruleset adds to the programme, but no "
                      "programme ruleset sets its settings (limits, phases, length): no programme is chosen",
                      d.info.path, "settings", None, d.info.origin) for d in parts]
    out: list[Issue] = []
    where = {d.info.id: d for d in parts}
    owner = where.get(rules.settings.ruleset)
    if owner is not None:
        out.extend(_settings_issues(catalogue, owner))
    selector = ProgrammeSelector(catalogue)
    items = list(catalogue.recommendations.values())
    carried = {t for item in items for t in item.policy_tags}
    programme_linted = bool(where)
    for item in items:
        if item.ruleset not in target_ids and not programme_linted:
            continue
        tags = item.policy_tags
        section = selector.section(item, tags)
        if section is None:
            out.append(Issue(WARNING, "never_in_programme", f"item '{item.id}' is of kind '{item.kind}', which no list "
                             "of the programme takes (settings exercise_kinds, everyday, always)", _path(catalogue, item),
                             f"item {item.id}", "kind"))
        elif section == EXERCISES:
            dose, _ = selector.exercise_dose(item)
            missing = dose.missing("exercise")
            if missing:
                out.append(Issue(ERROR, "exercise_without_dose",
                                 f"exercise '{item.id}' can be chosen for a programme, but neither its sources nor the "
                                 f"starting doses give it {', '.join(missing)}: it would never be chosen; add a starting "
                                 f"dose (doses: - item: {item.id} ... in a programme ruleset)", _path(catalogue, item),
                                 f"item {item.id}", "dose"))
    # what a starting dose is for: the exercises, in the phases or in the everyday list (a warm-up)
    exercises = [i for i in items if selector.section(i, i.policy_tags) == EXERCISES or i.kind == "exercise"]
    for doc in parts:
        out.extend(_part_issues(doc, rules, items, exercises, carried))
    return out


def _path(catalogue: Catalogue, item) -> str | None:
    return next((r.path for r in catalogue.rulesets if r.id == item.ruleset), None)


def _settings_issues(catalogue: Catalogue, doc: RulesetDocument) -> Iterable[Issue]:
    s = catalogue.programme.settings
    path, origin = doc.info.path, doc.info.origin

    def issue(severity, code, message, fld):
        return Issue(severity, code, message, path, "settings", fld, origin)

    if s.max_exercises == 0:
        yield issue(WARNING, "programme_limit", "limits.exercises is 0: no programme ever has an exercise", "limits")
    if s.per_cause > max(s.max_exercises, s.max_everyday):
        yield issue(WARNING, "programme_limit", f"limits.per_cause ({s.per_cause}) is more than a whole list may hold "
                    f"(exercises {s.max_exercises}, everyday {s.max_everyday})", "limits")
    if s.max_exercises > 8:
        yield issue(WARNING, "programme_limit", f"limits.exercises is {s.max_exercises}: a focused programme has three "
                    "to five exercises", "limits")
    taken = set(s.exercise_kinds) | set(s.everyday_kinds)
    for kind in _KINDS:
        if kind not in taken and kind not in s.always_tags:
            yield issue(WARNING, "never_in_programme", f"items of kind '{kind}' go to no list of the programme "
                        "(exercise_kinds, everyday.kinds, always)", "exercise_kinds")
    items = catalogue.recommendations.values()
    for phase in s.phases[1:]:
        if not any(item.policy_tags & set(phase.tags) for item in items):
            yield issue(WARNING, "unused_phase", f"phase '{phase.id}': no item carries its tags "
                        f"({', '.join(phase.tags)}), so it is never used", "phases")


def _part_issues(doc: RulesetDocument, rules, items, exercises, carried: set[str]) -> Iterable[Issue]:
    part = doc.programme
    path, origin = doc.info.path, doc.info.origin
    for job in part.jobs:
        holders = [i.id for i in items if job in i.policy_tags]
        if not holders:
            yield Issue(WARNING, "unused_job", f"job '{job}': no item carries this tag", path, "jobs", "jobs", origin)
    for rule in part.fit:
        if rule.why in WHY_CODES:
            yield Issue(ERROR, "invalid_ruleset", f"fit rule '{rule.id}': '{rule.why}' is a code the selection uses "
                        "itself; give the rule its own (fit_...)", path, f"fit {rule.id}", "why", origin)
        if not set(rule.tags) & carried:
            yield Issue(WARNING, "unused_fit_rule", f"fit rule '{rule.id}': no item carries its tags "
                        f"({', '.join(rule.tags)})", path, f"fit {rule.id}", "tags", origin)
    for entry in part.doses:
        matching = [i for i in exercises if i.id == entry.item or (entry.tag is not None and entry.tag in i.policy_tags)]
        if not matching:
            yield Issue(WARNING, "unused_starting_dose", f"starting dose for {entry.key}: no exercise it applies to",
                        path, f"dose {entry.key}", "dose", origin)
        elif not any(_fills(i, entry.dose, rules) for i in matching):
            yield Issue(WARNING, "unused_starting_dose", f"starting dose for {entry.key}: every item it applies to "
                        "already has these figures (from its sources or an earlier entry)", path,
                        f"dose {entry.key}", "dose", origin)


def _fills(item, entry_dose: Dose, rules) -> bool:
    """Whether ``entry_dose`` gives ``item`` a figure that neither its sources nor an earlier entry give."""
    from decision_core.catalogue.dose import with_defaults

    dose = item.dose
    for entry in starting_dose_entries(rules, item.id, item.policy_tags):
        if entry.dose is entry_dose:
            return with_defaults(dose, entry_dose).given() != dose.given()
        dose = with_defaults(dose, entry.dose)
    return False


__all__ = ["programme_issues"]
