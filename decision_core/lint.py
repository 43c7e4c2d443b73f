"""``decision-core lint``: checks rulesets beyond what loading them checks.

Loading already rejects malformed files, unknown facts, causes and items,
values outside a fact's range and duplicate ids. The linter reports all of
those at once (every file, not the first failure) and adds what only a look at
the whole catalogue shows:

* unreachable rules: conditions that can never hold together (``x >= 8`` and
  ``x < 5``, ``x > 24`` when 24 is the most ``x`` can be, ``a is b`` and
  ``a is c``), findings that no reachable rule concludes, causes that can never
  reach their threshold, triage levels no rule reaches;
* recommendations a rule can only ever recommend to have them withheld;
* causes without recommendations, rules and items without sources, sources a
  file does not declare in its header;
* citations: an article cited without a quote, and (``--sources DIR``) quotes
  not found in their source's text (:mod:`decision_core.lint_sources`);
* conflicting doses: one recommendation id (or one exercise name) with two
  different doses in two rulesets;
* durable-rules limits: distinct tests on the case node and case properties;
* patient texts without a translation, per language (:mod:`decision_core.lint_translations`).

Errors make ``decision-core lint`` exit non-zero; warnings do not (unless
``--strict``).
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import yaml_text
from .catalogue import (
    BUILTIN_ORIGIN,
    Catalogue,
    CatalogueBuilder,
    Problem,
    Rule,
    RulesetDocument,
    RulesetError,
    _display,
    load_ruleset_file,
    ruleset_files,
)
from .dose import Dose, dose_text, same_figures
from .lint_sources import citation_issues, load_source_texts, registry_of
from .lint_translations import locale_dirs_near, translation_issues
from .policy import withholding_line
from .sources import generated_rule as _generated

ERROR, WARNING = "error", "warning"
# What files linted by path (not installed through a plugin) are attributed to.
LINTED = "linted-files"

# Loader messages -> lint codes, so that tools can filter on them.
_PROBLEM_CODES = (
    (re.compile(r"unknown fact"), "unknown_fact"),
    (re.compile(r"unknown cause"), "unknown_cause"),
    (re.compile(r"unknown recommendation"), "unknown_recommendation"),
    (re.compile(r"unknown avoid"), "unknown_avoid_item"),
    (re.compile(r"unknown triage level"), "unknown_triage_level"),
    (re.compile(r"no rule concludes finding"), "finding_never_concluded"),
    (re.compile(r"outside the range"), "value_out_of_range"),
    (re.compile(r"is not a value of"), "unknown_value"),
    (re.compile(r"is already defined by"), "duplicate"),
    (re.compile(r"^unknown source"), "unknown_source"),
)
_DUPLICATE = re.compile(r"^(ruleset|fact|cause|recommendation|avoid item|source|rule) '([^']+)' is already defined by")


@dataclass(frozen=True)
class Issue:
    severity: str
    code: str
    message: str
    file: str | None = None
    rule: str | None = None
    field: str | None = None
    plugin: str | None = None

    def __str__(self) -> str:
        where = self.file or "(catalogue)"
        if self.plugin and self.plugin not in (BUILTIN_ORIGIN, LINTED):
            where += f" (plugin {self.plugin})"
        if self.rule:
            where += f", {self.rule if self.rule.startswith(('item ', 'fact ', 'cause ')) else 'rule ' + self.rule}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.severity} [{self.code}] {self.message}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class LintReport:
    issues: list[Issue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def to_dict(self) -> dict:
        return {"ok": self.ok(), "errors": len(self.errors), "warnings": len(self.warnings),
                "issues": [i.to_dict() for i in self.issues], "files": self.files, "stats": self.stats}

    def text(self) -> str:
        lines = [str(i) for i in self.issues]
        s = self.stats
        if s.get("rules") is not None:
            lines.append(f"{len(self.files)} files checked: {s['rulesets']} rulesets, {s['rules']} rules, "
                         f"{s['facts']} facts, {s['causes']} causes, {s['recommendations']} recommendations")
        if s.get("quotes_checked") is not None:
            lines.append(f"{s['quotes_checked']} quotes checked against the source texts in {s['source_texts']}")
        if s.get("case_shards") is not None:
            lines.append(f"durable-rules: {s['distinct_case_tests']} distinct case tests, {s['case_properties']} case "
                         f"properties: the case goes as {s['case_shards']} fact(s) (engines/shards.py)")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ entry points


def lint_paths(paths: Iterable[Path | str], standalone: bool | None = None,
               sources_dir: Path | str | None = None) -> LintReport:
    """Lint ruleset files or folders.

    They are checked together with the installed catalogue (built-ins and
    installed plugins), since a plugin's rules read the core's facts; an
    installed ruleset with the same id as a linted one is replaced by it (so a
    working copy of an installed plugin can be linted). ``standalone`` checks
    the files alone; by default that is chosen when they define triage levels
    (a whole catalogue of their own). ``sources_dir``: check every quote against
    the source texts there (``NNN_*.txt``).
    """
    texts = load_source_texts(sources_dir) if sources_dir is not None else None
    targets: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        files = ruleset_files(path) if path.is_dir() else [path]
        targets.extend((f, LINTED) for f in files)
    if not targets:
        raise FileNotFoundError("no *.yaml ruleset files in " + ", ".join(str(p) for p in paths))
    docs, issues = _load(targets)
    if standalone is None:
        standalone = any(d.levels for d in docs)
    context: list[RulesetDocument] = []
    own_locales = locale_dirs_near(Path(p) for p in paths)
    locales = list(own_locales)
    if not standalone:
        context, context_issues = _installed_documents(quiet=True, locale_dirs=locales)
        issues.extend(context_issues)
    # the languages checked: those the linted files' own catalogues have
    langs = sorted({lang.parent.parent.name for d in own_locales for lang in d.glob("*/LC_MESSAGES/*.po")})
    return _lint(docs, issues, [str(_display(f)) for f, _ in targets], context, texts, sources_dir,
                 (locales, langs))


def lint_installed(sources_dir: Path | str | None = None) -> LintReport:
    """Lint the installed catalogue: every ruleset of the built-ins and the installed plugins."""
    texts = load_source_texts(sources_dir) if sources_dir is not None else None
    locales: list[Path] = []
    docs, issues = _installed_documents(quiet=False, locale_dirs=locales)
    return _lint(docs, issues, [d.info.path for d in docs], [], texts, sources_dir, (locales, None))


def _installed_documents(quiet: bool, locale_dirs: list[Path] | None = None) -> tuple[list[RulesetDocument], list[Issue]]:
    """The installed plugins' documents; ``locale_dirs``, when given, receives their locale folders."""
    from .plugin_manager import load_plugins

    docs: list[RulesetDocument] = []
    issues: list[Issue] = []
    for loaded in load_plugins():
        info = loaded.info
        origin = BUILTIN_ORIGIN if info.builtin else info.name
        if loaded.contributions is None:
            if info.status == "failed" and not quiet:
                issues.append(Issue(ERROR, "plugin_failed", info.error or "failed", plugin=info.name))
            continue
        if locale_dirs is not None:
            locale_dirs.extend(d for d in loaded.contributions.locale_dirs if d not in locale_dirs)
        found, problems = _load([(p, origin) for p in loaded.contributions.ruleset_files])
        docs.extend(found)
        if loaded.contributions.facts:
            docs.append(loaded.contributions.facts)
        if not quiet:
            issues.extend(problems)
    return docs, issues


