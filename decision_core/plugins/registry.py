"""Merges what the plugins registered into one :class:`Registry`.

Built-in rulesets and formats come in through the same hooks as third-party
ones (loading: :mod:`decision_core.plugins.loading`; each registration checked:
:mod:`decision_core.plugins.registrations`). Importing decision_core loads
nothing: :class:`decision_core.installation.DecisionCore` builds a registry when asked,
and the process default (``decision_core.installation.default_core()``) is built on first use.

* ``DECISION_CORE_STRICT=1`` (:mod:`decision_core.settings`): any plugin failure stops start-up with every
  error; otherwise a failed plugin is logged, left out whole, and reported as
  ``failed`` (``decision-core plugins``, ``GET /v1/rulesets``).

A plugin is accepted or rejected as a whole: it fails when it cannot be
imported, implements a hook that does not exist, raises in a hook, registers
something invalid, or claims a cause id, fact name, ruleset, rule,
recommendation, output format or command that an earlier plugin (built-ins
first, then by name) already owns. Each failure is one error that names the
plugin and where (file and line, or file, rule and field).

The catalogue is built and compiled once for the whole set. Only when that
fails is it built again plugin by plugin, each on top of those before it, to
blame the plugin that breaks it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import click

from decision_core import settings
from decision_core.catalogue.loading import Catalogue, CatalogueBuilder, Problem, RulesetDocument, RulesetError
from decision_core.engine.compiler import CompiledRules
from decision_core.plugins.locales import catalogue_files
from decision_core.plugins.loading import ENTRY_POINT_GROUP, PLUGINS_ENV, PluginError, PluginInfo, create_plugin_manager
from decision_core.plugins.registrations import Contributions, LoadedPlugin, OutputFormat, indented, load_plugins, plugin_origin

log = logging.getLogger(__name__)

STRICT_ENV = settings.STRICT
# The command line's own commands, which no plugin may take (tests/test_cli.py checks the CLI has
# exactly these): named here so that the plugin core needs no import of the CLI.
CLI_COMMANDS = frozenset({"evaluate", "causes", "sources", "questionnaire", "interview"})


@dataclass
class Registry:
    catalogue: Catalogue
    formats: dict[str, OutputFormat]
    commands: dict[str, tuple[click.Command, str]]
    plugins: list[PluginInfo]
    translations: list[tuple[str, Path]] = field(default_factory=list)  # (plugin, locale folder), load order
    compiled: CompiledRules | None = None  # the catalogue's compiled rules, for the evaluators to share
    # translators by language, built on first use from these translations (decision_core.i18n.translations)
    translators: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def failed(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.status == "failed"]

    def plugin(self, name: str) -> PluginInfo | None:
        return next((p for p in self.plugins if p.name == name), None)


@dataclass
class _Candidate:
    """One loaded plugin with its ruleset documents, read once for every merge."""

    info: PluginInfo
    got: Contributions
    docs: list[RulesetDocument]
    unreadable: RulesetError | None


@dataclass
class _Built:
    catalogue: Catalogue
    compiled: CompiledRules


@dataclass
class _Merge:
    """Plugins accepted so far, in order, and why the others were not."""

    accepted: list[_Candidate] = field(default_factory=list)
    failures: dict[int, tuple[str, list[Problem]]] = field(default_factory=dict)  # id(info) -> (error, problems)
    documents: list[RulesetDocument] = field(default_factory=list)
    formats: dict[str, OutputFormat] = field(default_factory=dict)
    commands: dict[str, tuple[click.Command, str]] = field(default_factory=dict)
    built: _Built | None = None  # the last plugin-by-plugin build


def _read(item: LoadedPlugin) -> _Candidate:
    try:
        return _Candidate(item.info, item.contributions, item.contributions.documents(plugin_origin(item.info)), None)
    except RulesetError as exc:
        return _Candidate(item.info, item.contributions, [], exc)


def _merge(candidates: list[_Candidate], each_builds: bool) -> _Merge:
    """Accept the plugins in order, each unless it collides with those before it (or, with
    ``each_builds``, unless the catalogue with it fails to build). A failing built-in raises."""
    merged = _Merge()
    for c in candidates:
        info, got, built = c.info, c.got, None
        try:
            if c.unreadable is not None:
                raise c.unreadable
            # nothing new; or a later built-in brings the triage levels
            if each_builds and c.docs and not (info.builtin and not any(d.levels for d in merged.documents + c.docs)):
                built = _build(merged.documents + c.docs, info)
            clashes = [f"output format '{f.name}' is already registered by plugin {merged.formats[f.name].plugin}; "
                       f"plugin {info.name} registers it again" for f in got.formats if f.name in merged.formats]
            clashes += [f"command '{cmd.name}' is a built-in command of decision-core; plugin {info.name} "
                        "registers it again" for cmd in got.commands if cmd.name in CLI_COMMANDS]
            clashes += [f"command '{cmd.name}' is already registered by plugin {merged.commands[cmd.name][1]}; "
                        f"plugin {info.name} registers it again" for cmd in got.commands if cmd.name in merged.commands]
            if clashes:
                raise PluginError("; ".join(clashes))
        except RulesetError as exc:
            failure = (f"plugin '{info.name}' registers an invalid ruleset:\n" + indented(exc), exc.problems)
        except PluginError as exc:
            failure = (str(exc) if str(exc).startswith("plugin ") else f"plugin '{info.name}': {exc}", [])
        else:
            failure = None
        if failure is not None:
            if info.builtin:
                raise PluginError(failure[0])
            merged.failures[id(info)] = failure
            continue
        merged.accepted.append(c)
        merged.documents.extend(c.docs)
        merged.formats.update({f.name: f for f in got.formats})
        merged.commands.update({cmd.name: (cmd, info.name) for cmd in got.commands})
        merged.built = built or merged.built
    return merged


def _build(docs: list[RulesetDocument], info: PluginInfo | None) -> _Built:
    """The catalogue these documents make, compiled, checked that the durable engine can run it."""
    from decision_core.engine.shards import ShardError, plan_shards

    builder = CatalogueBuilder()
    for d in docs:
        builder.add(d)
    catalogue = builder.build()
    compiled = CompiledRules(catalogue)
    who = f"with plugin {info.name}, " if info and not info.builtin else ""
    try:
        # a catalogue past a limit of durable-rules' C core is split into shards; only a rule that
        # passes one on its own (or more rules than a ruleset takes) cannot run
        plan_shards(compiled)
    except ShardError as exc:
        raise PluginError(f"{who}the catalogue exceeds a durable-rules limit: {exc}") from exc
    return _Built(catalogue, compiled)


def build_registry(strict: bool | None = None, plugins: Iterable[Any] | Mapping[str, Any] | None = None) -> Registry:
    """Load every plugin (the built-ins, and the installed ones or else ``plugins``) and merge what
    it registered. Raises PluginError when a built-in fails, or (strict mode) any plugin does."""
    try:
        configured = settings.current()
    except settings.SettingsError as exc:
        raise PluginError(str(exc)) from None
    strict = configured.strict if strict is None else strict
    loaded = load_plugins(plugins)
    candidates = [_read(item) for item in loaded if item.contributions is not None]
    merged = _merge(candidates, each_builds=False)
    try:
        built: _Built | None = _build(merged.documents, None)
    except (RulesetError, PluginError):
        merged = _merge(candidates, each_builds=True)  # name the plugin that breaks it
        built = merged.built
    for c in candidates:
        if id(c.info) in merged.failures:
            c.info.fail(*merged.failures[id(c.info)])
    for c in merged.accepted:
        c.info.registered = _registered(c.docs, c.got)
        if not c.info.registered and not c.info.builtin:
            c.info.warnings.append("implements hooks but registered nothing")
    failed = [i for i in (x.info for x in loaded) if i.status == "failed"]
    if strict and failed:
        raise PluginError(f"{len(failed)} plugin(s) failed and {STRICT_ENV}=1 refuses to start:\n"
                          + "\n".join(i.error or i.name for i in failed))
    for info in failed:  # logged once here; in strict mode the error above says it all
        log.error("%s; serving without it", info.error)
    if built is None:  # no ruleset at all, or none defines the triage levels
        try:
            built = _build(merged.documents, None)
        except RulesetError as exc:
            raise PluginError("the built-in catalogue does not build:\n" + indented(exc)) from exc
    translations = [(c.info.name, path) for c in merged.accepted for path in c.got.locale_dirs]
    return Registry(built.catalogue, merged.formats, merged.commands, [x.info for x in loaded], translations,
                    built.compiled)


def _registered(docs: list[RulesetDocument], got: Contributions) -> dict[str, list[str]]:
    out = {
        "rulesets": [d.info.id for d in docs],
        "causes": [d.cause.id for d in docs if d.cause],
        "facts": [f.name for d in docs for f in d.facts],
        "triage_levels": [lv.id for d in docs for lv in d.levels],
        "recommendations": [r.id for d in docs for r in d.recommendations],
        "avoid": [a.id for d in docs for a in d.avoid],
        "sources": [src.id for d in docs for src in d.sources],
        "formats": [f.name for f in got.formats],
        "commands": [c.name for c in got.commands],
        "translations": sorted({lang for d in got.locale_dirs for lang in catalogue_files(d)}),
    }
    return {k: v for k, v in out.items() if v}


__all__ = [
    "ENTRY_POINT_GROUP", "PLUGINS_ENV", "STRICT_ENV", "CLI_COMMANDS", "PluginError", "PluginInfo", "OutputFormat",
    "Registry", "build_registry", "load_plugins", "create_plugin_manager",
]
