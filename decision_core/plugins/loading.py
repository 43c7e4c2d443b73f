"""Loading plugins: the pluggy manager with the built-ins and the installed plugins
(entry points in the group ``decision_core``) that ``DECISION_CORE_PLUGINS`` allows, or
instead of the installed ones the plugin objects an installation is given
(``DecisionCore.load(plugins=[...])``).

The built-ins are the core's own (:mod:`decision_core.plugins.builtin`) and the entry points
of this distribution in the group ``decision_core.builtin`` (the adapters' plugins, listed in
pyproject.toml, so that the core names no adapter).

* ``DECISION_CORE_PLUGINS``: unset, every installed plugin loads; set, only the
  comma-separated names listed (entry-point or distribution names; empty: none
  but the built-ins). The others are listed as ``disabled``.
* ``DECISION_CORE_PLUGIN_IMPORT_TIMEOUT``: seconds each installed plugin may take
  to import (default 30; 0: no limit). Each is logged as it loads; one that takes
  longer fails, named, and its import is left running in a daemon thread.

A plugin that cannot be imported or registered, or that implements a hook that
does not exist (``pm.check_pending()``), is recorded as failed on its
:class:`PluginInfo`; a built-in that fails raises :class:`PluginError`.
"""
from __future__ import annotations

import difflib
import importlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable, Mapping

import pluggy

from decision_core import hookspecs, settings
from decision_core.plugins.locations import at, function_at, module_roots, raised_at, roots_display

log = logging.getLogger("decision_core.plugins.registry")

ENTRY_POINT_GROUP = "decision_core"
BUILTIN_GROUP = "decision_core.builtin"  # this distribution's own plugins beyond the core's
DISTRIBUTION = "hamstring-decision-core"
CORE_BUILTIN = "decision_core.plugins.builtin"
PLUGINS_ENV = settings.PLUGINS
IMPORT_TIMEOUT_ENV = settings.PLUGIN_IMPORT_TIMEOUT

# The contribution hooks, in the order they are called.
HOOK_NAMES = ("register_rulesets", "register_facts", "register_output_formats", "register_commands",
              "register_translations")


class PluginError(RuntimeError):
    """A plugin could not be loaded (strict mode, or a built-in), or two plugins collide."""


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

    def fail(self, message: str, problems: Iterable[Any] = ()) -> None:
        self.status, self.error = "failed", message
        self.problems = [p.to_dict() for p in problems]


# ------------------------------------------------------------------ selection


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).strip().lower()


def _wanted_plugins(listed: tuple[str, ...] | None) -> dict[str, str] | None:
    """The names DECISION_CORE_PLUGINS allows, normalised -> as written (None: unset, all allowed)."""
    if listed is None:
        return None
    return {_normal(n): n for n in listed}


def _dist(ep, attribute: str) -> str | None:
    try:
        return getattr(ep.dist, attribute) if ep.dist else None
    except Exception:  # pragma: no cover - broken metadata
        return None


def _selected_entry_points(infos: list[PluginInfo], listed: tuple[str, ...] | None
                           ) -> list[tuple[PluginInfo, metadata.EntryPoint]]:
    """Installed entry points allowed by DECISION_CORE_PLUGINS (``listed``); the others are listed as disabled."""
    wanted = _wanted_plugins(listed)
    found: set[str] = set()
    owners: dict[str, metadata.EntryPoint] = {}
    selected = []
    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, _dist(e, "name") or ""))
    for ep in eps:
        dist = _dist(ep, "name")
        info = PluginInfo(ep.name, _dist(ep, "version"), False, module=ep.value, distribution=dist)
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
                      f"{_dist(first, 'name')} ({first.value}); distribution {dist} ({ep.value}) claims it again")
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


# ------------------------------------------------------------------ importing


class ImportTimeout(Exception):
    """The plugin did not finish importing in time."""


def load_entry_point(ep: metadata.EntryPoint, timeout: float) -> Any:
    """``ep.load()``, given at most ``timeout`` seconds. A plugin that sleeps or hangs at import
    must not stall start-up unnamed: the import runs in a daemon thread, and when the time is up
    the plugin fails (the thread is left to finish or hang on its own)."""
    if not timeout:
        return ep.load()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["plugin"] = ep.load()
        except BaseException as exc:  # handed to the loading thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"import plugin {ep.name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ImportTimeout()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["plugin"]


