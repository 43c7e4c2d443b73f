"""Loads plugins (built-in and installed) and collects what they register.

Built-in rulesets and formats come in through the same hooks as third-party
ones. Loading is lazy and idempotent: importing decision_core loads nothing,
the first :func:`get_registry` builds the registry once per process.

* Installed plugins are entry points in the group ``decision_core``.
* ``DECISION_CORE_PLUGINS``: unset, every installed plugin loads; set, only the
  comma-separated names listed (entry-point or distribution names; empty: none
  but the built-ins). The others are listed as ``disabled``.
* ``DECISION_CORE_STRICT=1``: any plugin failure stops start-up with every
  error; otherwise a failed plugin is logged, left out whole, and reported as
  ``failed`` (``decision-core plugins``, ``GET /v1/rulesets``).
* ``DECISION_CORE_PLUGIN_IMPORT_TIMEOUT``: seconds each installed plugin may take
  to import (default 30; 0: no limit). Each is logged as it loads; one that takes
  longer fails, named, and its import is left running in a daemon thread.

A plugin is accepted or rejected as a whole: it fails when it cannot be
imported, implements a hook that does not exist (``pm.check_pending()``), raises
in a hook, registers something invalid, or claims a cause id, fact name,
ruleset, rule, recommendation, output format or command that an earlier plugin
(built-ins first, then by name) already owns. Each failure is one error that
names the plugin and where (file and line, or file, rule and field).
"""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

import click
import pluggy
from marshmallow import ValidationError

from . import hookspecs
from .catalogue import (
    BUILTIN_ORIGIN,
    Catalogue,
    CatalogueBuilder,
    Fact,
    Problem,
    RulesetDocument,
    RulesetError,
    RulesetInfo,
    _display,
    load_documents,
    ruleset_files,
)
from .i18n import catalogue_files
from .plugin_loading import IMPORT_TIMEOUT_ENV, ImportTimeout, import_timeout_from_env, load_entry_point
from .ruleset_schema import FactSchema, flatten_messages

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "decision_core"
PLUGINS_ENV = "DECISION_CORE_PLUGINS"
STRICT_ENV = "DECISION_CORE_STRICT"
BUILTIN_MODULES = ("decision_core.builtin", "decision_core.adapters.reports.plugin", "decision_core.adapters.http.plugin")

# The contribution hooks, in the order they are called.
HOOK_NAMES = ("register_rulesets", "register_facts", "register_output_formats", "register_commands",
              "register_translations")
_FORMAT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")


class PluginError(RuntimeError):
    """A plugin could not be loaded (strict mode, or a built-in), or two plugins collide."""


@dataclass(frozen=True)
class OutputFormat:
    name: str
    media_type: str
    extension: str
    render: Callable[..., Any]
    description: str
    binary: bool
    plugin: str

    def to_dict(self) -> dict:
        return {"name": self.name, "media_type": self.media_type, "extension": self.extension,
                "description": self.description, "binary": self.binary, "plugin": self.plugin}


@dataclass
class PluginInfo:
    name: str
    version: str | None
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    status: str = "ok"  # ok | failed | disabled
    error: str | None = None
    problems: list[dict] = field(default_factory=list)
    module: str | None = None  # what was loaded: a module, or an entry point's "module:attr"
    distribution: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"name": self.name, "version": self.version, "builtin": self.builtin, "status": self.status,
               "hooks": self.hooks, "registered": self.registered}
        if self.module:
            out["module"] = self.module
        if self.distribution:
            out["distribution"] = self.distribution
        if self.error:
            out["error"] = self.error
        if self.problems:
            out["problems"] = self.problems
        if self.warnings:
            out["warnings"] = self.warnings
        return out

    def fail(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.status, self.error = "failed", message
        self.problems = [p.to_dict() for p in problems]


@dataclass
class Registry:
    catalogue: Catalogue
    formats: dict[str, OutputFormat]
    commands: dict[str, tuple[click.Command, str]]
    plugins: list[PluginInfo]
    translations: list[tuple[str, Path]] = field(default_factory=list)  # (plugin, locale folder), load order

    @property
    def failed(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.status == "failed"]

    def plugin(self, name: str) -> PluginInfo | None:
        return next((p for p in self.plugins if p.name == name), None)


@dataclass
class Contributions:
    """What one plugin's hooks registered, validated one by one but not yet merged."""

    ruleset_files: list[Path] = field(default_factory=list)
    facts: RulesetDocument | None = None  # the facts given to register_facts, as one document
    formats: list[OutputFormat] = field(default_factory=list)
    commands: list[click.Command] = field(default_factory=list)
    locale_dirs: list[Path] = field(default_factory=list)

    def documents(self, origin: str) -> list[RulesetDocument]:
        """Every ruleset file, read and validated; all problems of all files in one RulesetError."""
        docs = load_documents((path, origin) for path in self.ruleset_files)
        return docs + ([self.facts] if self.facts else [])


@dataclass
class LoadedPlugin:
    info: PluginInfo
    contributions: Contributions | None  # None when it failed before or while registering


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).strip().lower()


