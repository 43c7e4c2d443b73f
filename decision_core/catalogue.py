"""The catalogue: every fact, cause, triage level, recommendation, avoid item and
rule that takes part in an evaluation, loaded from ruleset files and checked
as a whole.

The engine knows nothing about hamstrings: all of that is in the files.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Iterable

import yaml
from marshmallow import ValidationError

from .catalogue_model import (  # noqa: F401  (re-exported: the catalogue's public names)
    BUILTIN_ORIGIN,
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
    RulesetInfo,
)
from .citations import source_ids
from .conditions import Condition, Conclusion
from .ruleset_schema import (
    ALLOWED_CONCLUSIONS,
    AvoidSchema,
    PolicyLineSchema,
    RecommendationSchema,
    RuleSchema,
    RulesetFileSchema,
    STRENGTH_WEIGHTS,
    flatten_messages,
    rule_label,
)
from .sources import Source, SourceEntrySchema, make_source, unknown_source_problems

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- loading files


# libyaml's safe loader when PyYAML was built with it: a 10x catalogue's files load ~10x faster
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _display(path: Path | str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def load_ruleset_file(path: Path | str, origin: str = BUILTIN_ORIGIN) -> RulesetDocument:
    """Read and validate one ruleset file. Raise RulesetError naming file, rule, field."""
    name = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError([Problem(name, None, None, f"cannot read file: {exc}", origin)]) from exc
    try:
        raw = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise RulesetError([Problem(name, None, None, f"not valid YAML: {exc}", origin)]) from exc
    return parse_ruleset(raw, name, origin)


def parse_ruleset(raw: Any, name: str, origin: str = BUILTIN_ORIGIN) -> RulesetDocument:
    if not isinstance(raw, dict):
        raise RulesetError([Problem(name, None, None, "a ruleset file must be a mapping with ruleset, version, kind", origin)])
    problems: list[Problem] = []
    try:
        head = RulesetFileSchema().load(raw)
    except ValidationError as exc:
        for fld, msg in flatten_messages(exc.messages):
            problems.append(Problem(name, None, fld, msg, origin))
        raise RulesetError(problems) from exc

    kind = head["kind"]
    rid = head["ruleset"]
    info = RulesetInfo(rid, head["version"], kind, head["title"], origin, name)
    doc = RulesetDocument(info=info, rules=[])

    for f in head.get("facts") or []:
        labels = f.get("value_labels") or {}
        doc.facts.append(Fact(ruleset=rid, **{**f, "values": tuple(f.get("values", ())),
                                              "discriminates": tuple(f.get("discriminates", ())),
                                              "enable_when": tuple(f.get("enable_when", ())),
                                              "value_labels": tuple((v, " ".join(labels[v].split()))
                                                                    for v in f.get("values", ()) if v in labels)}))
    doc.groups.extend(Group(g["id"], " ".join(g["title"].split()), rid) for g in head.get("groups") or ())
    if kind == "cause":
        c = head["cause"]
        doc.cause = Cause(c["id"], c["name"], (c.get("why") or c["explanation"]).strip(), source_ids(c["sources"]), rid,
                          c["threshold"], citations=tuple(c["sources"]), fix=c.get("fix", "").strip())
    for rank, lv in enumerate(head.get("levels") or []):
        doc.levels.append(Level(lv["id"], lv["name"], lv["advice"], rank, lv.get("advice_while_unconfirmed"),
                                tuple((line["says"], line["contact"]) for line in lv.get("seek_care_if") or ()),
                                lv["stops_interview"]))
    doc.tags = dict(head.get("tags") or {})

    def valid(section: str, schema: type, prefix: str = ""):
        """Each entry of a section that its schema accepts, with its label; the others become problems."""
        for i, raw_entry in enumerate(head.get(section) or []):
            label = prefix + rule_label(raw_entry, i)
            try:
                yield label, schema().load(raw_entry)
            except ValidationError as exc:
                problems.extend(Problem(name, label, fld, msg, origin) for fld, msg in flatten_messages(exc.messages))

    for _, ln in valid("lines", PolicyLineSchema):
        doc.policy.append(PolicyLine(
            ln["id"], tuple(ln["when"]), ln["says"], source_ids(ln["sources"]), rid, tuple(ln["withhold"]),
            tuple(ln["allow_only"]), ln.get("max_intensity"), tuple(ln["lead_with"]), ln["hold_programme"],
            citations=tuple(ln["sources"])))

    for _, entry in valid("entries", SourceEntrySchema, "source "):
        doc.sources.append(make_source(entry, rid, origin))

    item_schema = {"recommendations": RecommendationSchema, "avoid": AvoidSchema}.get(kind)
    for _, item in valid("items", item_schema, "item "):
        if kind == "recommendations":
            steps = tuple(" ".join(step.split()) for step in item["steps"])
            rec = Recommendation(
                id=item["id"], name=item["name"], kind=item["kind"],
                instructions=" ".join((item.get("instructions") or " ".join(steps)).split()),
                sources=(), ruleset=rid, intensity=item.get("intensity"),
                dose=item["dose"], for_causes=tuple(item["for_causes"]),
                not_with_causes=tuple(item["not_with_causes"]), citations=tuple(item["sources"]),
                tags=tuple(item["tags"]), steps=steps, progression=item.get("progression"),
                stop_if=item.get("stop_if"))
            doc.recommendations.append(dataclasses.replace(rec, sources=source_ids(rec.all_citations)))
        else:
            doc.avoid.append(AvoidItem(item["id"], item["name"], item["why"], source_ids(item["sources"]), rid,
                                       citations=tuple(item["sources"]), forbids=tuple(item["forbids"])))

    allowed = ALLOWED_CONCLUSIONS[kind]
    for label, r in valid("rules", RuleSchema):
        if r["then"].kind not in allowed:
            problems.append(Problem(name, label, "then", f"a {kind} ruleset cannot conclude '{r['then'].kind}'"
                                    + (f" (allowed: {', '.join(allowed)})" if allowed else ""), origin))
            continue
        weight = r.get("weight")
        if r["then"].kind == "cause" and weight is None:
            weight = STRENGTH_WEIGHTS[r["strength"]]
        doc.rules.append(Rule(r["id"], tuple(r["when"]), r["then"], r["because"], source_ids(r["sources"]), rid,
                              weight, r.get("strength") or (None if weight is None else ("against" if weight < 0 else "supporting")),
                              citations=tuple(r["sources"])))
    # for_causes is shorthand for one rule per cause.
    for rec in doc.recommendations:
        for cause_id in rec.for_causes:
            doc.rules.append(Rule(
                f"{rid}.{rec.id}.for.{cause_id}", (Condition("cause", cause_id, None, f"cause {cause_id}"),),
                Conclusion("recommend", rec.id, f"recommend {rec.id}"),
                f"recommended for {cause_id}", rec.sources, rid, citations=rec.citations))
    if problems:
        raise RulesetError(problems)
    return doc


def ruleset_files(directory: Path | str) -> list[Path]:
    return sorted(p for p in Path(directory).rglob("*.yaml") if p.is_file())


# ------------------------------------------------------------- building a whole


class CatalogueBuilder:
    """Merges ruleset documents, rejecting duplicates and dangling references."""

    def __init__(self) -> None:
        self.docs: list[RulesetDocument] = []

    def add(self, doc: RulesetDocument) -> None:
        self.docs.append(doc)

    def build(self) -> Catalogue:
        problems: list[Problem] = []
        owners: dict[tuple[str, str], RulesetDocument] = {}

        def claim(kind: str, key: str, doc: RulesetDocument, rule: str | None = None) -> bool:
            prev = owners.get((kind, key))
            if prev is None:
                owners[(kind, key)] = doc
                return True
            problems.append(Problem(
                doc.info.path, rule, None,
                f"{kind} '{key}' is already defined by {prev.info.path} (plugin {prev.info.origin}); "
                f"plugin {doc.info.origin} defines it again", doc.info.origin))
            return False

        facts: dict[str, Fact] = {}
        groups: dict[str, Group] = {}
        causes: dict[str, Cause] = {}
        recs: dict[str, Recommendation] = {}
        avoid: dict[str, AvoidItem] = {}
        sources: dict[str, Source] = {}
        levels: list[Level] = []
        policy: list[PolicyLine] = []
        tags: dict[str, str] = {}
        line_docs: dict[str, RulesetDocument] = {}
        rules: list[Rule] = []
        rule_docs: dict[str, RulesetDocument] = {}
        for doc in self.docs:
            if not claim("ruleset", doc.info.id, doc):
                continue
            for f in doc.facts:
                if claim("fact", f.name, doc):
                    facts[f.name] = f
            for grp in doc.groups:
                if claim("group", grp.id, doc):
                    groups[grp.id] = grp
            if doc.cause and claim("cause", doc.cause.id, doc):
                causes[doc.cause.id] = doc.cause
            if doc.levels:
                if levels:
                    problems.append(Problem(doc.info.path, None, "levels", "triage levels are already defined by another ruleset", doc.info.origin))
                else:
                    levels = list(doc.levels)
            for r in doc.recommendations:
                if claim("recommendation", r.id, doc):
                    recs[r.id] = r
            for a in doc.avoid:
                if claim("avoid item", a.id, doc):
                    avoid[a.id] = a
            for src in doc.sources:
                if claim("source", src.id, doc):
                    sources[src.id] = src
            tags.update(doc.tags)
            for line in doc.policy:
                if claim("policy line", line.id, doc, line.id):
                    policy.append(line)
                    line_docs[line.id] = doc
            for rule in doc.rules:
                if claim("rule", rule.id, doc, rule.id):
                    rules.append(rule)
                    rule_docs[rule.id] = doc
        if not levels:
            problems.append(Problem("(catalogue)", None, "levels", "no triage ruleset defines the triage levels"))
        level_ids = {lv.id for lv in levels}
        findings = {r.then.target for r in rules if r.then.kind == "finding"}

        for rule in rules:
            doc = rule_docs[rule.id]
            for msg, fld in _check_rule(rule, facts, causes, recs, avoid, level_ids, findings):
                problems.append(Problem(doc.info.path, rule.id, fld, msg, doc.info.origin))
            if rule.then.kind == "cause" and rule.then.target in causes and doc.cause and rule.then.target != doc.cause.id:
                problems.append(Problem(doc.info.path, rule.id, "then", f"a cause file may only give evidence for its own cause ({doc.cause.id})", doc.info.origin))
        for fact in facts.values():
            for cid in fact.discriminates:
                if cid not in causes:
                    doc = next(d for d in self.docs if fact in d.facts)
                    problems.append(Problem(doc.info.path, f"fact {fact.name}", "discriminates", f"unknown cause '{cid}'", doc.info.origin))
        for fact in facts.values():
            doc = None
            for fld, msg in _check_interview(fact, facts, groups):
                doc = doc or next(d for d in self.docs if fact in d.facts)
                problems.append(Problem(doc.info.path, f"fact {fact.name}", fld, msg, doc.info.origin))
        for rec in recs.values():
            for cid in rec.not_with_causes:
                if cid not in causes:
                    doc = next(d for d in self.docs if rec in d.recommendations)
                    problems.append(Problem(doc.info.path, f"item {rec.id}", "not_with_causes", f"unknown cause '{cid}'", doc.info.origin))
        for line in policy:
            doc = line_docs[line.id]
            for msg, fld in _check_policy_line(line, facts, causes, level_ids, tags):
                problems.append(Problem(doc.info.path, line.id, fld, msg, doc.info.origin))
        for a in avoid.values():
            unknown = [t for t in a.forbids if t not in tags]
            if unknown and tags:
                doc = next(d for d in self.docs if a in d.avoid)
                problems.append(Problem(doc.info.path, f"item {a.id}", "forbids", f"unknown tag '{unknown[0]}' (not in the policy's tags)", doc.info.origin))
        problems.extend(unknown_source_problems(self.docs, sources))
        if problems:
            raise RulesetError(problems)
        return Catalogue(facts, causes, levels, recs, avoid, rules, [d.info for d in self.docs], policy, tags,
                         sources, groups)


def _check_interview(fact: Fact, facts: dict[str, Fact], groups: dict[str, Group]) -> Iterable[tuple[str, str]]:
    """A fact's group is declared, and its enable_when reads other known facts in ways that fit their types."""
    if fact.group is not None and fact.group not in groups:
        yield "group", f"unknown group '{fact.group}' (declared: {', '.join(groups) or 'none'})"
    for cond in fact.enable_when:
        other = facts.get(cond.subject)
        if other is None:
            yield "enable_when", f"unknown fact '{cond.subject}' in '{cond.text}'"
            continue
        for msg in _check_fact_condition(cond, other):
            yield "enable_when", msg


