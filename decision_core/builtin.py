"""The built-in plugin: the core catalogue and formats, registered through the
same hooks as any third-party plugin."""
from __future__ import annotations

from .catalogue import builtin_rulesets_dir
from .hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(builtin_rulesets_dir())