def _wanted_plugins() -> dict[str, str] | None:
    """The names DECISION_CORE_PLUGINS allows, normalised -> as written (None: unset, all allowed)."""
    raw = os.environ.get(PLUGINS_ENV)
    if raw is None:
        return None
    return {_normal(n): n.strip() for n in raw.split(",") if n.strip()}


def _dist_name(ep) -> str | None:
    try:
        return ep.dist.name if ep.dist else None
    except Exception:  # pragma: no cover - broken metadata
        return None


def _dist_version(ep) -> str | None:
    try:
        return ep.dist.version if ep.dist else None
    except Exception:  # pragma: no cover - broken metadata
        return None


# ------------------------------------------------------------ where it broke


def _plugin_roots(obj: Any) -> tuple[str, ...]:
    """The file, or top-level package folder, a plugin object's code lives in."""
    module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
    if module is None:
        return ()
    top = sys.modules.get(module.__name__.partition(".")[0], module)
    if getattr(top, "__path__", None):
        return tuple(os.path.abspath(p) + os.sep for p in top.__path__)
    path = getattr(top, "__file__", None)
    return (os.path.abspath(path),) if path else ()


def _module_roots(module_name: str) -> tuple[str, ...]:
    """Where a not-yet-imported module's top-level package lives (without importing it)."""
    try:
        spec = importlib.util.find_spec(module_name.split(".")[0])
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    if spec.submodule_search_locations:
        return tuple(os.path.abspath(p) + os.sep for p in spec.submodule_search_locations)
    return (os.path.abspath(spec.origin),) if spec.origin else ()


