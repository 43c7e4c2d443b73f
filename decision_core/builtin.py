"""The built-in plugin: the core catalogue, its translations and the ``plugins``,
``lint`` and ``translations`` commands, registered through the same hooks as any
third-party plugin."""
from __future__ import annotations

from .catalogue import builtin_rulesets_dir
from .hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(builtin_rulesets_dir())


@hookimpl
def register_translations(register):
    from .i18n import BUILTIN_LOCALE

    register(BUILTIN_LOCALE)


@hookimpl
def register_commands(register):
    from .plugin_commands import lint_command, plugins_command
    from .translations_cli import translations_command

    register(plugins_command)
    register(lint_command)
    register(translations_command)

    from .record.cli import record_command

    register(record_command)