def _check_rule(rule, facts, causes, recs, avoid, level_ids, findings) -> Iterable[tuple[str, str]]:
    for cond in rule.when:
        if cond.on_fact:
            fact = facts.get(cond.subject)
            if fact is None:
                yield f"unknown fact '{cond.subject}' in '{cond.text}'", "when"
                continue
            yield from ((m, "when") for m in _check_fact_condition(cond, fact))
        elif cond.op == "finding":
            if rule.stratum == 2:
                yield f"'{cond.text}': recommendation and avoid rules read causes and triage, not findings", "when"
            elif cond.subject not in findings:
                yield f"no rule concludes finding '{cond.subject}'", "when"
        elif cond.op == "cause":
            if rule.stratum == 1:
                yield f"'{cond.text}': only recommendation and avoid rules can read concluded causes", "when"
            elif cond.subject not in causes:
                yield f"unknown cause '{cond.subject}'", "when"
        else:  # triage comparisons
            if rule.stratum == 1:
                yield f"'{cond.text}': only recommendation and avoid rules can read the triage level", "when"
            elif cond.subject not in level_ids:
                yield f"unknown triage level '{cond.subject}'", "when"
    kind, target = rule.then.kind, rule.then.target
    known = {"cause": causes, "recommend": recs, "avoid": avoid, "triage": level_ids}.get(kind)
    if known is not None and target not in known:
        yield f"unknown {kind if kind != 'recommend' else 'recommendation'} '{target}'", "then"
    if kind == "finding" and any(c.op == "finding" and c.subject == target for c in rule.when):
        yield f"finding '{target}' cannot depend on itself", "when"


