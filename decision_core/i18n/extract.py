"""Message extraction: the ``.pot`` templates translators work from, and keeping ``.po`` files in step.

* ``rulesets`` domain: every text field of every ruleset file, as declared by
  the ruleset schemas (:func:`decision_core.i18n.result_texts.is_text`). The msgid is
  the text after YAML folding, stripped; a translator comment says where it is.
  Also a Babel extractor (``decision_core_rulesets``, for ``pybabel extract``).
* ``decision_core`` domain: Python strings marked ``N_()``/``_()``/``gettext()``
  and the Jinja templates' ``{% trans %}`` and ``_()`` strings.
"""
from __future__ import annotations

import importlib.util
import io
import logging
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from decision_core.i18n.translations import BUILTIN_LOCALE, catalogue_files
from decision_core.i18n.result_texts import PYTHON_MESSAGES, has_words, is_text, nested_schema

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}


def _section_schemas(kind: str | None) -> dict[str, Any]:
    from decision_core.catalogue import schema as rs
    from decision_core.catalogue.sources import SourceEntrySchema

    items = {"recommendations": rs.RecommendationEntrySchema, "avoid": rs.AvoidEntrySchema}.get(kind or "")
    out = {"cause": rs.CauseEntrySchema, "facts": rs.FactSchema, "groups": rs.GroupSchema, "levels": rs.LevelSchema,
           "lines": rs.PolicyLineSchema, "rules": rs.RuleSchema, "entries": SourceEntrySchema}
    if items is not None:
        out["items"] = items
    if kind == "programme":
        from decision_core.catalogue.programme_rules import FitRuleSchema, ProgrammeSettingsSchema

        out.update(settings=ProgrammeSettingsSchema, fit=FitRuleSchema)
    return out


def _scalar(node) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return node.value
    return None


def _messages_of(node, schema, where: str) -> Iterator[tuple[int, str, str]]:
    """(line, text, comment) of the text fields of one mapping node validated by ``schema``."""
    if not isinstance(node, yaml.MappingNode):
        return
    declared = schema._declared_fields
    ident = next((_scalar(v) for k, v in node.value if _scalar(k) in ("id", "name")), None)
    label = f"{where} {ident}" if ident else where
    for key_node, value in node.value:
        key = _scalar(key_node)
        field = declared.get(key) if key else None
        if field is None:
            continue
        if is_text(field):
            # a list of texts, or a mapping of ids to texts (a fact's value_labels)
            values = (value.value if isinstance(value, yaml.SequenceNode) else
                      [v for _, v in value.value] if isinstance(value, yaml.MappingNode) else [value])
            for v in values:
                text = _scalar(v)
                if text and text.strip() and has_words(text):
                    yield v.start_mark.line + 1, text.strip(), f"{label}: {key}"
        inner = nested_schema(field)
        if inner is not None:
            children = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for child in children:
                yield from _messages_of(child, inner, f"{label} {key}")


