"""What an engine is: a session that runs one encoded case's two strata, and the error it raises.
The engines (``durable``, ``plain``) implement it; ``engines`` chooses one."""
from __future__ import annotations

from typing import ContextManager, Protocol

from decision_core.engine.compiler import Stratum2Input


class EngineError(RuntimeError):
    """The engine failed on a case; the evaluation is abandoned, never half-done."""


class Session(Protocol):
    def run_stratum1(self) -> list[str]:
        """The case's stratum-1 rules that fired, in firing order."""

    def run_stratum2(self, inputs: Stratum2Input) -> list[str]:
        """The stratum-2 rules that fire on what the core concluded from stratum 1."""


class Engine(Protocol):
    name: str

    def session(self, case: dict) -> ContextManager[Session]: ...
