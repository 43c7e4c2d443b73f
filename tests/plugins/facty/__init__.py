"""Registers a fact from Python, read by the rule of its ruleset file."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")


@hookimpl
def register_facts(register):
    register({"name": "extra_minutes", "type": "int", "min": 0, "max": 90, "label": "Minutes",
              "question": "How many minutes?", "discriminates": ["facty_cause"]})
