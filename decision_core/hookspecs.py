"""Hook specifications: what a plugin can contribute.

Every contribution hook receives a ``register`` callback; the core validates
what is registered and rejects duplicates, naming both plugins.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("decision_core")
hookimpl = pluggy.HookimplMarker("decision_core")


@hookspec
def register_rulesets(register):
    """Register ruleset files or folders of them: ``register(path)`` (causes, facts, triage, recommendations, avoid)."""


@hookspec
def register_facts(register):
    """Register intake facts: ``register(fact)`` with a mapping (name, type, label, question, ..., discriminates)."""


@hookspec
def register_output_formats(register):
    """Register output formats: ``register(name, media_type, extension, render, description="", binary=False)``."""


@hookspec
def register_commands(register):
    """Register command-line commands: ``register(command)`` with a ``click.Command``."""
