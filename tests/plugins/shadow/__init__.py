"""Registers a command named like a built-in one (evaluate)."""
import click

from decision_core.hookspecs import hookimpl


@hookimpl
def register_commands(register):
    register(click.Command("evaluate"))
