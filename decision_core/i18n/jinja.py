"""Jinja templates that translate: one shared environment, a translator per render.

The ``jinja2.ext.i18n`` extension compiles ``{% trans %}`` blocks and ``_()``
calls to calls of the names ``gettext``, ``ngettext``, ``pgettext``,
``npgettext`` and ``_``, looked up in the render context before the
environment's globals. ``install_gettext_callables`` puts them in the globals,
which every thread shares: two reports in two languages rendered at once would
race. So the environment keeps English in its globals, and each render passes
its own callables::

    env = i18n_environment(loader=...)
    html = env.get_template("report.html.j2").render(result=..., **gettext_context(translator))

Templates included with ``{% include %}`` see them; a macro module must be
imported ``with context`` to see them (without, it falls back to English).
"""
from __future__ import annotations

from typing import Any, Callable

from jinja2 import Environment, pass_context
from markupsafe import Markup

from decision_core.i18n.translations import Translator

I18N_EXTENSION = "jinja2.ext.i18n"


def i18n_environment(**options: Any) -> Environment:
    """A Jinja environment with the i18n extension: newstyle gettext (``{{ _("Hello %(name)s", name=n) }}``,
    escaped under autoescape) and trimmed ``{% trans %}`` blocks; English unless a render passes
    :func:`gettext_context`."""
    extensions = list(options.pop("extensions", ()))
    if I18N_EXTENSION not in extensions:
        extensions.append(I18N_EXTENSION)
    env = Environment(extensions=extensions, **options)
    env.policies["ext.i18n.trimmed"] = True
    env.install_null_translations(newstyle=True)  # the English fallback (globals)
    return env


def _formatted(context, text: str, variables: dict[str, Any]) -> str:
    if context.eval_ctx.autoescape:
        text = Markup(text)
    # as Jinja's newstyle gettext: %-formatting, always applied so '%%' means the same with or without variables
    return text % variables


def gettext_context(translator: Translator) -> dict[str, Callable[..., str]]:
    """The callables one render needs, bound to ``translator``: pass them as render variables."""

    @pass_context
    def gettext(__context, __string: str, **variables: Any) -> str:
        return _formatted(__context, translator.gettext(__string), variables)

    @pass_context
    def ngettext(__context, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        return _formatted(__context, translator.ngettext(__singular, __plural, __num), variables)

    @pass_context
    def pgettext(__context, __string_ctx: str, __string: str, **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        return _formatted(__context, translator.pgettext(__string_ctx, __string), variables)

    @pass_context
    def npgettext(__context, __string_ctx: str, __singular: str, __plural: str, __num: int,
                  **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        return _formatted(__context, translator.npgettext(__string_ctx, __singular, __plural, __num), variables)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext, "pgettext": pgettext,
            "npgettext": npgettext}


__all__ = ["i18n_environment", "gettext_context", "I18N_EXTENSION"]
