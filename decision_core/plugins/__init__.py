"""Plugins: the pluggy manager with the built-in and the installed plugins, what each
plugin's hooks register, and the one merged registry they make. The hook specifications
are ``decision_core.hookspecs``.

May import: ``catalogue``, ``engine``, ``policy``, ``result``, ``evaluation``,
``decision_core.hookspecs``. Never the installation or ``i18n``, which stand above it. One
exception: ``builtin``, the core's own plugin, registers the core's commands (``cli``); like
every plugin it is loaded by name, never imported.
"""
