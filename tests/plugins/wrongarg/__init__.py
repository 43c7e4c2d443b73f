"""A hook whose argument is not the specification's (add instead of register)."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(add):
    add(Path(__file__).parent / "rulesets")
