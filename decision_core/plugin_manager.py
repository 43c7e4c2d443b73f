"""Loads plugins (built-in and installed) and collects what they register.

Built-in rulesets and formats come in through the same hooks as third-party
ones. Loading is lazy and idempotent; importing decision_core loads nothing.

* ``DECISION_CORE_PLUGINS``: unset, every installed plugin loads; set, only the
  comma-separated names listed (empty: none but the built-ins).
* ``DECISION_CORE_STRICT=1``: a failing plugin stops start-up; otherwise it is
  logged, left out, and reported as failed.
"""
from __future__ import annotations

import logging
import os
import threading
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import click
import pluggy

from . import hookspecs
from .catalogue import (
    BUILTIN_ORIGIN,
    Catalogue,
    CatalogueBuilder,
    Problem,
    RulesetDocument,
    RulesetError,
    RulesetInfo,
    load_ruleset_file,
    parse_ruleset,
    ruleset_files,
)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "decision_core"
PLUGINS_ENV = "DECISION_CORE_PLUGINS"
STRICT_ENV = "DECISION_CORE_STRICT"
BUILTIN_MODULES = ("decision_core.builtin",)


class PluginError(RuntimeError):
    """A plugin could not be loaded (strict mode), or two plugins collide."""


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
    status: str = "ok"
    error: str | None = None
    problems: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"name": self.name, "version": self.version, "builtin": self.builtin, "status": self.status,
               "hooks": self.hooks, "registered": self.registered}
        if self.error:
            out["error"] = self.error
        if self.problems:
            out["problems"] = self.problems
        return out


@dataclass
class Registry:
    catalogue: Catalogue
    formats: dict[str, OutputFormat]
    commands: dict[str, tuple[click.Command, str]]
    plugins: list[PluginInfo]

    @property
    def failed(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.status == "failed"]


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _wanted_plugins() -> set[str] | None:
    raw = os.environ.get(PLUGINS_ENV)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _dist_version(ep) -> str | None:
    try:
        return ep.dist.version if ep.dist else None
    except Exception:  # pragma: no cover
        return None


def create_plugin_manager() -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A fresh manager with the built-ins and every allowed installed plugin."""
    import importlib

    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    from . import __version__

    for modname in BUILTIN_MODULES:
        module = importlib.import_module(modname)
        pm.register(module, name=modname)
        infos.append(PluginInfo(modname, __version__, True))
    wanted = _wanted_plugins()
    seen: set[str] = set()
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in seen or (wanted is not None and ep.name not in wanted):
            continue
        seen.add(ep.name)
        info = PluginInfo(ep.name, _dist_version(ep), False)
        infos.append(info)
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:
            info.status = "failed"
            info.error = f"plugin {ep.name} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
            log.error("%s\n%s", info.error, traceback.format_exc(limit=3))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = getattr(exc, "plugin", None)
        pname = pm.get_name(name) if name is not None else "?"
        for info in infos:
            if info.name == pname:
                info.status = "failed"
                info.error = f"plugin {pname}: {exc}"
        if name is not None:
            pm.unregister(name)
        log.error("plugin %s implements an unknown hook: %s", pname, exc)
        # check the rest too
        pm.check_pending()
    for info in infos:
        plugin = pm.get_plugin(info.name)
        if plugin is not None:
            info.hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    return pm, infos


def _contributions(pm: pluggy.PluginManager, info: PluginInfo) -> dict[str, list]:
    """Call one plugin's hooks with register callbacks; return what it registered."""
    plugin = pm.get_plugin(info.name)
    got: dict[str, list] = {"rulesets": [], "facts": [], "formats": [], "commands": []}
    if plugin is None:
        return got

    def reg_ruleset(path):
        p = Path(path)
        if not p.exists():
            raise PluginError(f"registered ruleset path {p} does not exist")
        got["rulesets"].extend(ruleset_files(p) if p.is_dir() else [p])

    def reg_fact(fact):
        if not isinstance(fact, dict):
            raise PluginError(f"register_facts takes a mapping, got {type(fact).__name__}")
        got["facts"].append(dict(fact))

    def reg_format(name, media_type, extension, render, description="", binary=False):
        if not callable(render):
            raise PluginError(f"output format {name!r}: render is not callable")
        if not (isinstance(name, str) and name.isidentifier()):
            raise PluginError(f"output format name {name!r} must be a simple word")
        got["formats"].append(OutputFormat(name, media_type, extension.lstrip("."), render, description,
                                           bool(binary), info.name))

    def reg_command(command):
        if not isinstance(command, click.Command):
            raise PluginError(f"register_commands takes a click.Command, got {type(command).__name__}")
        got["commands"].append(command)

    callbacks = {
        "register_rulesets": reg_ruleset,
        "register_facts": reg_fact,
        "register_output_formats": reg_format,
        "register_commands": reg_command,
    }
    for hook_name, callback in callbacks.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin is plugin:
                impl.function(register=callback)
    return got