def _import_installed(ep: metadata.EntryPoint, info: PluginInfo, timeout: float) -> Any | None:
    """The plugin object an entry point names, or None with the failure recorded on ``info``."""
    log.info("loading plugin %s (entry point %s = %s)", ep.name, ep.name, ep.value)
    started = time.monotonic()
    named = f"plugin '{ep.name}' (entry point {ep.name} = {ep.value}, distribution {info.distribution})"
    try:
        plugin = load_entry_point(ep, timeout)
    except ImportTimeout:
        info.fail(f"{named} did not finish importing within {timeout:g} s ({IMPORT_TIMEOUT_ENV})")
        return None
    except Exception as exc:
        where = raised_at(exc, module_roots(ep.module))
        info.fail(f"{named} failed to import: {type(exc).__name__}: {exc}{at(where)}")
        log.debug("import of plugin %s failed", ep.name, exc_info=True)
        return None
    log.info("plugin %s imported in %.2f s", ep.name, time.monotonic() - started)
    return plugin


# ------------------------------------------------------------------ the manager


def builtin_entry_points() -> list[metadata.EntryPoint]:
    """The built-ins beyond the core's own: this distribution's entry points in the group
    ``decision_core.builtin``, in the order pyproject.toml lists them. Another distribution
    cannot add a built-in (one that could not be disabled, and whose failure stops start-up)."""
    found = [ep for ep in metadata.entry_points(group=BUILTIN_GROUP)
             if _normal(_dist(ep, "name") or "") == _normal(DISTRIBUTION)]
    if not found:
        log.warning("no built-in plugins in the entry-point group %s: the package metadata is out of date "
                    "(reinstall: pip install -e .); the report formats and the serve command are missing",
                    BUILTIN_GROUP)
    return found


def _own_version() -> str | None:
    """The built-ins' version: this distribution's (read from its metadata, as decision_core.__version__
    is written; the package's __init__ would pull in the installation, which stands above plugins)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return None


def plugin_name(plugin: Any) -> str:
    """The name a given plugin object is listed under: a module's name, else the object's own."""
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def create_plugin_manager(plugins: Iterable[Any] | Mapping[str, Any] | None = None
                          ) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A fresh manager with the built-ins and every allowed installed plugin registered; with
    ``plugins``, those plugin objects (modules, or any object with ``@hookimpl`` functions)
    instead of the installed ones, each named by :func:`plugin_name` (or by its key, given a mapping).

    Installed plugins that cannot be imported or registered are returned as
    failed infos; a built-in that fails raises :class:`PluginError`.
    """
    version = _own_version()
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    builtins = [(CORE_BUILTIN, lambda: importlib.import_module(CORE_BUILTIN))]
    builtins += [(ep.name, ep.load) for ep in builtin_entry_points()]
    for name, load in builtins:
        info = PluginInfo(name, version, True, module=name)
        infos.append(info)
        _register(pm, info, load())  # a broken built-in is a bug: let it raise
        if info.status == "failed":
            raise PluginError(info.error)
    if plugins is not None:
        named = plugins.items() if isinstance(plugins, Mapping) else ((plugin_name(p), p) for p in plugins)
        for name, plugin in named:
            info = PluginInfo(name, getattr(plugin, "__version__", None), False, module=name)
            infos.append(info)
            _register(pm, info, plugin)
    else:
        try:
            configured = settings.current()
        except settings.SettingsError as exc:
            raise PluginError(str(exc)) from None
        timeout = configured.plugin_import_timeout
        for info, ep in _selected_entry_points(infos, configured.plugins):
            plugin = _import_installed(ep, info, timeout)
            if plugin is not None:
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
        info.fail(f"plugin '{info.name}'{at(roots_display(plugin))}: a hook does not match its specification: {detail}")
        return
    except ValueError as exc:
        other = pm.get_name(plugin)
        info.fail(f"plugin '{info.name}': the same object is already registered as plugin '{other}' ({exc})")
        return
    for name in HOOK_NAMES:
        candidate = getattr(plugin, name, None)
        if callable(candidate) and pm.parse_hookimpl_opts(plugin, name) is None:
            info.warnings.append(f"{name} is defined{at(function_at(candidate))} but not marked "
                                 f"@hookimpl, so it is never called")


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
            messages.append(f"unknown hook '{hook_name}'{at(function_at(impl.function))}; {hint}")
        info = by_name[name]
        info.fail(f"plugin '{name}' implements " + "; ".join(messages))
        pm.unregister(plugin)
        if info.builtin:
            raise PluginError(info.error)
    pm.check_pending()
