"""Plugins: the pluggy manager with the built-in and the installed plugins, what each
plugin's hooks register, and the one merged registry they make. The hook specifications
are ``decision_core.hookspecs``.

May import: ``catalogue``, ``engine``, ``i18n``.
"""
