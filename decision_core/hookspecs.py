"""Hook specifications: what a plugin can contribute.

A plugin is a module (or any object) with functions marked ``@hookimpl``,
published under the entry-point group ``decision_core``::

    [project.entry-points.decision_core]
    my_plugin = "my_plugin"

Every contribution hook receives a ``register`` callback and returns nothing.
The core validates each registration, then merges the plugin as a whole:
anything invalid, or anything another plugin already owns (cause id, fact
name, ruleset id, rule id, recommendation or avoid id, output format, command),
fails the plugin with an error that names both plugins. A hook name that is not
one of these fails the plugin too (``pm.check_pending()``).

See docs/writing-plugins.md for a worked example.
"""
from __future__ import annotations

import pluggy

PROJECT_NAME = "decision_core"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_rulesets(register):
    """Register ruleset files: ``register(path)``.

    ``path`` is an absolute path (``pathlib.Path``) to a ``.yaml`` ruleset file
    or to a folder, searched recursively for ``*.yaml``. Files of every kind may
    be registered (facts, cause, recommendations, avoid, programme; triage and
    the programme's settings only by the core); they are validated as described in docs/ruleset-format.md, and their
    rules may read the core's facts and recommend the core's items.
    """


@hookspec
def register_facts(register):
    """Register intake facts from Python: ``register(fact)``.

    ``fact`` is a mapping validated with the same schema as a fact in a
    ``kind: facts`` ruleset file (``name``, ``type``, ``label``, ``question``,
    optional ``help``, ``unit``, ``min``, ``max``, ``values``, ``red_flag``,
    ``max_items``), plus an optional ``discriminates``: the cause ids this fact
    helps tell apart. Facts can equally be declared in a facts ruleset file.
    """


@hookspec
def register_output_formats(register):
    """Register output formats:
    ``register(name, media_type, extension, render, description="", binary=False)``.

    ``render(result, **options)`` returns ``str`` (or ``bytes`` when
    ``binary``) from a typed :class:`decision_core.result.model.Result`.
    ``name`` is lower-case letters, digits, ``-`` or ``_``.
    """


@hookspec
def register_translations(register):
    """Register translations of the plugin's texts: ``register(path)``.

    ``path`` is an absolute path to a locale folder holding gettext catalogues,
    ``<lang>/LC_MESSAGES/<domain>.po`` (msgid: the English text as the plugin's
    rulesets have it). They are merged after the core's; see docs/translations.md.
    """


@hookspec
def register_commands(register):
    """Register command-line commands: ``register(command)`` with a named ``click.Command``,
    run as ``decision-core NAME``."""
