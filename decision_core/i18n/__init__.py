"""Words in the reader's language: gettext catalogues (``.po``), the translatable texts of
a result and of the rulesets, message extraction, and the Jinja environment that translates.

May import: ``catalogue``, ``result``, ``plugins`` (the installed locale folders).
"""
