"""The checks a catalogue build makes of each rule, fact and policy line against the rest: what they
read and conclude must exist and fit its type. Each problem comes as its message, the field it is in
and its code (the codes ``decision-core lint`` reports)."""
from __future__ import annotations

from typing import Iterable

from decision_core.catalogue.model import Fact, Group, PolicyLine, Rule
from decision_core.catalogue.programme_rules import ProgrammePart
from decision_core.catalogue.conditions import Condition, Conclusion

INVALID = "invalid_ruleset"
# an unknown conclusion target, by conclusion kind: (how the message names it, code)
_UNKNOWN_TARGET = {
    "cause": ("cause", "unknown_cause"),
    "recommend": ("recommendation", "unknown_recommendation"),
    "avoid": ("avoid", "unknown_avoid_item"),
    "triage": ("triage", "unknown_triage_level"),
}
_FACT_OPS = {
    "bool": ("is_true", "is_false"),
    "int": ("eq", "ne", "in", "gte", "gt", "lte", "lt"),
    "number": ("eq", "ne", "in", "gte", "gt", "lte", "lt"),
    "choice": ("eq", "ne", "in"),
    "choices": ("includes",),
    "list": ("includes",),
}


def check_interview(fact: Fact, facts: dict[str, Fact], groups: dict[str, Group]) -> Iterable[tuple[str, str, str]]:
    """(field, message, code): a fact's group is declared, and its enable_when reads other known facts
    in ways that fit their types."""
    if fact.group is not None and fact.group not in groups:
        yield "group", f"unknown group '{fact.group}' (declared: {', '.join(groups) or 'none'})", INVALID
    for cond in fact.enable_when:
        other = facts.get(cond.subject)
        if other is None:
            yield "enable_when", f"unknown fact '{cond.subject}' in '{cond.text}'", "unknown_fact"
            continue
        for msg, code in check_fact_condition(cond, other):
            yield "enable_when", msg, code


def check_rule(rule: Rule, facts, causes, recs, avoid, level_ids, findings) -> Iterable[tuple[str, str, str]]:
    """(message, field, code) of each reference of ``rule`` that the catalogue cannot resolve."""
    for cond in rule.when:
        if cond.on_fact:
            fact = facts.get(cond.subject)
            if fact is None:
                yield f"unknown fact '{cond.subject}' in '{cond.text}'", "when", "unknown_fact"
                continue
            yield from ((m, "when", code) for m, code in check_fact_condition(cond, fact))
        elif cond.op == "finding":
            if rule.stratum == 2:
                yield f"'{cond.text}': recommendation and avoid rules read causes and triage, not findings", "when", INVALID
            elif cond.subject not in findings:
                yield f"no rule concludes finding '{cond.subject}'", "when", "finding_never_concluded"
        elif cond.op == "cause":
            if rule.stratum == 1:
                yield f"'{cond.text}': only recommendation and avoid rules can read concluded causes", "when", INVALID
            elif cond.subject not in causes:
                yield f"unknown cause '{cond.subject}'", "when", "unknown_cause"
        else:  # triage comparisons
            if rule.stratum == 1:
                yield f"'{cond.text}': only recommendation and avoid rules can read the triage level", "when", INVALID
            elif cond.subject not in level_ids:
                yield f"unknown triage level '{cond.subject}'", "when", "unknown_triage_level"
    kind, target = rule.then.kind, rule.then.target
    known = {"cause": causes, "recommend": recs, "avoid": avoid, "triage": level_ids}.get(kind)
    if known is not None and target not in known:
        named, code = _UNKNOWN_TARGET[kind]
        yield f"unknown {named} '{target}'", "then", code
    if kind == "finding" and any(c.op == "finding" and c.subject == target for c in rule.when):
        yield f"finding '{target}' cannot depend on itself", "when", INVALID


