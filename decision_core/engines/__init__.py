"""Rule engines: each runs compiled rules over one encoded case in two strata.

An engine returns which rules fired; everything else (scoring, triage policy,
explanations) is computed once, by the core, from that. ``durable`` is the
default; ``plain`` is a plain-Python evaluator of the same compiled rules, used
as a test oracle and where durable-rules cannot run: durable-rules 2.0.28 does
not import on Python 3.13 and newer (it is not even installed there), and the
default then falls back to ``plain`` with one log line. Asked for by name
(argument or $DECISION_CORE_ENGINE), ``durable`` fails instead.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Protocol

from ..compiler import CompiledRules, Stratum2Input

ENGINE_ENV = "DECISION_CORE_ENGINE"
DEFAULT_ENGINE = "durable"
ENGINE_NAMES = ("durable", "plain")

log = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """The engine failed on a case; the evaluation is abandoned, never half-done."""


@dataclass(frozen=True)
class Firings:
    stratum1: list[str]
    stratum2: list[str]


Between = Callable[[list[str]], Stratum2Input]


class Engine(Protocol):
    name: str

    def run(self, case: dict, between: Between) -> Firings: ...


def engine_name(name: str | None = None) -> str:
    """The engine to use: ``name``, else $DECISION_CORE_ENGINE, else durable where it runs and plain elsewhere."""
    chosen = (name or os.environ.get(ENGINE_ENV) or "").strip().lower()
    if not chosen:
        return DEFAULT_ENGINE if durable_unavailable() is None else _fallback()
    if chosen not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {chosen!r} (choose one of: {', '.join(ENGINE_NAMES)}; set by {ENGINE_ENV})")
    return chosen


@lru_cache(maxsize=1)
def durable_unavailable() -> str | None:
    """None when the durable-rules engine imports here; else why not."""
    try:
        from . import durable  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=1)
def _fallback() -> str:
    log.warning("engine: plain, as durable-rules cannot run here: %s", durable_unavailable())  # once per process
    return "plain"


def create_engine(compiled: CompiledRules, name: str | None = None) -> Engine:
    chosen = engine_name(name)
    if chosen == "plain":
        from .plain import PlainEngine

        return PlainEngine(compiled)
    from .durable import DurableEngine

    return DurableEngine(compiled)
