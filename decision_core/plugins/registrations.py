"""What one plugin's hooks register: each ``register(...)`` call validated on its own,
collected per plugin, not yet merged with the others' (see plugins.registry)."""
from __future__ import annotations

import inspect
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import click
import pluggy
from marshmallow import ValidationError

from decision_core.catalogue.loading import BUILTIN_ORIGIN, Fact, Problem, RulesetDocument, RulesetError, RulesetInfo, _display, \
    load_documents, ruleset_files
from decision_core.plugins.loading import HOOK_NAMES, PluginError, PluginInfo, create_plugin_manager
from decision_core.plugins.locations import at, function_at, plugin_roots, raised_at
from decision_core.catalogue.schema import FactSchema, flatten_messages

log = logging.getLogger("decision_core.plugins.registry")

_FORMAT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")


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


def plugin_origin(info: PluginInfo) -> str:
    """What a plugin's rulesets are attributed to in results (the built-ins share ``decision_core``)."""
    return BUILTIN_ORIGIN if info.builtin else info.name


class _Register:
    """The ``register`` a hook receives; it works only while the hook runs."""

    def __init__(self, hook_name: str, accept: Callable):
        self.hook_name, self.accept, self.open = hook_name, accept, True

    def __call__(self, *args, **kwargs):
        if not self.open:
            raise PluginError(f"{self.hook_name}'s register was called after the hook returned")
        return self.accept(*args, **kwargs)