def check_policy_line(line: PolicyLine, facts, causes, level_ids, tags) -> Iterable[tuple[str, str, str]]:
    """(message, field, code): a policy line reads facts, listed causes and the final triage, as
    recommendation rules do."""
    probe = Rule(line.id, line.when, Conclusion("recommend", "", ""), line.says, line.sources, line.ruleset)
    for msg, fld, code in check_rule(probe, facts, causes, {"": None}, {}, level_ids, set()):
        if fld == "when":
            yield msg.replace("recommendation and avoid rules", "policy lines"), fld, code
    for fld in ("withhold", "allow_only", "lead_with"):
        for tag in getattr(line, fld):
            if tag not in tags:
                yield f"unknown tag '{tag}' (declare it under the policy's tags)", fld, INVALID


def check_fact_condition(cond: Condition, fact: Fact) -> Iterable[tuple[str, str]]:
    """(message, code) of each way ``cond`` does not fit ``fact``'s type, values or range."""
    op, t = cond.op, fact.type
    if op not in _FACT_OPS[t]:
        yield f"'{cond.text}' does not fit {t} fact '{fact.name}'", INVALID
        return
    values = cond.value if op == "in" else (cond.value,) if cond.value is not None else ()
    for v in values:
        if t in ("choice", "choices") and v not in fact.values:
            yield f"'{v}' is not a value of '{fact.name}' (values: {', '.join(fact.values)})", "unknown_value"
        if t in ("int", "number"):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                yield f"'{fact.name}' is a number; '{v}' is not", INVALID
            elif (fact.min is not None and v < fact.min) or (fact.max is not None and v > fact.max):
                yield f"{v} is outside the range of '{fact.name}' ({fact.min}..{fact.max})", "value_out_of_range"
        if t == "list" and not isinstance(v, str):
            yield f"'{fact.name}' holds words; '{v}' is not", INVALID


# the kinds of item a recommendations ruleset may declare (catalogue.schema.REC_KINDS)
_ITEM_KINDS = ("exercise", "lifestyle", "self_care", "referral")


def check_programme(part: ProgrammePart, facts: dict[str, Fact], recs, tags) -> Iterable[tuple[str, str, str, str]]:
    """(where, field, message, code): a programme ruleset names known kinds, tags, items and facts, and its
    fit conditions fit the facts they read. Tags are checked only when the catalogue declares some."""

    def unknown_tags(names) -> list[str]:
        return [t for t in names if tags and t not in tags and t not in _ITEM_KINDS]

    s = part.settings
    if s is not None:
        for fld, kinds in (("exercise_kinds", s.exercise_kinds), ("everyday", s.everyday_kinds)):
            for k in kinds:
                if k not in _ITEM_KINDS:
                    yield "settings", fld, f"unknown kind '{k}' (kinds: {', '.join(_ITEM_KINDS)})", INVALID
        for fld, names in (("everyday", s.everyday_tags), ("always", s.always_tags),
                           ("phases", [t for p in s.phases for t in p.tags])):
            for t in unknown_tags(names):
                yield "settings", fld, f"unknown tag '{t}' (declare it under tags)", INVALID
    for t in unknown_tags(part.jobs):
        yield "jobs", "jobs", f"unknown tag '{t}' (declare it under tags)", INVALID
    for rule in part.fit:
        where = f"fit {rule.id}"
        for t in unknown_tags(rule.tags):
            yield where, "tags", f"unknown tag '{t}' (declare it under tags)", INVALID
        for cond in rule.conditions:
            fact = facts.get(cond.subject)
            if fact is None:
                yield where, "all", f"unknown fact '{cond.subject}' in '{cond.text}'", "unknown_fact"
                continue
            for msg, code in check_fact_condition(cond, fact):
                yield where, "all", msg, code
    for entry in part.doses:
        where = f"dose {entry.key}"
        if entry.item is not None and entry.item not in recs:
            yield where, "item", f"unknown recommendation '{entry.item}'", "unknown_recommendation"
        if entry.tag is not None and unknown_tags([entry.tag]):
            yield where, "tag", f"unknown tag '{entry.tag}' (declare it under tags)", INVALID