def _location(exc: BaseException, roots: tuple[str, ...], fallback: Callable | None = None) -> str | None:
    """'file:line' of the plugin's own code that raised (deepest frame inside the plugin)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_display(exc.filename)}:{exc.lineno}"
    # never this module's own frames (the register callbacks), even for built-ins
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != _THIS_FILE]
    for frame in reversed(frames):
        if roots and os.path.abspath(frame.filename).startswith(roots):
            return f"{_display(frame.filename)}:{frame.lineno}"
    if fallback is not None:
        return _function_location(fallback)
    for frame in reversed(frames):
        if not frame.filename.startswith("<"):
            return f"{_display(frame.filename)}:{frame.lineno}"
    return None


_THIS_FILE = os.path.abspath(__file__)


def _function_location(function: Callable) -> str | None:
    try:
        return f"{_display(inspect.getsourcefile(function))}:{inspect.getsourcelines(function)[1]}"
    except (TypeError, OSError):
        return None


def _at(where: str | None) -> str:
    return f" ({where})" if where else ""


# ------------------------------------------------------------------- loading


def _selected_entry_points(infos: list[PluginInfo]) -> list[tuple[PluginInfo, metadata.EntryPoint]]:
    """Installed entry points allowed by DECISION_CORE_PLUGINS; the others are listed as disabled."""
    wanted = _wanted_plugins()
    found: set[str] = set()
    owners: dict[str, metadata.EntryPoint] = {}
    selected = []
    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, _dist_name(e) or ""))
    for ep in eps:
        dist = _dist_name(ep)
        info = PluginInfo(ep.name, _dist_version(ep), False, module=ep.value, distribution=dist)
        infos.append(info)
        keys = {_normal(ep.name)} | ({_normal(dist)} if dist else set())
        if wanted is not None and not keys & wanted.keys():
            info.status = "disabled"
            info.warnings.append(f"not listed in {PLUGINS_ENV}")
            continue
        found |= keys
        first = owners.get(ep.name)
        if first is not None:
            info.fail(f"plugin '{ep.name}': the entry-point name is already taken by distribution "
                      f"{_dist_name(first)} ({first.value}); distribution {dist} ({ep.value}) claims it again")
            continue
        owners[ep.name] = ep
        selected.append((info, ep))
    for key in sorted((wanted or {}).keys() - found):
        name = wanted[key]
        info = PluginInfo(name, None, False)
        info.fail(f"plugin '{name}' is listed in {PLUGINS_ENV} but no installed distribution provides it "
                  f"(entry-point group '{ENTRY_POINT_GROUP}')")
        infos.append(info)
    return selected


def create_plugin_manager() -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A fresh manager with the built-ins and every allowed installed plugin registered.

    Installed plugins that cannot be imported or registered are returned as
    failed infos; a built-in that fails raises :class:`PluginError`.
    """
    from . import __version__

    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    for modname in BUILTIN_MODULES:
        info = PluginInfo(modname, __version__, True, module=modname)
        infos.append(info)
        module = importlib.import_module(modname)  # a broken built-in is a bug: let it raise
        _register(pm, info, module)
        if info.status == "failed":
            raise PluginError(info.error)
    try:
        timeout = import_timeout_from_env()
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    for info, ep in _selected_entry_points(infos):
        log.info("loading plugin %s (entry point %s = %s)", ep.name, ep.name, ep.value)
        started = time.monotonic()
        try:
            plugin = load_entry_point(ep, timeout)
        except ImportTimeout:
            info.fail(f"plugin '{ep.name}' (entry point {ep.name} = {ep.value}, distribution {info.distribution}) "
                      f"did not finish importing within {timeout:g} s ({IMPORT_TIMEOUT_ENV})")
            continue
        except Exception as exc:
            where = _location(exc, _module_roots(ep.module))
            info.fail(f"plugin '{ep.name}' (entry point {ep.name} = {ep.value}, distribution {info.distribution}) "
                      f"failed to import: {type(exc).__name__}: {exc}{_at(where)}")
            log.debug("import of plugin %s failed", ep.name, exc_info=True)
            continue
        log.info("plugin %s imported in %.2f s", ep.name, time.monotonic() - started)
        _register(pm, info, plugin)
    _check_pending(pm, infos)
    for info in infos:
        plugin = pm.get_plugin(info.name)
        if plugin is not None:
            info.hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    return pm, infos


def _register(pm: pluggy.PluginManager, info: PluginInfo, plugin: Any) -> None:
    try:
        pm.register(plugin, name=info.name)
    except pluggy.PluginValidationError as exc:
        # a hook whose arguments do not match its specification
        detail = " ".join(str(exc).split("\n")[1:]) or str(exc)
        info.fail(f"plugin '{info.name}'{_at(_roots_display(plugin))}: a hook does not match its specification: {detail}")
        return
    except ValueError as exc:
        other = pm.get_name(plugin)
        info.fail(f"plugin '{info.name}': the same object is already registered as plugin '{other}' ({exc})")
        return
    for name in HOOK_NAMES:
        candidate = getattr(plugin, name, None)
        if callable(candidate) and pm.parse_hookimpl_opts(plugin, name) is None:
            info.warnings.append(f"{name} is defined{_at(_function_location(candidate))} but not marked "
                                 f"@hookimpl, so it is never called")


def _roots_display(plugin: Any) -> str | None:
    roots = _plugin_roots(plugin)
    return _display(roots[0]) if roots else None


