"""``decision-core lint``: the checks beyond what loading a ruleset checks (reachability,
citations against their sources, doses, levels, programme, translations, engine limits).

May import: ``catalogue``, ``engine``, ``policy``, ``evaluation``, ``i18n``, ``plugins``.
"""
