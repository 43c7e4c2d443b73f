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
  not found in their source's text (:mod:`decision_core.lint.sources`);
* conflicting doses: one recommendation id (or one exercise name) with two
  different doses in two rulesets;
* red-flag levels: the most severe levels, each with whom to call (:mod:`decision_core.lint.levels`);
* durable-rules limits: distinct tests on the case node and case properties
  (:mod:`decision_core.lint.limits`);
* the programme rules: an exercise that could be chosen without a full dose, limits that make no
  sense, jobs, fit rules, phases and starting doses nothing uses (:mod:`decision_core.lint.programme`);
* patient texts without a translation, per language (:mod:`decision_core.lint.translations`);
* exercises without a picture (:mod:`decision_core.lint.figures`).

This module assembles the report; the reachability checks are :mod:`decision_core.lint.reach`, the
dose conflicts :mod:`decision_core.lint.doses`. Problems of loading and building come with their codes
(:class:`decision_core.catalogue.loading.Problem`).

Errors make ``decision-core lint`` exit non-zero; warnings do not (unless
``--strict``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import yaml

from decision_core.catalogue import yaml_text
from decision_core.catalogue.loading import (
    BUILTIN_ORIGIN,
    CatalogueBuilder,
    Problem,
    RulesetDocument,
    RulesetError,
    _display,
    load_ruleset_file,
    ruleset_files,
)
from decision_core.lint.doses import dose_conflicts
from decision_core.lint.figures import figure_issues
from decision_core.lint.issues import ERROR, LINTED, WARNING, Issue, LintReport, unique_sorted
from decision_core.lint.levels import red_flag_level_issues
from decision_core.lint.limits import engine_limit_issues
from decision_core.lint.programme import programme_issues
from decision_core.lint.reach import Semantics, benefit_of_doubt
from decision_core.lint.sources import citation_issues, load_source_texts, registry_of
from decision_core.lint.translations import locale_dirs_near, translation_issues

# Problems lint words for ruleset authors: (its code, its message) instead of the loader's.
_WORDED = {
    "no_sources": ("missing_sources", "no sources: every rule and item cites at least one seed article "
                                      "(e.g. [\"001\"])"),
}

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
    from decision_core.plugins.registrations import load_plugins

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
    code, message = _WORDED.get(p.code, (p.code, p.message))
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
    cited += [(r.id, r.sources) for r in doc.rules if r.generated_from is None]
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
    dose_issues, docs = dose_conflicts(context, docs)
    report.issues.extend(dose_issues)
    report.issues.extend(citation_issues(docs, registry_of(context + docs), texts, report.stats))
    report.issues.extend(red_flag_level_issues(docs))
    if texts is not None:
        report.stats["source_texts"] = str(sources_dir)
    if translations is not None:  # (locale folders, languages to check: None for every one)
        report.issues.extend(translation_issues(docs, translations[0], translations[1], report.stats, Issue,
                                                BUILTIN_ORIGIN))
    # the build's problems are reported; the checks of the whole look at what builds without them
    built = CatalogueBuilder(context + docs).build_lenient()
    target_files = {d.info.path for d in docs}
    report.issues.extend(_from_problem(p) for p in built.problems
                         if p.file in target_files or p.file == "(catalogue)")
    catalogue = built.catalogue
    if catalogue is not None:
        report.issues.extend(Semantics(catalogue, target_ids, benefit_of_doubt(built.left_out_rules)).issues())
        report.issues.extend(engine_limit_issues(catalogue, report.stats))
        report.issues.extend(programme_issues(catalogue, target_ids, docs))
        report.issues.extend(figure_issues(catalogue, target_ids))
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
    report.issues = unique_sorted(report.issues)
    return report


def installed_coverage() -> dict[str, dict]:
    """Per language: {"total", "translated", "missing"} over the installed catalogue's ruleset texts."""
    from decision_core.catalogue.loading import BUILTIN_ORIGIN
    from decision_core.lint.translations import coverage

    dirs: list[Path] = []
    docs, _ = _installed_documents(quiet=True, locale_dirs=dirs)
    out = {}
    for lang, origins in coverage(docs, dirs, builtin_origin=BUILTIN_ORIGIN).items():
        total = sum(c["total"] for c in origins.values())
        missing = [t for c in origins.values() for t in c["missing"]]
        out[lang] = {"total": total, "translated": total - len(missing), "missing": missing}
    return out


__all__ = ["ERROR", "WARNING", "LINTED", "Issue", "LintReport", "lint_paths", "lint_installed", "installed_coverage"]
