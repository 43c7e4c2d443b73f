"""Registers a ruleset path that is not one; $BADPATH_CASE picks which mistake."""
import os
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    case = os.environ["BADPATH_CASE"]
    if case == "relative":
        register("rulesets")
    elif case == "missing":
        register(Path(__file__).parent / "nowhere")
    elif case == "no-yaml":
        register(Path(__file__).parent)
    else:
        register(42)