def ruleset_messages(text: str) -> list[tuple[int, str, str]]:
    """(line, msgid, comment) of every translatable text of one ruleset file's YAML."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    top = {_scalar(k): v for k, v in root.value}
    kind = _scalar(top["kind"]) if "kind" in top else None
    out: list[tuple[int, str, str]] = []
    for section, schema in _section_schemas(kind).items():
        node = top.get(section)
        if isinstance(node, yaml.MappingNode):
            out.extend(_messages_of(node, schema, section))
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                out.extend(_messages_of(child, schema, section))
    out.sort(key=lambda m: m[0])  # file order
    return out


def babel_extract_rulesets(fileobj, keywords, comment_tags, options):
    """A Babel extractor for ruleset YAML files (``pybabel extract -F babel.cfg``)."""
    text = fileobj.read()
    text = text.decode(options.get("encoding", "utf-8")) if isinstance(text, bytes) else text
    for line, msgid, comment in ruleset_messages(text):
        yield line, None, msgid, [comment]


def _catalog(domain: str, project: str):
    from babel.messages.catalog import Catalog

    return Catalog(domain=domain, project=project, charset="utf-8", fuzzy=False,
                   msgid_bugs_address=None, copyright_holder=None)


def rulesets_pot(files: Iterable[Path], project: str = "decision-core", root: Path | None = None):
    """The ``rulesets`` template of these ruleset files."""
    catalog = _catalog("rulesets", project)
    for path in files:
        shown = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
        for line, msgid, comment in ruleset_messages(path.read_text(encoding="utf-8")):
            msg = catalog.get(msgid)
            if msg is None:
                catalog.add(msgid, locations=[(shown, line)], auto_comments=[comment])
            else:
                msg.locations.append((shown, line))
                if comment not in msg.auto_comments:
                    msg.auto_comments.append(comment)
    return catalog


def message_folders() -> list[tuple[str, Path]]:
    """Where the ``decision_core`` domain's texts are, as (shown name, folder): the core's package,
    then the package of each built-in plugin beyond the core's own (the adapters' plugins, found
    through their entry points: the core names no adapter), shown by its path under decision_core
    (``adapters/reports``)."""
    from decision_core.plugins.loading import builtin_entry_points

    plugins = []
    for ep in builtin_entry_points():
        package = ep.module.rpartition(".")[0]
        spec = importlib.util.find_spec(package) if package else None
        if spec is None or not spec.submodule_search_locations:
            continue
        shown = package.removeprefix("decision_core.").replace(".", "/")
        plugins.extend((shown, Path(p).resolve()) for p in spec.submodule_search_locations)
    return [("decision_core", PACKAGE)] + sorted(set(plugins))


def core_pot(dirs: Iterable[Path] | None = None):
    """The ``decision_core`` template: Python strings and templates of the core and of the built-in
    plugins' packages (:func:`message_folders`), or of the folders ``dirs``."""
    from babel.messages.extract import extract_from_dir

    catalog = _catalog("decision_core", "decision-core")
    for msgid in PYTHON_MESSAGES:  # composed frames and the disclaimer (marked N_() or constants)
        catalog.add(msgid, locations=[("decision_core/i18n/result_texts.py", 0)])
    folders = message_folders() if dirs is None else [(Path(d).name, Path(d)) for d in dirs]
    method_map = [("**/templates/**.j2", "jinja2.ext:babel_extract"), ("**.py", "python")]
    options = {"**/templates/**.j2": JINJA_OPTIONS}
    for shown, folder in folders:
        for filename, line, message, comments, context in extract_from_dir(
                str(folder), method_map, options, keywords=KEYWORDS, comment_tags=("Translators:",)):
            loc = (f"{shown}/{filename}", line)
            msg = catalog.get(message, context)
            if msg is None:
                catalog.add(message, locations=[loc], auto_comments=comments, context=context)
            elif loc not in msg.locations:
                msg.locations.append(loc)
    return catalog


def write_catalog(catalog, path: Path) -> bool:
    """Write a .po/.pot file; False (and the file left alone) when only its dates would change."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, omit_header=False, include_lineno=True)
    data = buffer.getvalue()
    if path.exists() and _undated(path.read_bytes()) == _undated(data):
        return False  # nothing but the date changed: leave the file alone
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    log.info("wrote %s (%d messages)", path, len(catalog))
    return True


def _undated(data: bytes) -> bytes:
    return re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*"', b"", data)


def update_catalogues(pot, locale_dir: Path, langs: Iterable[str] = ()) -> list[Path]:
    """Bring every ``<lang>/LC_MESSAGES/<domain>.po`` in ``locale_dir`` in step with ``pot`` (new
    msgids added untranslated, gone ones marked obsolete); ``langs``: also start these languages."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    domain = pot.domain
    wanted = set(catalogue_files(locale_dir)) | set(langs)
    written = []
    for lang in sorted(wanted):
        path = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            with open(path, "rb") as f:
                catalog = read_po(f, locale=lang, domain=domain)
        else:
            catalog = Catalog(locale=lang, domain=domain, charset="utf-8", fuzzy=False)
        catalog.update(pot, no_fuzzy_matching=True, update_creation_date=False)
        if write_catalog(catalog, path):
            written.append(path)
    return written


def builtin_templates() -> dict[str, Any]:
    """The core's two templates, freshly extracted: {domain: Catalog}."""
    from decision_core.catalogue.loading import builtin_rulesets_dir, ruleset_files

    rules_dir = builtin_rulesets_dir()
    return {"rulesets": rulesets_pot(ruleset_files(rules_dir), root=rules_dir.parent),
            "decision_core": core_pot()}


def extract_builtin(locale_dir: Path = BUILTIN_LOCALE, update: bool = True) -> list[Path]:
    """Regenerate the core's ``.pot`` files (and bring its ``.po`` files in step)."""
    written = []
    for domain, pot in builtin_templates().items():
        path = locale_dir / f"{domain}.pot"
        if write_catalog(pot, path):
            written.append(path)
        if update:
            written.extend(update_catalogues(pot, locale_dir))
    return written


__all__ = ["ruleset_messages", "babel_extract_rulesets", "rulesets_pot", "core_pot", "write_catalog",
           "update_catalogues", "extract_builtin", "builtin_templates"]
