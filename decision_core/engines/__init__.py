"""Rule engines: each runs compiled rules over one encoded case in two strata.

An engine returns which rules fired; everything else (scoring, triage policy,
explanations) is computed once, by the core, from that. ``durable`` is the
default; ``plain`` is a plain-Python evaluator of the same compiled rules, used
as a test oracle and where durable-rules cannot run.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Protocol

from ..compiler import CompiledRules, Stratum2Input

ENGINE_ENV = "DECISION_CORE_ENGINE"
DEFAULT_ENGINE = "durable"
ENGINE_NAMES = ("durable", "plain")


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
    chosen = (name or os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {chosen!r} (choose one of: {', '.join(ENGINE_NAMES)}; set by {ENGINE_ENV})")
    return chosen


def create_engine(compiled: CompiledRules, name: str | None = None) -> Engine:
    chosen = engine_name(name)
    if chosen == "plain":
        from .plain import PlainEngine

        return PlainEngine(compiled)
    from .durable import DurableEngine

    return DurableEngine(compiled)
