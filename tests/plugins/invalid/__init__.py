"""Registers ruleset files of which one is invalid (see rulesets/cause.yaml)."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
