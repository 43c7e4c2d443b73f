"""Weak hamstrings as a cause of hamstring tightness: a decision-core plugin.

The rulesets (facts, the cause, recommendations, things to avoid) are YAML
files in ``rulesets/``, their translations gettext catalogues in ``locale/``
(``decision-core translations extract --rulesets .../rulesets`` keeps them in
step); this module only tells decision-core where they are.
"""
from __future__ import annotations

from pathlib import Path

from decision_core.hookspecs import hookimpl

__version__ = "1.0.0"

RULESETS = Path(__file__).resolve().parent / "rulesets"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
LOCALE = Path(__file__).resolve().parent / "locale"


@hookimpl
def register_rulesets(register):
    register(RULESETS)


@hookimpl
def register_translations(register):
    register(LOCALE)
