"""The catalogue: every fact, cause, triage level, recommendation, avoid item and
rule that takes part in an evaluation, loaded from ruleset files and checked
as a whole.

The engine knows nothing about hamstrings: all of that is in the files.
Merging documents into a catalogue is :mod:`decision_core.catalogue.build`.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Iterable

import yaml
from marshmallow import ValidationError

from decision_core.presentation.phrases import english_text, recommended_for
from decision_core.catalogue import yaml_text
from decision_core.catalogue.model import (  # noqa: F401  (re-exported: the catalogue's public names)
    BUILTIN_ORIGIN,
    AvoidItem,
    Catalogue,
    Cause,
    Fact,
    Group,
    Level,
    PolicyLine,
    Presentation,
    Problem,
    Recommendation,
    Rule,
    RulesetDocument,
    RulesetError,
    RulesetInfo,
)
from decision_core.catalogue.build import CatalogueBuilder
from decision_core.catalogue.citations import source_ids
from decision_core.catalogue.conditions import Condition, Conclusion
from decision_core.catalogue.programme_rules import DoseEntrySchema, FitRule, FitRuleSchema, ProgrammePart, ProgrammeSettingsSchema, dose_entry
from decision_core.catalogue.schema import (
    ALLOWED_CONCLUSIONS,
    AvoidEntrySchema,
    PolicyLineSchema,
    RecommendationEntrySchema,
    RuleSchema,
    RulesetFileSchema,
    STRENGTH_WEIGHTS,
    field_problems,
    rule_label,
)
from decision_core.catalogue.sources import SourceEntrySchema, make_source
from decision_core.figures.files import FigureFileError, read_figure_file

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- loading files


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
        raise RulesetError([_whole_file(name, f"cannot read file: {exc}", origin)]) from exc
    try:
        raw = yaml_text.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesetError([_whole_file(name, f"not valid YAML: {exc}", origin)]) from exc
    return with_figure_files(parse_ruleset(raw, name, origin), Path(path).parent)


def parse_ruleset(raw: Any, name: str, origin: str = BUILTIN_ORIGIN) -> RulesetDocument:
    if not isinstance(raw, dict):
        raise RulesetError([_whole_file(name, "a ruleset file must be a mapping with ruleset, version, kind", origin)])
    problems: list[Problem] = []
    try:
        head = RulesetFileSchema().load(raw)
    except ValidationError as exc:
        for fld, msg, code in field_problems(exc.messages):
            problems.append(Problem(name, None, fld, msg, origin, code, "file", name))
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
        shown = lv["presentation"]
        presentation = Presentation(**{**shown, "colours": tuple(shown["colours"].items())})
        doc.levels.append(Level(lv["id"], lv["name"], lv["advice"], rank, presentation, lv.get("advice_while_unconfirmed"),
                                tuple((line["says"], line["contact"]) for line in lv.get("seek_care_if") or ()),
                                lv["stops_interview"], lv["red_flag"], lv.get("contact")))
    doc.tags = dict(head.get("tags") or {})

    def valid(section: str, schema: type, kind: str, prefix: str = ""):
        """Each entry of a section that its schema accepts, with its label; the others become problems."""
        for i, raw_entry in enumerate(head.get(section) or []):
            key = rule_label(raw_entry, i)
            try:
                yield prefix + key, schema().load(raw_entry)
            except ValidationError as exc:
                problems.extend(Problem(name, prefix + key, fld, msg, origin, code, kind, key)
                                for fld, msg, code in field_problems(exc.messages))

    for _, ln in valid("lines", PolicyLineSchema, "policy line"):
        doc.policy.append(PolicyLine(
            ln["id"], tuple(ln["when"]), ln["says"], source_ids(ln["sources"]), rid, tuple(ln["withhold"]),
            tuple(ln["allow_only"]), ln.get("max_intensity"), tuple(ln["lead_with"]), ln["hold_programme"],
            citations=tuple(ln["sources"])))

    if kind == "programme":
        doc.programme = _programme_part(head, rid, valid, problems, lambda where, fld, msg, code: Problem(
            name, where, fld, msg, origin, code, "programme", rid))

    for _, entry in valid("entries", SourceEntrySchema, "source", "source "):
        doc.sources.append(make_source(entry, rid, origin))

    item_schema = {"recommendations": RecommendationEntrySchema, "avoid": AvoidEntrySchema}.get(kind)
    for _, item in valid("items", item_schema, "item", "item "):
        if kind == "recommendations":
            steps = tuple(" ".join(step.split()) for step in item["steps"])
            rec = Recommendation(
                id=item["id"], name=item["name"], kind=item["kind"],
                instructions=" ".join((item.get("instructions") or " ".join(steps)).split()),
                sources=(), ruleset=rid, intensity=item.get("intensity"),
                dose=item["dose"], for_causes=tuple(item["for_causes"]),
                not_with_causes=tuple(item["not_with_causes"]), citations=tuple(item["sources"]),
                tags=tuple(item["tags"]), steps=steps, progression=item.get("progression"),
                stop_if=item.get("stop_if"), figure=item.get("figure"))
            doc.recommendations.append(dataclasses.replace(rec, sources=source_ids(rec.all_citations)))
        else:
            doc.avoid.append(AvoidItem(item["id"], item["name"], item["why"], source_ids(item["sources"]), rid,
                                       citations=tuple(item["sources"]), forbids=tuple(item["forbids"])))

    allowed = ALLOWED_CONCLUSIONS[kind]
    for label, r in valid("rules", RuleSchema, "rule"):
        if r["then"].kind not in allowed:
            problems.append(Problem(name, label, "then", f"a {kind} ruleset cannot conclude '{r['then'].kind}'"
                                    + (f" (allowed: {', '.join(allowed)})" if allowed else ""), origin,
                                    kind="rule", key=label))
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
                english_text(recommended_for(cause_id)), rec.sources, rid, citations=rec.citations, generated_from=rec.id))
    if problems:
        raise RulesetError(problems)
    return doc


def with_figure_files(doc: RulesetDocument, folder: Path) -> RulesetDocument:
    """The document with each exercise's ``figure: {svg: ...}`` file read (relative to the ruleset file's folder)."""
    problems = []
    for i, rec in enumerate(doc.recommendations):
        if rec.figure is None or rec.figure.svg_file is None:
            continue
        try:
            svg = read_figure_file(folder, rec.figure.svg_file)
        except FigureFileError as exc:
            problems.append(Problem(doc.info.path, f"item {rec.id}", "figure.svg", str(exc), doc.info.origin,
                                    "bad_figure_file", "item", rec.id))
            continue
        doc.recommendations[i] = dataclasses.replace(rec, figure=dataclasses.replace(rec.figure, svg=svg))
    if problems:
        raise RulesetError(problems)
    return doc


def _programme_part(head: dict, rid: str, valid, problems: list, problem) -> ProgrammePart:
    """What a programme ruleset contributes; what its schemas reject becomes problems."""
    settings = None
    if head.get("settings") is not None:
        try:
            settings = dataclasses.replace(ProgrammeSettingsSchema().load(head["settings"]), ruleset=rid)
        except ValidationError as exc:
            problems.extend(problem("settings", fld, msg, code)
                            for fld, msg, code in field_problems(exc.messages))
    fit = tuple(FitRule(f["id"], tuple(f["tags"]), f["why"], " ".join(f["says"].split()), tuple(f["all"]),
                        tuple(f["any"]), f["triage_confirmed"], rid, tuple(f["sources"]))
                for _, f in valid("fit", FitRuleSchema, "fit rule", "fit "))
    doses = []
    for _, entry in valid("doses", DoseEntrySchema, "dose entry", "dose "):
        try:
            doses.append(dose_entry(entry, rid))
        except ValidationError as exc:
            where = f"dose {'item ' + entry['item'] if entry.get('item') else 'tag ' + entry['tag']}"
            problems.extend(problem(where, fld, msg, code) for fld, msg, code in field_problems(exc.messages))
    return ProgrammePart(settings, tuple(head.get("jobs") or ()), fit, tuple(doses))


def _whole_file(name: str, message: str, origin: str) -> Problem:
    return Problem(name, None, None, message, origin, kind="file", key=name)


def ruleset_files(directory: Path | str) -> list[Path]:
    return sorted(p for p in Path(directory).rglob("*.yaml") if p.is_file())


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
