"""A plugin with exercises of its own: one drawn from poses, one from an SVG file of the plugin's, one
with no picture at all (lint warns about it)."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