def _load(targets: list[tuple[Path, str]]) -> tuple[list[RulesetDocument], list[Issue]]:
    docs, issues = [], []
    for path, origin in targets:
        try:
            doc = load_ruleset_file(path, origin)
        except RulesetError as exc:
            issues.extend(_from_problem(p) for p in exc.problems)
            continue
        docs.append(doc)
        issues.extend(_undeclared_sources(path, doc))
    return docs, issues


def _from_problem(p: Problem) -> Issue:
    code, message = "invalid_ruleset", p.message
    if p.field and p.field.split(".")[-1] == "sources" and not message.startswith("unknown source"):
        code = "missing_sources"
        if message.startswith(("Missing data", "Shorter than minimum")):
            message = "no sources: every rule and item cites at least one seed article (e.g. [\"001\"])"
    else:
        for pattern, name in _PROBLEM_CODES:
            if pattern.search(p.message):
                code = name
                break
    return Issue(ERROR, code, message, p.file, p.rule, p.field, p.origin)


def _undeclared_sources(path: Path, doc: RulesetDocument) -> list[Issue]:
    """Sources cited by rules and items but missing from the file header's ``sources`` (when it has one)."""
    try:
        head = yaml_text.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        declared = set(head.get("sources") or ())
    except (OSError, yaml.YAMLError, AttributeError):
        return []
    if not declared:
        return []
    cited: list[tuple[str, Iterable[str]]] = [(f"item {r.id}", r.sources) for r in doc.recommendations]
    cited += [(f"item {a.id}", a.sources) for a in doc.avoid]
    cited += [(r.id, r.sources) for r in doc.rules if not _generated(r)]
    if doc.cause:
        cited.append((f"cause {doc.cause.id}", doc.cause.sources))
    out = []
    for where, sources in cited:
        missing = sorted(set(sources) - declared)
        if missing:
            out.append(Issue(WARNING, "undeclared_source", f"cites {', '.join(missing)}, not in the file's "
                             f"sources ({', '.join(sorted(declared))})", doc.info.path, where, "sources",
                             doc.info.origin))
    return out


