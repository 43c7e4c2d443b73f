"""Implements a hook with a misspelled name (register_ruleset)."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_ruleset(register):
    register(Path(__file__).parent / "rulesets")
