"""Defines a hook function without @hookimpl, so it is never called."""


def register_rulesets(register):
    raise AssertionError("never called")
