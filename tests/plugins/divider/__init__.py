"""Raises ZeroDivisionError in its hook."""
from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    1 / 0