def _check_policy_line(line: PolicyLine, facts, causes, level_ids, tags) -> Iterable[tuple[str, str]]:
    """A policy line reads facts, listed causes and the final triage, as recommendation rules do."""
    probe = Rule(line.id, line.when, Conclusion("recommend", "", ""), line.says, line.sources, line.ruleset)
    for msg, fld in _check_rule(probe, facts, causes, {"": None}, {}, level_ids, set()):
        if fld == "when":
            yield msg.replace("recommendation and avoid rules", "policy lines"), fld
    for fld in ("withhold", "allow_only", "lead_with"):
        for tag in getattr(line, fld):
            if tag not in tags:
                yield f"unknown tag '{tag}' (declare it under the policy's tags)", fld


def _check_fact_condition(cond: Condition, fact: Fact) -> Iterable[str]:
    op, t = cond.op, fact.type
    ok_ops = {
        "bool": ("is_true", "is_false"),
        "int": ("eq", "ne", "in", "gte", "gt", "lte", "lt"),
        "number": ("eq", "ne", "in", "gte", "gt", "lte", "lt"),
        "choice": ("eq", "ne", "in"),
        "choices": ("includes",),
        "list": ("includes",),
    }[t]
    if op not in ok_ops:
        yield f"'{cond.text}' does not fit {t} fact '{fact.name}'"
        return
    values = cond.value if op == "in" else (cond.value,) if cond.value is not None else ()
    for v in values:
        if t in ("choice", "choices") and v not in fact.values:
            yield f"'{v}' is not a value of '{fact.name}' (values: {', '.join(fact.values)})"
        if t in ("int", "number"):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                yield f"'{fact.name}' is a number; '{v}' is not"
            elif (fact.min is not None and v < fact.min) or (fact.max is not None and v > fact.max):
                yield f"{v} is outside the range of '{fact.name}' ({fact.min}..{fact.max})"
        if t == "list" and not isinstance(v, str):
            yield f"'{fact.name}' holds words; '{v}' is not"


def builtin_rulesets_dir() -> Path:
    """Where the built-in ruleset files are, in a checkout or an installed wheel."""
    from importlib import resources

    return Path(str(resources.files("decision_core.rulesets")))


def load_documents(files: Iterable[tuple[Path | str, str]]) -> list[RulesetDocument]:
    """Read and validate (path, origin) ruleset files; all problems of all files in one RulesetError."""
    docs: list[RulesetDocument] = []
    problems: list[Problem] = []
    for path, origin in files:
        try:
            docs.append(load_ruleset_file(path, origin))
        except RulesetError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RulesetError(problems)
    return docs


def load_catalogue(directories: Iterable[tuple[Path | str, str]]) -> Catalogue:
    """Load every ruleset file of (directory, origin) pairs into one catalogue."""
    builder = CatalogueBuilder()
    for doc in load_documents((path, origin) for directory, origin in directories for path in ruleset_files(directory)):
        builder.add(doc)
    return builder.build()


def load_builtin_catalogue() -> Catalogue:
    return load_catalogue([(builtin_rulesets_dir(), BUILTIN_ORIGIN)])