def _documents(info: PluginInfo, got: dict[str, list]) -> list[RulesetDocument]:
    docs = [load_ruleset_file(p, info.name) for p in got["rulesets"]]
    if got["facts"]:
        raw = {"ruleset": f"{info.name.replace('-', '_').replace('.', '_')}_facts", "version": "1.0.0",
               "kind": "facts", "title": f"Facts registered by {info.name}",
               "facts": [{k: v for k, v in f.items() if k != "discriminates"} for f in got["facts"]]}
        docs.append(parse_ruleset(raw, f"<facts registered by {info.name}>", info.name))
    return docs


def build_registry(strict: bool | None = None) -> Registry:
    strict = strict_from_env() if strict is None else strict
    pm, infos = create_plugin_manager()
    builder = CatalogueBuilder()
    formats: dict[str, OutputFormat] = {}
    commands: dict[str, tuple[click.Command, str]] = {}
    catalogue: Catalogue | None = None

    for info in infos:
        if info.status == "failed":
            continue
        try:
            got = _contributions(pm, info)
            docs = _documents(info, got)
            trial = CatalogueBuilder()
            for d in builder.docs + docs:
                trial.add(d)
            trial_catalogue = trial.build() if any(d.levels for d in trial.docs) else None
            clashes = [f.name for f in got["formats"] if f.name in formats]
            clashes += [c.name for c in got["commands"] if c.name in commands]
            if clashes:
                owners = {**{k: v.plugin for k, v in formats.items()}, **{k: v[1] for k, v in commands.items()}}
                raise PluginError("; ".join(f"'{n}' is already registered by plugin {owners[n]}; plugin {info.name} registers it again" for n in clashes))
        except RulesetError as exc:
            info.status, info.error = "failed", f"plugin {info.name}: invalid ruleset: {exc}"
            info.problems = [p.to_dict() for p in exc.problems]
        except Exception as exc:
            info.status, info.error = "failed", f"plugin {info.name} raised in a hook: {type(exc).__name__}: {exc}"
        if info.status == "failed":
            log.error("%s", info.error)
            if info.builtin:
                raise PluginError(info.error)
            continue
        for d in docs:
            builder.add(d)
        catalogue = trial_catalogue or catalogue
        formats.update({f.name: f for f in got["formats"]})
        commands.update({c.name: (c, info.name) for c in got["commands"]})
        info.registered = {k: [_label(v) for v in vals] for k, vals in got.items() if vals}
        info.registered.update({"rulesets": [d.info.id for d in docs]} if docs else {})
    if strict:
        failed = [i for i in infos if i.status == "failed"]
        if failed:
            raise PluginError("\n".join(i.error or i.name for i in failed))
    if catalogue is None:
        catalogue = builder.build()
    return Registry(catalogue, formats, commands, infos)


def _label(value) -> str:
    if isinstance(value, OutputFormat):
        return value.name
    if isinstance(value, click.Command):
        return value.name or "?"
    if isinstance(value, dict):
        return str(value.get("name"))
    return Path(value).name if isinstance(value, (str, Path)) else str(value)


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = build_registry()
    return _registry


def reset_registry() -> None:
    """Forget the registry (tests, or after installing a plugin)."""
    global _registry
    with _lock:
        _registry = None


__all__ = ["BUILTIN_ORIGIN", "RulesetInfo", "Problem", "get_registry", "build_registry", "reset_registry"]
