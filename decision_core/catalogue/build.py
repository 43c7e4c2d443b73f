"""Building a catalogue out of ruleset documents: merging them, rejecting duplicates and dangling
references.

``CatalogueBuilder.build`` is all or nothing: every problem at once in one RulesetError.
``build_lenient`` (lint) reports the same problems, and builds what remains once the things they name
are left out, so that the checks of a whole catalogue can still look at the rest.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable

from decision_core.catalogue.checks import INVALID, check_interview, check_policy_line, check_programme, check_rule
from decision_core.catalogue.model import (
    AvoidItem,
    Catalogue,
    Cause,
    Fact,
    Group,
    Level,
    PolicyLine,
    Problem,
    Recommendation,
    Rule,
    RulesetDocument,
    RulesetError,
)
from decision_core.catalogue.programme_rules import DoseEntry, FitRule, ProgrammeRules, ProgrammeSettings
from decision_core.catalogue.sources import Source, citing

# what a duplicate is called in its message -> the kind of thing it is
_CLAIMED_KINDS = {"recommendation": "item", "avoid item": "item"}
# what a lenient build can leave out of a document (a problem about anything else stops it)
LEAVABLE = frozenset({"ruleset", "rule", "item", "fact", "cause", "source"})


@dataclass
class LenientBuild:
    """What a lenient build makes: the problems of the whole (those ``build`` raises), and the
    catalogue of what remains without the things they name (None when a problem names something that
    cannot be left out, such as a policy line or the triage levels)."""

    catalogue: Catalogue | None
    problems: list[Problem] = field(default_factory=list)
    left_out_rules: list[Rule] = field(default_factory=list)  # rules left out on the way


class CatalogueBuilder:
    """Merges ruleset documents, rejecting duplicates and dangling references."""

    def __init__(self, docs: Iterable[RulesetDocument] = ()) -> None:
        self.docs: list[RulesetDocument] = list(docs)

    def add(self, doc: RulesetDocument) -> None:
        self.docs.append(doc)

    def build(self) -> Catalogue:
        assembly = _Assembly(self.docs)
        if assembly.found:
            raise RulesetError([p for _, p in assembly.found])
        return assembly.catalogue()

    def build_lenient(self) -> LenientBuild:
        docs = self.docs
        assembly = _Assembly(docs)
        out = LenientBuild(None, [p for _, p in assembly.found])
        # What is left out can leave others dangling (a fact's rules, the rules reading a finding only
        # they concluded), so what remains is checked again until it holds together.
        while assembly.found:
            kept = _leave_out(docs, assembly.found)
            if kept is None:
                return out
            kept_ids = {r.id for d in kept for r in d.rules}
            out.left_out_rules += [r for d in docs for r in d.rules if r.id not in kept_ids]
            docs = kept
            assembly = _Assembly(docs)
        out.catalogue = assembly.catalogue()
        return out


class _Assembly:
    """One pass over the documents: what they define (the first definition of each id wins) and every
    problem, each with the document it is in (None: the catalogue as a whole)."""

    def __init__(self, docs: list[RulesetDocument]) -> None:
        self.docs = docs
        self.found: list[tuple[RulesetDocument | None, Problem]] = []
        self.facts: dict[str, Fact] = {}
        self.groups: dict[str, Group] = {}
        self.causes: dict[str, Cause] = {}
        self.recs: dict[str, Recommendation] = {}
        self.avoid: dict[str, AvoidItem] = {}
        self.sources: dict[str, Source] = {}
        self.levels: list[Level] = []
        self.policy: list[PolicyLine] = []
        self.tags: dict[str, str] = {}
        self.rules: list[Rule] = []
        self.programme: ProgrammeSettings | None = None
        self.jobs: list[str] = []
        self.fit: list[FitRule] = []
        self.doses: list[DoseEntry] = []
        self.owner: dict[int, RulesetDocument] = {}  # id() of a fact, item, rule or line -> its document
        self._claimed: dict[tuple[str, str], RulesetDocument] = {}
        self._merge()
        self._check()

    def problem(self, doc: RulesetDocument | None, where: str | None, fld: str | None, message: str,
                code: str = INVALID, kind: str | None = None, key: str | None = None) -> None:
        if doc is None:
            self.found.append((None, Problem("(catalogue)", where, fld, message, None, code, kind, key)))
        else:
            self.found.append((doc, Problem(doc.info.path, where, fld, message, doc.info.origin, code, kind, key)))

    def claim(self, kind: str, key: str, doc: RulesetDocument, where: str | None = None) -> bool:
        prev = self._claimed.get((kind, key))
        if prev is None:
            self._claimed[(kind, key)] = doc
            return True
        self.problem(doc, where, None, f"{kind} '{key}' is already defined by {prev.info.path} (plugin "
                     f"{prev.info.origin}); plugin {doc.info.origin} defines it again", "duplicate",
                     _CLAIMED_KINDS.get(kind, kind), key)
        return False

    def _merge(self) -> None:
        for doc in self.docs:
            if not self.claim("ruleset", doc.info.id, doc):
                continue
            self._keep(doc, "fact", self.facts, ((f.name, f) for f in doc.facts))
            self._keep(doc, "group", self.groups, ((g.id, g) for g in doc.groups))
            if doc.cause and self.claim("cause", doc.cause.id, doc):
                self.causes[doc.cause.id] = doc.cause
            if doc.levels:
                if self.levels:
                    self.problem(doc, None, "levels", "triage levels are already defined by another ruleset",
                                 kind="levels", key=doc.info.id)
                else:
                    self.levels = list(doc.levels)
            self._keep(doc, "recommendation", self.recs, ((r.id, r) for r in doc.recommendations))
            self._keep(doc, "avoid item", self.avoid, ((a.id, a) for a in doc.avoid))
            self._keep(doc, "source", self.sources, ((s.id, s) for s in doc.sources))
            self.tags.update(doc.tags)
            for line in doc.policy:
                if self.claim("policy line", line.id, doc, line.id):
                    self.policy.append(line)
                    self.owner[id(line)] = doc
            if doc.programme is not None:
                self._merge_programme(doc)
            for rule in doc.rules:
                if self.claim("rule", rule.id, doc, rule.id):
                    self.rules.append(rule)
                    self.owner[id(rule)] = doc
        if not self.levels:
            self.problem(None, None, "levels", "no triage ruleset defines the triage levels", kind="levels")

    def _merge_programme(self, doc: RulesetDocument) -> None:
        part = doc.programme
        if part.settings is not None:
            if self.programme is not None:
                self.problem(doc, "settings", None, f"the programme's settings are already defined by ruleset "
                             f"'{self.programme.ruleset}'; a plugin adds jobs, fit rules and doses",
                             "duplicate", "programme", doc.info.id)
            else:
                self.programme = part.settings
        self.jobs.extend(j for j in part.jobs if j not in self.jobs)
        for rule in part.fit:
            if self.claim("fit rule", rule.id, doc, f"fit {rule.id}"):
                self.fit.append(rule)
                self.owner[id(rule)] = doc
        for entry in part.doses:
            if self.claim("starting dose", entry.key, doc, f"dose {entry.key}"):
                self.doses.append(entry)
                self.owner[id(entry)] = doc

    def _keep(self, doc: RulesetDocument, kind: str, into: dict, entries) -> None:
        for key, value in entries:
            if self.claim(kind, key, doc):
                into[key] = value
                self.owner[id(value)] = doc

    def _check(self) -> None:
        level_ids = {lv.id for lv in self.levels}
        findings = {r.then.target for r in self.rules if r.then.kind == "finding"}
        for rule in self.rules:
            doc = self.owner[id(rule)]
            for msg, fld, code in check_rule(rule, self.facts, self.causes, self.recs, self.avoid, level_ids, findings):
                self.problem(doc, rule.id, fld, msg, code, "rule", rule.id)
            if rule.then.kind == "cause" and rule.then.target in self.causes and doc.cause \
                    and rule.then.target != doc.cause.id:
                self.problem(doc, rule.id, "then", "a cause file may only give evidence for its own cause "
                             f"({doc.cause.id})", kind="rule", key=rule.id)
        for fact in self.facts.values():
            for cid in fact.discriminates:
                if cid not in self.causes:
                    self.problem(self.owner[id(fact)], f"fact {fact.name}", "discriminates", f"unknown cause '{cid}'",
                                 "unknown_cause", "fact", fact.name)
        for fact in self.facts.values():
            for fld, msg, code in check_interview(fact, self.facts, self.groups):
                self.problem(self.owner[id(fact)], f"fact {fact.name}", fld, msg, code, "fact", fact.name)
        for rec in self.recs.values():
            for cid in rec.not_with_causes:
                if cid not in self.causes:
                    self.problem(self.owner[id(rec)], f"item {rec.id}", "not_with_causes", f"unknown cause '{cid}'",
                                 "unknown_cause", "item", rec.id)
        for line in self.policy:
            for msg, fld, code in check_policy_line(line, self.facts, self.causes, level_ids, self.tags):
                self.problem(self.owner[id(line)], line.id, fld, msg, code, "policy line", line.id)
        for a in self.avoid.values():
            unknown = [t for t in a.forbids if t not in self.tags]
            if unknown and self.tags:
                self.problem(self.owner[id(a)], f"item {a.id}", "forbids",
                             f"unknown tag '{unknown[0]}' (not in the policy's tags)", kind="item", key=a.id)
        for doc in self.docs:
            if doc.programme is not None:
                for where, fld, msg, code in check_programme(doc.programme, self.facts, self.recs, self.tags):
                    self.problem(doc, where, fld, msg, code, "programme", doc.info.id)
        for doc in self.docs:  # every document, a duplicate ruleset too: its citations are read all the same
            self.found.extend((doc, p) for p in unknown_source_problems(doc, self.sources))

    def catalogue(self) -> Catalogue:
        programme = None if self.programme is None else ProgrammeRules(
            self.programme, frozenset(self.jobs), tuple(self.fit), tuple(self.doses))
        return Catalogue(self.facts, self.causes, self.levels, self.recs, self.avoid, self.rules,
                         [d.info for d in self.docs], self.policy, self.tags, self.sources, self.groups, programme)


def _leave_out(docs: list[RulesetDocument], found: list[tuple[RulesetDocument | None, Problem]]
               ) -> list[RulesetDocument] | None:
    """The documents without what the problems name; None when that leaves nothing out."""
    names: dict[int, set[tuple[str, str]]] = {}
    for doc, p in found:
        if doc is not None and p.kind in LEAVABLE:
            names.setdefault(id(doc), set()).add((p.kind, p.key))
    out, changed = [], False
    for d in docs:
        drop = names.get(id(d), set())
        if ("ruleset", d.info.id) in drop:  # a second definition of a ruleset id
            changed = True
            continue
        new = dataclasses.replace(
            d,
            rules=[r for r in d.rules if ("rule", r.id) not in drop],
            facts=[f for f in d.facts if ("fact", f.name) not in drop],
            cause=None if d.cause and ("cause", d.cause.id) in drop else d.cause,
            recommendations=[r for r in d.recommendations if ("item", r.id) not in drop],
            avoid=[a for a in d.avoid if ("item", a.id) not in drop],
            sources=[s for s in d.sources if ("source", s.id) not in drop],
        )
        if new.cause is None and d.cause is not None:  # its evidence goes with it
            new.rules = [r for r in new.rules if r.then.kind != "cause"]
        if (len(new.rules), len(new.facts), len(new.recommendations), len(new.avoid), len(new.sources), new.cause) != \
                (len(d.rules), len(d.facts), len(d.recommendations), len(d.avoid), len(d.sources), d.cause):
            changed = True
        out.append(new)
    return out if changed else None


def unknown_source_problems(doc: RulesetDocument, registry: dict[str, Source]) -> list[Problem]:
    """A Problem for each citation in ``doc`` of a source id that no ``kind: sources`` ruleset registers."""
    known = ", ".join(sorted(registry)) or "none"
    out = []
    for kind, key, where, citations in citing(doc):
        for sid in dict.fromkeys(c.source for c in citations if c.source not in registry):
            out.append(Problem(doc.info.path, where, "sources",
                               f"unknown source '{sid}': no sources ruleset registers it (registered: {known})",
                               doc.info.origin, "unknown_source", kind, key))
    return out
