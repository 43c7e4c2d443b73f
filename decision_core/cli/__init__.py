"""The ``decision-core`` command line: evaluate, plugins, lint, translations, questionnaire
and interview, and the plain-text summary of a result.

May import: anything in decision_core; it is the core's own front end. Never an adapter.
"""
