"""Decision support for hamstring tightness: facts in, an explained decision out.

Importing this package has no side effects: rulesets and plugins load on the
first evaluation. :class:`decision_core.installation.DecisionCore` is one installation
(registry and evaluators) to create and pass on; :func:`evaluate` and
:func:`get_evaluator` use the process default.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def get_evaluator(engine: str | None = None):
    """The process default's evaluator for the installed catalogue (built once per engine)."""
    from decision_core.installation import default_core

    return default_core().evaluator(engine)


def evaluate(facts: Any, *, engine: str | None = None):
    """Evaluate one patient's facts; returns a :class:`decision_core.result.model.Result`.

    Raises :class:`decision_core.intake.InvalidFacts` naming every bad field.
    """
    return get_evaluator(engine).evaluate(facts)


def __getattr__(name: str):
    if name == "Result":
        from decision_core.result.model import Result

        return Result
    if name == "InvalidFacts":
        from .intake import InvalidFacts

        return InvalidFacts
    if name == "DecisionCore":
        from decision_core.installation import DecisionCore

        return DecisionCore
    raise AttributeError(name)


__all__ = ["evaluate", "get_evaluator", "DecisionCore", "Result", "InvalidFacts", "__version__"]
