"""Decision support for hamstring tightness: facts in, an explained decision out.

Importing this package has no side effects: rulesets and plugins load on the
first evaluation.
"""
from __future__ import annotations

import threading
from typing import Any

__version__ = "0.1.0"

_evaluators: dict[str, Any] = {}
_lock = threading.Lock()


def get_evaluator(engine: str | None = None):
    """The shared evaluator for the installed catalogue (built once per engine)."""
    from .engines import engine_name
    from .evaluator import Evaluator
    from .plugin_manager import get_registry

    name = engine_name(engine)
    ev = _evaluators.get(name)
    if ev is None:
        with _lock:
            ev = _evaluators.get(name)
            if ev is None:
                ev = _evaluators[name] = Evaluator(get_registry().catalogue, name)
    return ev


def reset() -> None:
    """Forget loaded plugins and evaluators (after installing a plugin, in tests)."""
    from .plugin_manager import reset_registry

    with _lock:
        _evaluators.clear()
    reset_registry()


def evaluate(facts: Any, *, engine: str | None = None):
    """Evaluate one patient's facts; returns a :class:`decision_core.result.Result`.

    Raises :class:`decision_core.intake.InvalidFacts` naming every bad field.
    """
    return get_evaluator(engine).evaluate(facts)


def __getattr__(name: str):
    if name == "Result":
        from .result import Result

        return Result
    if name == "InvalidFacts":
        from .intake import InvalidFacts

        return InvalidFacts
    raise AttributeError(name)


__all__ = ["evaluate", "get_evaluator", "reset", "Result", "InvalidFacts", "__version__"]
