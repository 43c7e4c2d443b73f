"""Reachability and consistency of a catalogue that builds: rules that can never fire, findings no
reachable rule concludes, causes that can never be listed, triage levels no rule reaches, items that are
always withheld, causes without recommendations, unused facts and items, items the safety policy cannot
classify."""
from __future__ import annotations

import math

from decision_core.catalogue.model import Catalogue, Rule
from decision_core.lint.issues import Issue
from decision_core.policy.safety import withholding_line


def benefit_of_doubt(left_out: list[Rule]) -> set[tuple[str, str]]:
    """What the rules left out for an error might have concluded or served: the reachability checks
    assume they would have, so one error is reported once, not again as its consequences."""
    out = {(r.then.kind, r.then.target) for r in left_out}
    out |= {("serves", c.subject) for r in left_out if r.then.kind == "recommend" for c in r.when if c.op == "cause"}
    return out


class Semantics:
    """Reachability and consistency checks over a catalogue that builds."""

    def __init__(self, catalogue: Catalogue, target_ids: set[str], doubt: set[tuple[str, str]] = frozenset()):
        self.cat = catalogue
        self.targets = target_ids
        self.doubt = doubt
        self.paths = {r.id: (r.path, r.origin) for r in catalogue.rulesets}
        self.rank = {lv.id: lv.rank for lv in catalogue.levels}
        self.out: list[Issue] = []

    def issue(self, severity: str, code: str, message: str, ruleset: str, where: str | None = None,
              fld: str | None = None) -> None:
        if ruleset not in self.targets:
            return
        path, origin = self.paths.get(ruleset, (None, None))
        self.out.append(Issue(severity, code, message, path, where, fld, origin))

    def rule_issue(self, severity: str, code: str, rule: Rule, message: str) -> None:
        # a rule made from an item's for_causes is reported on the item (when the catalogue has it)
        item = self.cat.recommendations.get(rule.generated_from) if rule.generated_from else None
        if item is not None and item.ruleset == rule.ruleset:
            self.issue(severity, code, f"its for_causes rule for '{rule.when[0].subject}' {message}", rule.ruleset,
                       f"item {item.id}", "for_causes")
        else:
            self.issue(severity, code, message, rule.ruleset, rule.id, "when")

    def issues(self) -> list[Issue]:
        cat = self.cat
        impossible: dict[str, str] = {}
        for rule in cat.rules:
            why = self._facts_contradict(rule)
            if why:
                impossible[rule.id] = why
        # findings: a rule reading one is reachable only if a reachable rule concludes it
        produced: set[str] = {target for kind, target in self.doubt if kind == "finding"}
        changed = True
        while changed:
            changed = False
            for rule in cat.rules:
                if rule.id in impossible or rule.stratum != 1 or rule.then.kind != "finding":
                    continue
                if rule.then.target not in produced and all(c.subject in produced for c in rule.when if c.op == "finding"):
                    produced.add(rule.then.target)
                    changed = True
        for rule in cat.rules:
            if rule.id in impossible:
                continue
            missing = [c.subject for c in rule.when if c.op == "finding" and c.subject not in produced]
            if missing:
                impossible[rule.id] = (f"reads finding '{missing[0]}', which no reachable rule concludes")
        # causes: can the reachable evidence reach the threshold?
        listable: set[str] = set()
        for cause in cat.causes.values():
            rules = [r for r in cat.rules if r.then.kind == "cause" and r.then.target == cause.id]
            best = sum(r.weight for r in rules if r.id not in impossible and (r.weight or 0) > 0)
            strong = any(r.strength == "strong" for r in rules if r.id not in impossible)
            if (best >= cause.threshold and strong) or ("cause", cause.id) in self.doubt:
                listable.add(cause.id)
            elif best >= cause.threshold:
                self.issue("error", "cause_never_listed",
                           f"cause '{cause.id}' can never be listed: a cause needs a strong signal, and none of its "
                           "reachable rules is strong", cause.ruleset, f"cause {cause.id}")
            else:
                self.issue("error", "cause_never_listed",
                           f"cause '{cause.id}' can never be listed: its reachable rules add up to at most "
                           f"{best:g}, below its threshold {cause.threshold:g}", cause.ruleset,
                           f"cause {cause.id}")
        reached = {cat.levels[0].id} | {r.then.target for r in cat.rules
                                         if r.then.kind == "triage" and r.id not in impossible}
        reached |= {target for kind, target in self.doubt if kind == "triage"}
        # stratum 2: causes that can be listed, triage levels that can be reached
        for rule in cat.rules:
            if rule.stratum != 2 or rule.id in impossible:
                continue
            never = [c.subject for c in rule.when if c.op == "cause" and c.subject not in listable]
            if never:
                impossible[rule.id] = f"needs cause '{never[0]}', which can never be listed"
                continue
            if not self._levels_for(rule, reached):
                impossible[rule.id] = self._triage_why(rule, reached)
        for rule in cat.rules:
            if rule.id in impossible:
                self.rule_issue("error", "unreachable_rule", rule, f"can never fire: {impossible[rule.id]}")
        self._withheld(impossible, reached)
        self._coverage(impossible, listable)
        self._tags()
        return self.out

    def _tags(self) -> None:
        """Every item carries tags the safety policy knows, so the policy can classify it."""
        vocabulary = self.cat.tags
        for item in self.cat.recommendations.values():
            if not item.tags:
                self.issue("error", "item_without_tags",
                           f"item '{item.id}' has no tags: the safety policy cannot tell whether it is an exercise, "
                           "a stretch, soft-tissue work... (e.g. tags: [exercise, stretch])", item.ruleset,
                           f"item {item.id}", "tags")
                continue
            unknown = [t for t in item.tags if t not in vocabulary]
            if unknown:
                self.issue("error", "unclassified_item",
                           f"item '{item.id}' has tags the safety policy does not know ({', '.join(unknown)}); "
                           f"known tags: {', '.join(sorted(vocabulary))}", item.ruleset, f"item {item.id}", "tags")

    def _triage_lines(self, level) -> list:
        """The policy lines that hold at a triage level whatever else is known (they read only the triage)."""
        out = []
        for line in self.cat.policy:
            if line.when and all(c.op.startswith("triage") for c in line.when) and \
                    all(self.rank[level.id] >= self.rank[c.subject] if c.op == "triage_at_least"
                        else self.rank[level.id] < self.rank[c.subject] for c in line.when):
                out.append(line)
        return out

    # --- fact conditions

    def _facts_contradict(self, rule: Rule) -> str | None:
        by_fact: dict[str, list] = {}
        for c in rule.fact_conditions:
            by_fact.setdefault(c.subject, []).append(c)
        for name, conds in by_fact.items():
            fact = self.cat.facts.get(name)
            if fact is None:
                continue
            if not satisfiable(fact, conds):
                texts = ", ".join(f"'{c.text}'" for c in conds)
                rng = ""
                if fact.type in ("int", "number") and (fact.min is not None or fact.max is not None):
                    rng = f" ('{name}' is {fact_range(fact)})"
                if len(conds) == 1:
                    return f"{texts} never holds{rng}"
                return f"{texts} can never hold together{rng}"
        return None

    # --- triage

    def _levels_for(self, rule: Rule, reached: set[str]) -> list[str]:
        levels = [lv.id for lv in self.cat.levels if lv.id in reached]
        for c in rule.when:
            if c.op == "triage_at_least":
                levels = [lv for lv in levels if self.rank[lv] >= self.rank[c.subject]]
            elif c.op == "triage_below":
                levels = [lv for lv in levels if self.rank[lv] < self.rank[c.subject]]
        return levels

    def _triage_why(self, rule: Rule, reached: set[str]) -> str:
        conds = [c for c in rule.when if c.op.startswith("triage")]
        texts = " and ".join(f"'{c.text}'" for c in conds)
        unreached = [lv.id for lv in self.cat.levels if lv.id not in reached]
        note = f" (no reachable rule raises the triage to {', '.join(unreached)})" if unreached else ""
        return f"the triage level can never satisfy {texts}{note}"

    def _withheld(self, impossible: dict[str, str], reached: set[str]) -> None:
        """Recommend rules that can fire but whose item is then always withheld."""
        cat = self.cat
        for rule in cat.rules:
            if rule.then.kind != "recommend" or rule.id in impossible:
                continue
            item = cat.recommendations[rule.then.target]
            needs = {c.subject for c in rule.when if c.op == "cause"}
            clash = sorted(needs & set(item.not_with_causes))
            if clash:
                self.rule_issue("error", "always_withheld", rule,
                                f"recommends '{item.id}' only when cause '{clash[0]}' is listed, and the item is "
                                f"withheld whenever '{clash[0]}' is listed (not_with_causes)")
                continue
            levels = self._levels_for(rule, reached)
            if levels and all(withholding_line(item, self._triage_lines(cat.level(lv))) for lv in levels):
                self.rule_issue("error", "always_withheld", rule,
                                f"recommends {item.kind} '{item.id}' only at triage {', '.join(levels)}, "
                                "where it is always withheld")

    def _coverage(self, impossible: dict[str, str], listable: set[str]) -> None:
        cat = self.cat
        live = [r for r in cat.rules if r.id not in impossible]
        served = {c.subject for r in live if r.then.kind == "recommend" for c in r.when if c.op == "cause"}
        served |= {target for kind, target in self.doubt if kind == "serves"}
        for cause in cat.causes.values():
            if cause.id in listable and cause.id not in served:
                self.issue("error", "cause_without_recommendations",
                           f"cause '{cause.id}' has no recommendation: no item lists it in for_causes and no "
                           "recommendation rule reads it", cause.ruleset, f"cause {cause.id}")
        read = {c.subject for r in cat.rules for c in r.fact_conditions}
        for fact in cat.facts.values():
            if fact.name not in read:
                self.issue("warning", "unused_fact", f"no rule reads fact '{fact.name}'", fact.ruleset,
                           f"fact {fact.name}")
            for cid in fact.discriminates:
                if cid in cat.causes and not self._reads(cid, fact.name):
                    self.issue("warning", "discriminates_mismatch",
                               f"fact '{fact.name}' says it discriminates '{cid}', but no rule of that cause "
                               "reads it (directly or through a finding)", fact.ruleset, f"fact {fact.name}",
                               "discriminates")
        recommended = {r.then.target for r in cat.rules if r.then.kind == "recommend"}
        for rec in cat.recommendations.values():
            if rec.id not in recommended:
                self.issue("warning", "unused_recommendation", f"no rule recommends '{rec.id}'", rec.ruleset,
                           f"item {rec.id}")
        raised = {r.then.target for r in cat.rules if r.then.kind == "avoid"}
        for item in cat.avoid.values():
            if item.id not in raised:
                self.issue("warning", "unused_avoid_item", f"no rule raises '{item.id}'", item.ruleset,
                           f"item {item.id}")

    def _reads(self, cause_id: str, fact_name: str) -> bool:
        finding_facts: dict[str, set[str]] = {}
        for _ in range(len(self.cat.rules)):
            before = sum(len(v) for v in finding_facts.values())
            for r in self.cat.rules:
                if r.then.kind == "finding":
                    got = finding_facts.setdefault(r.then.target, set())
                    got.update(c.subject for c in r.fact_conditions)
                    for c in r.when:
                        if c.op == "finding":
                            got.update(finding_facts.get(c.subject, ()))
            if sum(len(v) for v in finding_facts.values()) == before:
                break
        for r in self.cat.rules:
            if r.then.kind == "cause" and r.then.target == cause_id:
                reads = {c.subject for c in r.fact_conditions}
                for c in r.when:
                    if c.op == "finding":
                        reads |= finding_facts.get(c.subject, set())
                if fact_name in reads:
                    return True
        return False


