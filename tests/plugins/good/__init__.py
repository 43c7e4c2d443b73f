"""A well-behaved plugin: a fact, a cause and a recommendation of its own, in ruleset files."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