class Collector:
    """Calls one plugin's hooks, each with a ``register`` that checks what it is given.

    One method per hook, named after it. A bad registration raises PluginError at once (the
    hook loop adds the plugin, hook and line); invalid facts are gathered, to name them all."""

    def __init__(self, info: PluginInfo):
        self.info, self.origin = info, plugin_origin(info)
        self.got = Contributions()
        self.facts: list[dict] = []
        self.fact_problems: list[Problem] = []
        self.file = "?"  # the file of the hook being called, to locate a bad fact
        self.facts_file = "?"
        self.fact_calls = 0  # to label a fact without a name

    def register_rulesets(self, path) -> None:
        if not isinstance(path, (str, os.PathLike)) and not hasattr(path, "joinpath"):
            raise PluginError(f"register(path) takes a file or folder path, got {type(path).__name__}")
        p = Path(str(path))
        if not p.is_absolute():
            raise PluginError(f"ruleset path '{p}' is relative; register an absolute path, "
                              "e.g. Path(__file__).parent / 'rulesets'")
        if not p.exists():
            raise PluginError(f"ruleset path {p} does not exist")
        if p.is_dir():
            files = ruleset_files(p)
            if not files:
                raise PluginError(f"no *.yaml ruleset files in {p} (installed without its package data?)")
            self.got.ruleset_files.extend(files)
        elif p.suffix not in (".yaml", ".yml"):
            raise PluginError(f"ruleset file {p} is not a .yaml file")
        else:
            self.got.ruleset_files.append(p)

    def register_facts(self, fact) -> None:
        self.fact_calls += 1
        label = f"fact {fact['name']}" if isinstance(fact, dict) and isinstance(fact.get("name"), str) \
            else f"fact number {self.fact_calls}"
        if not isinstance(fact, dict):
            self.fact_problems.append(Problem(self.file, label, None,
                                              f"register(fact) takes a mapping, got {type(fact).__name__}", self.origin))
            return
        try:  # the same schema as facts in ruleset files
            self.facts.append(FactSchema().load(dict(fact)))
        except ValidationError as exc:
            self.fact_problems.extend(Problem(self.file, label, fld, msg, self.origin)
                                      for fld, msg in flatten_messages(exc.messages))

    def register_output_formats(self, name, media_type, extension, render, description="", binary=False) -> None:
        if not (isinstance(name, str) and _FORMAT_NAME.match(name)):
            raise PluginError(f"output format name {name!r} must be lower-case letters, digits, - or _")
        if not (isinstance(media_type, str) and _MEDIA_TYPE.match(media_type)):
            raise PluginError(f"output format {name!r}: media type {media_type!r} is not like 'text/html'")
        if not (isinstance(extension, str) and extension.lstrip(".").isalnum()):
            raise PluginError(f"output format {name!r}: extension {extension!r} is not like 'html'")
        if not callable(render):
            raise PluginError(f"output format {name!r}: render is not callable")
        if any(f.name == name for f in self.got.formats):
            raise PluginError(f"output format {name!r} is registered twice")
        self.got.formats.append(OutputFormat(name, media_type, extension.lstrip("."), render,
                                             str(description or ""), bool(binary), self.info.name))

    def register_commands(self, command) -> None:
        if not isinstance(command, click.Command):
            raise PluginError(f"register(command) takes a click.Command, got {type(command).__name__}")
        if not command.name:
            raise PluginError("a registered command needs a name")
        if any(c.name == command.name for c in self.got.commands):
            raise PluginError(f"command {command.name!r} is registered twice")
        self.got.commands.append(command)

    def register_translations(self, path) -> None:
        from decision_core.plugins.locales import check_locale_dir

        try:
            self.got.locale_dirs.append(check_locale_dir(path))
        except ValueError as exc:
            raise PluginError(str(exc)) from exc

    def call(self, hook_name: str, impl: pluggy.HookImpl) -> None:
        """Run one hook implementation; PluginError names the plugin, the hook and the line."""
        name = self.info.name
        self.file = _display(inspect.getsourcefile(impl.function) or "?")
        if hook_name == "register_facts":
            self.facts_file = self.file
        register = _Register(hook_name, getattr(self, hook_name))
        try:
            returned = impl.function(**{arg: register for arg in impl.argnames})
        except PluginError as exc:
            where = raised_at(exc, plugin_roots(impl.function), impl.function)
            raise PluginError(f"plugin '{name}', hook {hook_name}{at(where)}: {exc}") from exc
        except Exception as exc:
            where = raised_at(exc, plugin_roots(impl.function), impl.function)
            log.debug("plugin %s raised in %s", name, hook_name, exc_info=True)
            raise PluginError(f"plugin '{name}' raised in hook {hook_name}{at(where)}: "
                              f"{type(exc).__name__}: {exc}") from exc
        finally:
            register.open = False
        if returned is not None:
            raise PluginError(f"plugin '{name}', hook {hook_name}{at(function_at(impl.function))} returned a value; "
                              "hooks call register(...) instead of returning")

    def collect(self, pm: pluggy.PluginManager) -> Contributions:
        """Every hook of this plugin, in HOOK_NAMES order. Raises PluginError or RulesetError."""
        plugin = pm.get_plugin(self.info.name)
        for hook_name in HOOK_NAMES:
            for impl in getattr(pm.hook, hook_name).get_hookimpls():
                if impl.plugin is plugin:
                    self.call(hook_name, impl)
        if self.fact_problems:
            raise RulesetError(self.fact_problems)
        if self.facts:
            self.got.facts = self._facts_document()
        return self.got

    def _facts_document(self) -> RulesetDocument:
        info = self.info
        # A dotted id cannot collide with a ruleset file's id (files use lower_snake_case).
        rid = f"{re.sub(r'[^a-z0-9_]+', '_', info.name.lower())}.registered_facts"
        ruleset_info = RulesetInfo(rid, info.version or "0.0.0", "facts", f"Facts registered by {info.name}",
                                   self.origin, self.facts_file)
        facts = [Fact(ruleset=rid, **{**f, "values": tuple(f.get("values", ())),
                                      "discriminates": tuple(f.get("discriminates", ()))}) for f in self.facts]
        return RulesetDocument(ruleset_info, rules=[], facts=facts)


def indented(exc: RulesetError) -> str:
    return "\n".join(f"  {p}" for p in exc.problems)


def load_plugins(plugins: Iterable[Any] | Mapping[str, Any] | None = None) -> list[LoadedPlugin]:
    """Every plugin (the built-ins, and the installed ones or else ``plugins``) with what it
    registered, not yet merged. Failures are recorded on the infos (a failing built-in raises)."""
    pm, infos = create_plugin_manager(plugins)
    loaded = []
    for info in infos:
        contributions = None
        if info.status == "ok":
            try:
                contributions = Collector(info).collect(pm)
            except RulesetError as exc:
                info.fail(f"plugin '{info.name}' registers an invalid fact:\n" + indented(exc), exc.problems)
            except PluginError as exc:
                info.fail(str(exc))
            if info.status == "failed":
                if info.builtin:
                    raise PluginError(info.error)
                contributions = None
        loaded.append(LoadedPlugin(info, contributions))
    return loaded
