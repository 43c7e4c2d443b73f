"""Defines a cause with the id of a built-in one (acute_strain)."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
