"""Words in the reader's language: gettext catalogues (``.po``), the translatable texts of
a result and of the rulesets, message extraction, and the Jinja environment that translates.

May import: ``decision_core.installation`` (the installed locale folders, the process
default) and what it may import (``plugins``, ``evaluation``, ``result``, ``catalogue``...).
"""