# ------------------------------------------------------------------- the checks


def _lint(docs: list[RulesetDocument], issues: list[Issue], files: list[str],
          context: list[RulesetDocument], texts=None, sources_dir=None, translations=None) -> LintReport:
    target_ids = {d.info.id for d in docs}
    context = [d for d in context if d.info.id not in target_ids]
    report = LintReport(list(issues), files)
    dose_issues, docs = _dose_conflicts(context, docs)
    report.issues.extend(dose_issues)
    report.issues.extend(citation_issues(docs, registry_of(context + docs), texts, report.stats))
    if texts is not None:
        report.stats["source_texts"] = str(sources_dir)
    if translations is not None:  # (locale folders, languages to check: None for every one)
        report.issues.extend(translation_issues(docs, translations[0], translations[1], report.stats, Issue,
                                                BUILTIN_ORIGIN))
    catalogue, build_problems, dropped = _lenient_build(context + docs)
    target_files = {d.info.path for d in docs}
    report.issues.extend(_from_problem(p) for p in build_problems
                         if p.file in target_files or p.file == "(catalogue)")
    if catalogue is not None:
        report.issues.extend(_Semantics(catalogue, target_ids, _benefit_of_doubt(dropped)).issues())
        report.issues.extend(_engine_limits(catalogue, report.stats))
        report.stats.update({
            "rulesets": sum(1 for r in catalogue.rulesets if r.id in target_ids),
            "rules": sum(1 for r in catalogue.rules if r.ruleset in target_ids),
            "facts": sum(1 for f in catalogue.facts.values() if f.ruleset in target_ids),
            "causes": sum(1 for c in catalogue.causes.values() if c.ruleset in target_ids),
            "recommendations": sum(1 for r in catalogue.recommendations.values() if r.ruleset in target_ids),
        })
    else:
        report.issues.append(Issue(WARNING, "checks_skipped", "the catalogue does not build, so reachability, "
                                   "recommendation and engine-limit checks were skipped; fix the errors above"))
    report.issues = _unique_sorted(report.issues)
    return report


