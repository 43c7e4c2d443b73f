"""What a report reads from its installation: a source and a fact label of its own, cited by a
cause; an output format; a language (Esperanto) for the report's title."""
from pathlib import Path

from decision_core.hookspecs import hookimpl


def render(result, **options):
    return "reporting: " + ",".join(c.id for c in result.causes)


@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")


@hookimpl
def register_output_formats(register):
    register("reporting-line", "text/plain", "txt", render, description="One line of causes")


@hookimpl
def register_translations(register):
    register(Path(__file__).parent / "locale")
