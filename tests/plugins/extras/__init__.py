"""An output format and a command, no rulesets."""
import click

from decision_core.hookspecs import hookimpl


def render(result, **options):
    return "causes: " + ",".join(c["id"] for c in result["causes"])


@hookimpl
def register_output_formats(register):
    register("causes-line", "text/plain", ".txt", render, description="One line of causes")


@hookimpl
def register_commands(register):
    @click.command("hello-plugin")
    def hello():
        click.echo("hello from a plugin")

    register(hello)
