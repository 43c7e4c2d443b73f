"""The built-in plugin: the core catalogue, its translations and the ``plugins``,
``lint`` and ``translations`` commands, registered through the same hooks as any
third-party plugin."""
from __future__ import annotations

from decision_core.catalogue.loading import builtin_rulesets_dir
from decision_core.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    register(builtin_rulesets_dir())


@hookimpl
def register_translations(register):
    from decision_core.plugins.locales import BUILTIN_LOCALE

    register(BUILTIN_LOCALE)


@hookimpl
def register_commands(register):
    from decision_core.cli.commands import lint_command, plugins_command
    from decision_core.cli.translations import translations_command

    register(plugins_command)
    register(lint_command)
    register(translations_command)

    from decision_core.cli.record import record_command

    register(record_command)
