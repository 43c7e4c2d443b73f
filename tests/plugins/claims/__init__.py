"""An output format and a command, registered by this module and again by ``again``
(entry point ``claims:again``): two plugins claiming the same names."""
import click

from decision_core.hookspecs import hookimpl


@hookimpl
def register_output_formats(register):
    register("same-format", "text/plain", "txt", str)


@hookimpl
def register_commands(register):
    register(click.Command("same-command"))


class _Again:
    register_output_formats = staticmethod(register_output_formats)
    register_commands = staticmethod(register_commands)


again = _Again()
