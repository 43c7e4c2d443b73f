"""``decision-core lint``: the checks beyond what loading a ruleset checks (reachability,
citations against their sources, doses, levels, programme, translations, engine limits).

May import: ``i18n``, ``decision_core.installation``, ``plugins``, ``evaluation``,
``policy``, ``engine``, ``catalogue``. Not ``interview``, ``scenarios`` or ``fhir``.
"""
