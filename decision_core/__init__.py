"""Decision support for hamstring tightness: facts in, an explained decision out.

Importing this package has no side effects: rulesets and plugins load on the
first evaluation. :class:`decision_core.installation.DecisionCore` is one installation
(registry and evaluators) to create and pass on; :func:`evaluate` and
:func:`get_evaluator` use the process default.
"""
from __future__ import annotations

import warnings
from typing import Any

__version__ = "0.1.0"


def get_evaluator(engine: str | None = None):
    """The process default's evaluator for the installed catalogue (built once per engine)."""
    from decision_core.installation import default_core

    return default_core().evaluator(engine)


def reset() -> None:
    """Deprecated: ``decision_core.installation.set_default_core(None)``. Forgets the process default, so
    that the next evaluation loads the plugins afresh (after installing one into a running process)."""
    from decision_core.installation import set_default_core

    warnings.warn("decision_core.reset() is deprecated; use decision_core.installation.set_default_core(None), "
                  "or build a decision_core.installation.DecisionCore", DeprecationWarning, stacklevel=2)
    set_default_core(None)


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


__all__ = ["evaluate", "get_evaluator", "reset", "DecisionCore", "Result", "InvalidFacts", "__version__"]