def _unique_sorted(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for i in issues:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return sorted(out, key=lambda i: (i.file or "~", i.severity != ERROR, i.rule or "", i.code))


def _dose_conflicts(context: list[RulesetDocument], docs: list[RulesetDocument]) -> tuple[list[Issue], list[RulesetDocument]]:
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


def _lenient_build(docs: list[RulesetDocument]) -> tuple[Catalogue | None, list[Problem], list[Rule]]:
    """Build; when that fails, report the first round of problems and retry without the rules and
    items they name, so the semantic checks can still look at the rest. Also returns the rules
    dropped on the way."""
    first: list[Problem] | None = None
    dropped_rules: list[Rule] = []
    for _ in range(5):
        builder = CatalogueBuilder()
        for d in docs:
            builder.add(d)
        try:
            return builder.build(), first or [], dropped_rules
        except RulesetError as exc:
            if first is None:
                first = exc.problems
            kept, dropped = _without(docs, exc.problems)
            if not dropped:
                return None, first, dropped_rules
            kept_ids = {r.id for d in kept for r in d.rules}
            dropped_rules += [r for d in docs for r in d.rules if r.id not in kept_ids]
            docs = kept
    return None, first or [], dropped_rules


def _benefit_of_doubt(dropped: list[Rule]) -> set[tuple[str, str]]:
    """What the rules dropped for an error might have concluded or served: the reachability checks
    assume they would have, so one error is reported once, not again as its consequences."""
    out = {(r.then.kind, r.then.target) for r in dropped}
    out |= {("serves", c.subject) for r in dropped if r.then.kind == "recommend" for c in r.when if c.op == "cause"}
    return out


def _without(docs: list[RulesetDocument], problems: list[Problem]) -> tuple[list[RulesetDocument], bool]:
    drop: dict[str, set[tuple[str, str]]] = {}
    for p in problems:
        keys = drop.setdefault(p.file, set())
        dup = _DUPLICATE.match(p.message)
        if dup:
            keys.add((dup.group(1), dup.group(2)))
        elif p.rule and p.rule.startswith("item "):
            keys.add(("item", p.rule[5:]))
        elif p.rule and p.rule.startswith(("fact ", "cause ", "source ")):
            keys.add(tuple(p.rule.split(" ", 1)))
        elif p.rule:
            keys.add(("rule", p.rule))
    out, dropped = [], False
    seen_ruleset: set[str] = set()
    for d in docs:
        keys = drop.get(d.info.path, set())
        if ("ruleset", d.info.id) in keys and d.info.id in seen_ruleset:
            dropped = True
            continue
        seen_ruleset.add(d.info.id)
        new = dataclasses.replace(
            d,
            rules=[r for r in d.rules if ("rule", r.id) not in keys],
            facts=[f for f in d.facts if ("fact", f.name) not in keys],
            cause=None if d.cause and ("cause", d.cause.id) in keys else d.cause,
            recommendations=[r for r in d.recommendations if not {("item", r.id), ("recommendation", r.id)} & keys],
            avoid=[a for a in d.avoid if not {("item", a.id), ("avoid item", a.id)} & keys],
            sources=[s for s in d.sources if ("source", s.id) not in keys],
        )
        if new.cause is None and d.cause is not None:
            new.rules = [r for r in new.rules if r.then.kind != "cause"]
        if (len(new.rules), len(new.facts), len(new.recommendations), len(new.avoid), len(new.sources), new.cause) != \
                (len(d.rules), len(d.facts), len(d.recommendations), len(d.avoid), len(d.sources), d.cause):
            dropped = True
        out.append(new)
    return out, dropped


class _Semantics:
    """Reachability and consistency checks over a catalogue that builds."""

    def __init__(self, catalogue: Catalogue, target_ids: set[str], doubt: set[tuple[str, str]] = frozenset()):
        self.cat = catalogue
        self.targets = target_ids
        self.doubt = doubt
        self.paths = {r.id: (r.path, r.origin) for r in catalogue.rulesets}
        self.rank = {lv.id: lv.rank for lv in catalogue.levels}
        self.out: list[Issue] = []
        # rules generated from an item's for_causes, reported on the item
        self.generated = {}
        for rec in catalogue.recommendations.values():
            for cid in rec.for_causes:
                self.generated[f"{rec.ruleset}.{rec.id}.for.{cid}"] = rec

    def issue(self, severity: str, code: str, message: str, ruleset: str, where: str | None = None,
              fld: str | None = None) -> None:
        if ruleset not in self.targets:
            return
        path, origin = self.paths.get(ruleset, (None, None))
        self.out.append(Issue(severity, code, message, path, where, fld, origin))

    def rule_issue(self, severity: str, code: str, rule: Rule, message: str) -> None:
        item = self.generated.get(rule.id)
        if item is not None:
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
            if not _satisfiable(fact, conds):
                texts = ", ".join(f"'{c.text}'" for c in conds)
                rng = ""
                if fact.type in ("int", "number") and (fact.min is not None or fact.max is not None):
                    rng = f" ('{name}' is {_range(fact)})"
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


def _range(fact) -> str:
    if fact.min is not None and fact.max is not None:
        return f"{fact.min:g} to {fact.max:g}"
    return f"at least {fact.min:g}" if fact.min is not None else f"at most {fact.max:g}"


def _satisfiable(fact, conds) -> bool:
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
    return _numbers_satisfiable(fact, conds)


def _numbers_satisfiable(fact, conds) -> bool:
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


def _engine_limits(catalogue: Catalogue, stats: dict) -> list[Issue]:
    from .compiler import CompiledRules
    from .engines.shards import ShardError, distinct_case_tests, plan_shards

    compiled = CompiledRules(catalogue)
    stats["case_properties"] = compiled.case_width
    stats["distinct_case_tests"] = distinct_case_tests(compiled)
    try:
        plan = plan_shards(compiled)
    except ShardError as exc:
        stats["case_shards"] = None
        return [Issue(ERROR, "engine_limit", str(exc))]
    # past durable-rules' limits (512 tests under a node, 254 properties a fact) the case goes in shards
    stats["case_shards"] = len(plan.shard_keys) or 1
    return []
