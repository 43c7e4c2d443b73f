"""What the commands share: the installation a command works on, a JSON file read with a clear
error, and an engine's evaluator. Every command module imports these from here, never from
``cli.main`` (which imports the commands: no circle)."""
from __future__ import annotations

import json
from typing import IO, Any

import click


def current_core():
    """The installation a command works on: the one the caller passed (``main(obj=core)``, as
    tests do), else the process default. A plugin failure that stops start-up is a usage error."""
    from decision_core.installation import DecisionCore, default_core
    from decision_core.plugins.registry import PluginError
    from decision_core.settings import SettingsError

    ctx = click.get_current_context(silent=True)
    given = ctx.find_object(DecisionCore) if ctx is not None else None
    try:
        return given or default_core()
    except (PluginError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from exc


def read_json(stream: IO[str], name: str) -> Any:
    try:
        return json.load(stream)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{name}: not UTF-8 text ({exc.reason})")


def evaluator_of(engine: str | None):
    try:
        return current_core().evaluator(engine)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
