"""Rule engines: each runs compiled rules over one encoded case in two strata.

An engine says which rules fired; everything else (scoring, triage policy,
explanations) is computed once, by the core, from that. A run is a session:

    with engine.session(case) as s:
        fired1 = s.run_stratum1()                         # the case: findings, causes' evidence, triage
        fired2 = s.run_stratum2(scored.stratum2_input())  # the programme, from what the core concluded

The session is the engine's for as long as the ``with`` lasts (the durable one
holds its process lock), and is left clean after it, whatever happened inside. ``durable`` is the
default; ``plain`` is a plain-Python evaluator of the same compiled rules, used
as a test oracle and where durable-rules cannot run: durable-rules 2.0.28 does
not import on Python 3.13 and newer (it is not even installed there), and the
default then falls back to ``plain`` with one log line. Asked for by name
(argument or $DECISION_CORE_ENGINE), ``durable`` fails instead.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from decision_core import settings
from decision_core.engine.compiler import CompiledRules
from decision_core.engine.protocol import Engine, EngineError, Session  # noqa: F401  (read from here too)

ENGINE_ENV = settings.ENGINE
DEFAULT_ENGINE = "durable"
ENGINE_NAMES = settings.ENGINE_NAMES

log = logging.getLogger(__name__)


def engine_name(name: str | None = None) -> str:
    """The engine to use: ``name``, else $DECISION_CORE_ENGINE (:mod:`decision_core.settings`), else
    durable where it runs and plain elsewhere. ValueError for an unknown name."""
    chosen = (name or "").strip().lower() or settings.current().engine
    if not chosen:
        return DEFAULT_ENGINE if durable_unavailable() is None else _fallback()
    if chosen not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {chosen!r} (choose one of: {', '.join(ENGINE_NAMES)}; set by {ENGINE_ENV})")
    return chosen


@lru_cache(maxsize=1)
def durable_unavailable() -> str | None:
    """None when the durable-rules engine imports here; else why not."""
    try:
        from decision_core.engine import durable  # noqa: F401
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
        from decision_core.engine.plain import PlainEngine

        return PlainEngine(compiled)
    from decision_core.engine.durable import DurableEngine

    return DurableEngine(compiled)
