"""Raises inside a helper its hook calls."""
from decision_core.hookspecs import hookimpl


def helper():
    raise RuntimeError("the ruleset server is down")


@hookimpl
def register_rulesets(register):
    helper()
