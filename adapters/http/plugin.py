"""Built-in plugin of the HTTP adapter: contributes the ``serve`` command."""
from __future__ import annotations

from decision_core.hookspecs import hookimpl


@hookimpl
def register_commands(register):
    from .server import serve

    register(serve)
