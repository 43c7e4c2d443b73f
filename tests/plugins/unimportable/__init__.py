"""Fails to import: it needs a module that is not installed."""
from decision_core.hookspecs import hookimpl

import a_module_that_does_not_exist_anywhere  # noqa: F401


@hookimpl
def register_rulesets(register):
    pass
