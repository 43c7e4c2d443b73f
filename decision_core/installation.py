"""One installation of decision-core: the plugins' merged registry and an evaluator per
engine, as one object that the CLI, the HTTP app factory and tests create and pass on.

``decision_core.evaluate`` and ``get_evaluator`` use the process default
(:func:`default_core`), built on first use from what is installed then.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:
    from decision_core.evaluation.evaluator import Evaluator
    from decision_core.plugins.registry import Registry
    from decision_core.result.model import Result


class DecisionCore:
    """A registry (catalogue, output formats, commands, plugins, translations) and its
    evaluators, one per engine, built on first use. Thread-safe."""

    def __init__(self, registry: "Registry"):
        self.registry = registry
        self._evaluators: dict[str, Evaluator] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, strict: bool | None = None,
             plugins: Iterable[Any] | Mapping[str, Any] | None = None) -> "DecisionCore":
        """The built-ins and the installed plugins ``DECISION_CORE_PLUGINS`` allows; or, given
        ``plugins`` (modules, or objects with ``@hookimpl`` functions), the built-ins and exactly
        those, whatever is installed: a plugin tried in a test, or an application's own. Each given
        plugin is named by its ``__name__``, or by its key in a mapping ``{name: plugin}``. They are
        checked and merged as installed ones are. Raises PluginError when a built-in fails, or
        (strict mode, default ``DECISION_CORE_STRICT``) any plugin."""
        from decision_core.plugins.registry import build_registry

        given = None if plugins is None else dict(plugins) if isinstance(plugins, Mapping) else list(plugins)
        return cls(build_registry(strict, given))

    @property
    def catalogue(self):
        return self.registry.catalogue

    @property
    def formats(self):
        return self.registry.formats

    @property
    def commands(self):
        return self.registry.commands

    @property
    def plugins(self):
        return self.registry.plugins

    def plugin(self, name: str):
        return self.registry.plugin(name)

    def evaluator(self, engine: str | None = None) -> "Evaluator":
        """The evaluator of ``engine`` (default: ``$DECISION_CORE_ENGINE``, else durable), built once."""
        from decision_core.engine.engines import engine_name
        from decision_core.evaluation.evaluator import Evaluator

        name = engine_name(engine)
        found = self._evaluators.get(name)
        if found is None:
            with self._lock:
                found = self._evaluators.get(name)
                if found is None:
                    found = self._evaluators[name] = Evaluator(self.registry.catalogue, name, self.registry.compiled)
        return found

    def evaluate(self, facts: Any, *, engine: str | None = None) -> "Result":
        return self.evaluator(engine).evaluate(facts)


_lock = threading.Lock()
_default: DecisionCore | None = None
_failure: Exception | None = None  # a failed build is not retried: the same error every time


def default_core() -> DecisionCore:
    """The process default, loaded on first use. Raises PluginError when a built-in fails,
    or (strict mode) any plugin does -- the same error on every call."""
    global _default, _failure
    found = _default
    if found is None:
        with _lock:
            if _failure is not None:
                raise _failure
            if _default is None:
                from decision_core.plugins.registry import PluginError

                try:
                    _default = DecisionCore.load()
                except PluginError as exc:
                    _failure = exc
                    raise
            found = _default
    return found


def core_or_default(core: DecisionCore | None) -> DecisionCore:
    """``core`` itself, or the process default when None (what a ``core=None`` argument means)."""
    return core if core is not None else default_core()


def catalogue_or_none(core: DecisionCore | None, log: "logging.Logger | None" = None, wanted: str = ""):
    """The catalogue of ``core`` (None: the process default), or None when the installation does not
    load; then ``log`` says what is ``wanted`` and unavailable. For renderers, which degrade instead of failing."""
    from decision_core.plugins.loading import PluginError

    try:
        return core_or_default(core).catalogue
    except PluginError as exc:
        if log is not None:
            log.warning("%s unavailable: the catalogue did not load (%s)", wanted, exc)
        return None


def installed_levels(core: DecisionCore | None = None):
    """The triage levels of ``core``'s catalogue as reports show them (None: the process default's;
    none, logged, when it cannot load: then every level is shown as the most severe)."""
    from decision_core.catalogue.levels import ShownLevels, log as levels_log

    catalogue = catalogue_or_none(core, levels_log, "triage levels")
    return ShownLevels(() if catalogue is None else catalogue.levels)


def set_default_core(core: DecisionCore | None) -> None:
    """Make ``core`` the process default; None: load it afresh on next use (after installing a
    plugin into a running process)."""
    global _default, _failure
    with _lock:
        _default, _failure = core, None


@contextlib.contextmanager
def fresh_default_core() -> Iterator[None]:
    """Within the block, the process default is loaded afresh on first use (seeing what is
    installed then); the one before comes back after it."""
    global _default, _failure
    with _lock:
        saved, (_default, _failure) = (_default, _failure), (None, None)
    try:
        yield
    finally:
        with _lock:
            _default, _failure = saved