def _check_pending(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> None:
    """Fail every plugin that implements a hook with no specification (a misspelling), then
    let pluggy confirm nothing is left pending."""
    known = sorted(n for n in dir(pm.hook) if not n.startswith("_") and getattr(pm.hook, n).has_spec())
    by_name = {i.name: i for i in infos}
    for name, plugin in list(pm.list_name_plugin()):
        unknown = [(caller.name, impl) for caller in pm.get_hookcallers(plugin) or [] if not caller.has_spec()
                   for impl in caller.get_hookimpls() if impl.plugin is plugin and not impl.optionalhook]
        if not unknown:
            continue
        messages = []
        for hook_name, impl in unknown:
            close = difflib.get_close_matches(hook_name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"the hooks are: {', '.join(known)}"
            messages.append(f"unknown hook '{hook_name}'{_at(_function_location(impl.function))}; {hint}")
        info = by_name[name]
        info.fail(f"plugin '{name}' implements " + "; ".join(messages))
        pm.unregister(plugin)
        if info.builtin:
            raise PluginError(info.error)
    pm.check_pending()


def _collect(pm: pluggy.PluginManager, info: PluginInfo, origin: str) -> Contributions:
    """Call one plugin's hooks with register callbacks. Raises PluginError or RulesetError.

    ``origin`` is what the plugin's rulesets are attributed to in results (the
    built-ins share ``decision_core``)."""
    plugin = pm.get_plugin(info.name)
    got = Contributions()
    facts: list[dict] = []
    fact_problems: list[Problem] = []
    current: dict[str, Any] = {"file": "?"}
    calls = [0]  # register_facts calls, to label a fact without a name
    problem = PluginError

    def reg_ruleset(path):
        if not isinstance(path, (str, os.PathLike)) and not hasattr(path, "joinpath"):
            raise problem(f"register(path) takes a file or folder path, got {type(path).__name__}")
        p = Path(str(path))
        if not p.is_absolute():
            raise problem(f"ruleset path '{p}' is relative; register an absolute path, "
                          "e.g. Path(__file__).parent / 'rulesets'")
        if not p.exists():
            raise problem(f"ruleset path {p} does not exist")
        if p.is_dir():
            files = ruleset_files(p)
            if not files:
                raise problem(f"no *.yaml ruleset files in {p} (installed without its package data?)")
            got.ruleset_files.extend(files)
        elif p.suffix not in (".yaml", ".yml"):
            raise problem(f"ruleset file {p} is not a .yaml file")
        else:
            got.ruleset_files.append(p)

    def reg_fact(fact):
        calls[0] += 1
        label = f"fact {fact['name']}" if isinstance(fact, dict) and isinstance(fact.get("name"), str) \
            else f"fact number {calls[0]}"
        if not isinstance(fact, dict):
            fact_problems.append(Problem(current["file"], label, None,
                                         f"register(fact) takes a mapping, got {type(fact).__name__}", origin))
            return
        # the same schema as facts in ruleset files
        try:
            facts.append(FactSchema().load(dict(fact)))
        except ValidationError as exc:
            fact_problems.extend(Problem(current["file"], label, fld, msg, origin)
                                 for fld, msg in flatten_messages(exc.messages))

    def reg_format(name, media_type, extension, render, description="", binary=False):
        if not (isinstance(name, str) and _FORMAT_NAME.match(name)):
            raise problem(f"output format name {name!r} must be lower-case letters, digits, - or _")
        if not (isinstance(media_type, str) and _MEDIA_TYPE.match(media_type)):
            raise problem(f"output format {name!r}: media type {media_type!r} is not like 'text/html'")
        if not (isinstance(extension, str) and extension.lstrip(".").isalnum()):
            raise problem(f"output format {name!r}: extension {extension!r} is not like 'html'")
        if not callable(render):
            raise problem(f"output format {name!r}: render is not callable")
        if any(f.name == name for f in got.formats):
            raise problem(f"output format {name!r} is registered twice")
        got.formats.append(OutputFormat(name, media_type, extension.lstrip("."), render, str(description or ""),
                                        bool(binary), info.name))

    def reg_command(command):
        if not isinstance(command, click.Command):
            raise problem(f"register(command) takes a click.Command, got {type(command).__name__}")
        if not command.name:
            raise problem("a registered command needs a name")
        if any(c.name == command.name for c in got.commands):
            raise problem(f"command {command.name!r} is registered twice")
        got.commands.append(command)

    def reg_translations(path):
        from .i18n import check_locale_dir

        try:
            got.locale_dirs.append(check_locale_dir(path))
        except ValueError as exc:
            raise problem(str(exc)) from exc

    callbacks = dict(zip(HOOK_NAMES, (reg_ruleset, reg_fact, reg_format, reg_command, reg_translations)))
    for hook_name in HOOK_NAMES:
        callback = callbacks[hook_name]
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin is not plugin:
                continue
            current["file"] = _display(inspect.getsourcefile(impl.function) or "?")
            if hook_name == "register_facts":
                current["facts_file"] = current["file"]
            where_fn = _function_location(impl.function)
            open_ = [True]

            def guarded(*args, _callback=callback, _open=open_, _hook=hook_name, **kwargs):
                if not _open[0]:
                    raise PluginError(f"{_hook}'s register was called after the hook returned")
                return _callback(*args, **kwargs)

            try:
                returned = impl.function(**{arg: guarded for arg in impl.argnames})
            except PluginError as exc:
                where = _location(exc, _plugin_roots(impl.function), impl.function)
                raise PluginError(f"plugin '{info.name}', hook {hook_name}{_at(where)}: {exc}") from exc
            except Exception as exc:
                where = _location(exc, _plugin_roots(impl.function), impl.function)
                log.debug("plugin %s raised in %s", info.name, hook_name, exc_info=True)
                raise PluginError(f"plugin '{info.name}' raised in hook {hook_name}{_at(where)}: "
                                  f"{type(exc).__name__}: {exc}") from exc
            finally:
                open_[0] = False
            if returned is not None:
                raise PluginError(f"plugin '{info.name}', hook {hook_name}{_at(where_fn)} returned a value; "
                                  "hooks call register(...) instead of returning")
    if fact_problems:
        raise RulesetError(fact_problems)
    if facts:
        got.facts = _facts_document(info, origin, facts, current["facts_file"])
    return got


def _facts_document(info: PluginInfo, origin: str, facts: list[dict], file: str) -> RulesetDocument:
    # A dotted id cannot collide with a ruleset file's id (files use lower_snake_case).
    rid = f"{re.sub(r'[^a-z0-9_]+', '_', info.name.lower())}.registered_facts"
    ruleset_info = RulesetInfo(rid, info.version or "0.0.0", "facts", f"Facts registered by {info.name}",
                               origin, file)
    fact_objects = [Fact(ruleset=rid, **{**f, "values": tuple(f.get("values", ())),
                                         "discriminates": tuple(f.get("discriminates", ()))}) for f in facts]
    return RulesetDocument(ruleset_info, rules=[], facts=fact_objects)


def load_plugins() -> list[LoadedPlugin]:
    """Every plugin with what it registered, not yet merged. Failures are recorded on the infos
    (a failing built-in raises)."""
    pm, infos = create_plugin_manager()
    loaded = []
    for info in infos:
        if info.status != "ok":
            loaded.append(LoadedPlugin(info, None))
            continue
        try:
            contributions = _collect(pm, info, BUILTIN_ORIGIN if info.builtin else info.name)
        except RulesetError as exc:
            info.fail(f"plugin '{info.name}' registers an invalid fact:\n" + _indent(exc), exc.problems)
        except PluginError as exc:
            info.fail(str(exc))
        if info.status == "failed":
            if info.builtin:
                raise PluginError(info.error)
            loaded.append(LoadedPlugin(info, None))
            continue
        loaded.append(LoadedPlugin(info, contributions))
    return loaded


def _indent(exc: RulesetError) -> str:
    return "\n".join(f"  {p}" for p in exc.problems)


# ----------------------------------------------------------------- merging


def build_registry(strict: bool | None = None) -> Registry:
    """Load every plugin and merge what it registered, one plugin at a time, so that a
    collision or an invalid ruleset is blamed on the plugin that brings it."""
    from .cli import main as cli_main

    strict = strict_from_env() if strict is None else strict
    loaded = load_plugins()
    accepted: list[RulesetDocument] = []
    catalogue: Catalogue | None = None
    formats: dict[str, OutputFormat] = {}
    commands: dict[str, tuple[click.Command, str]] = {}
    translations: list[tuple[str, Path]] = []
    core_commands = set(cli_main.commands)

    for item in loaded:
        info, got = item.info, item.contributions
        if got is None:
            continue
        origin = BUILTIN_ORIGIN if info.builtin else info.name
        try:
            docs = got.documents(origin)
            if not docs or (info.builtin and not any(d.levels for d in accepted + docs)):
                trial = None  # nothing new; or a later built-in brings the triage levels
            else:
                trial = _trial_build(accepted + docs, info)
            clashes = [f"output format '{f.name}' is already registered by plugin {formats[f.name].plugin}; "
                       f"plugin {info.name} registers it again" for f in got.formats if f.name in formats]
            clashes += [f"command '{c.name}' is a built-in command of decision-core; plugin {info.name} "
                        "registers it again" for c in got.commands if c.name in core_commands]
            clashes += [f"command '{c.name}' is already registered by plugin {commands[c.name][1]}; "
                        f"plugin {info.name} registers it again" for c in got.commands if c.name in commands]
            if clashes:
                raise PluginError("; ".join(clashes))
        except RulesetError as exc:
            info.fail(f"plugin '{info.name}' registers an invalid ruleset:\n" + _indent(exc), exc.problems)
        except PluginError as exc:
            info.fail(str(exc) if str(exc).startswith("plugin ") else f"plugin '{info.name}': {exc}")
        if info.status == "failed":
            if info.builtin:
                raise PluginError(info.error)
            continue
        accepted.extend(docs)
        catalogue = trial if trial is not None else catalogue
        formats.update({f.name: f for f in got.formats})
        commands.update({c.name: (c, info.name) for c in got.commands})
        translations.extend((info.name, path) for path in got.locale_dirs)
        info.registered = _registered(docs, got)
        if not info.registered and not info.builtin:
            info.warnings.append("implements hooks but registered nothing")
    failed = [i for i in (x.info for x in loaded) if i.status == "failed"]
    if strict and failed:
        raise PluginError(f"{len(failed)} plugin(s) failed and {STRICT_ENV}=1 refuses to start:\n"
                          + "\n".join(i.error or i.name for i in failed))
    for info in failed:  # logged once here; in strict mode the error above says it all
        log.error("%s; serving without it", info.error)
    if catalogue is None:  # no ruleset at all, or none defines the triage levels
        try:
            catalogue = _trial_build(accepted, None)
        except RulesetError as exc:
            raise PluginError("the built-in catalogue does not build:\n" + _indent(exc)) from exc
    return Registry(catalogue, formats, commands, [x.info for x in loaded], translations)


def _trial_build(docs: list[RulesetDocument], info: PluginInfo | None) -> Catalogue:
    """Build the catalogue these documents make, and check the durable engine can run it."""
    from .compiler import CompiledRules
    from .engines.shards import ShardError, plan_shards

    builder = CatalogueBuilder()
    for d in docs:
        builder.add(d)
    catalogue = builder.build()
    who = f"with plugin {info.name}, " if info and not info.builtin else ""
    try:
        # a catalogue past a limit of durable-rules' C core is split into shards; only a rule that
        # passes one on its own (or more rules than a ruleset takes) cannot run
        plan_shards(CompiledRules(catalogue))
    except ShardError as exc:
        raise PluginError(f"{who}the catalogue exceeds a durable-rules limit: {exc}") from exc
    return catalogue


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


_lock = threading.Lock()
_registry: Registry | None = None
_failure: PluginError | None = None  # a failed build is not retried until reset: same answer every time


def get_registry() -> Registry:
    """The process-wide registry, built on first use. Raises PluginError when a built-in
    fails, or (strict mode) any plugin does -- the same error on every call."""
    global _registry, _failure
    if _registry is None:
        with _lock:
            if _failure is not None:
                raise _failure
            if _registry is None:
                try:
                    _registry = build_registry()
                except PluginError as exc:
                    _failure = exc
                    raise
    return _registry


def reset_registry() -> None:
    """Forget the registry (tests, or after installing a plugin)."""
    global _registry, _failure
    with _lock:
        _registry = _failure = None


__all__ = [
    "BUILTIN_ORIGIN", "ENTRY_POINT_GROUP", "PLUGINS_ENV", "STRICT_ENV", "PluginError", "PluginInfo",
    "OutputFormat", "Registry", "RulesetInfo", "Problem", "get_registry", "build_registry", "reset_registry",
    "load_plugins", "create_plugin_manager",
]
