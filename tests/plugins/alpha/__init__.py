"""Defines the fact shared_fact, as the other of alpha and beta does."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
