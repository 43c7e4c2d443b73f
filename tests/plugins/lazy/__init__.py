"""Writes a line to the file $LAZY_PLUGIN_MARKER when imported and when its hook is called."""
import os

from decision_core.hookspecs import hookimpl


def _mark(event: str) -> None:
    with open(os.environ["LAZY_PLUGIN_MARKER"], "a", encoding="utf-8") as marker:
        marker.write(event + "\n")


_mark("import")


@hookimpl
def register_output_formats(register):
    _mark("hook")
    register("lazy-line", "text/plain", "txt", str)