def fact_range(fact) -> str:
    if fact.min is not None and fact.max is not None:
        return f"{fact.min:g} to {fact.max:g}"
    return f"at least {fact.min:g}" if fact.min is not None else f"at most {fact.max:g}"


def satisfiable(fact, conds) -> bool:
    """Can one value of ``fact`` meet every condition in ``conds`` (all on this fact)?"""
    ops = [c.op for c in conds]
    if fact.type == "bool":
        return not ("is_true" in ops and "is_false" in ops)
    if fact.type == "choice":
        allowed = set(fact.values)
        for c in conds:
            if c.op == "eq":
                allowed &= {c.value}
            elif c.op == "ne":
                allowed -= {c.value}
            elif c.op == "in":
                allowed &= set(c.value)
        return bool(allowed)
    if fact.type in ("choices", "list"):
        return len({str(c.value) for c in conds if c.op == "includes"}) <= fact.max_items
    return numbers_satisfiable(fact, conds)


def numbers_satisfiable(fact, conds) -> bool:
    integer = fact.type == "int"
    lo, lo_open = (fact.min, False) if fact.min is not None else (-math.inf, False)
    hi, hi_open = (fact.max, False) if fact.max is not None else (math.inf, False)
    points: set | None = None
    excluded: set = set()
    for c in conds:
        v = c.value
        if c.op in ("gte", "gt"):
            if v > lo or (v == lo and c.op == "gt"):
                lo, lo_open = v, c.op == "gt"
        elif c.op in ("lte", "lt"):
            if v < hi or (v == hi and c.op == "lt"):
                hi, hi_open = v, c.op == "lt"
        elif c.op in ("eq", "in"):
            values = {x for x in (c.value if c.op == "in" else (c.value,))
                      if isinstance(x, (int, float)) and not isinstance(x, bool)}
            points = values if points is None else points & values
        elif c.op == "ne":
            excluded.add(v)

    def inside(x) -> bool:
        return ((x > lo or (x == lo and not lo_open)) and (x < hi or (x == hi and not hi_open))
                and x not in excluded and (not integer or float(x).is_integer()))

    if points is not None:
        return any(inside(x) for x in points)
    if integer:
        first = math.ceil(lo) if lo != -math.inf else -math.inf
        if first == lo and lo_open:
            first += 1
        last = math.floor(hi) if hi != math.inf else math.inf
        if last == hi and hi_open:
            last -= 1
        if first > last:
            return False
        if last - first <= len(excluded):  # few enough integers to try each
            return any(inside(x) for x in range(int(first), int(last) + 1))
        return True
    if lo > hi or (lo == hi and (lo_open or hi_open)):
        return False
    return lo != hi or lo not in excluded
