"""The ``decision-core`` command line: evaluate, plugins, lint, translations, record, questionnaire
and interview (``common``: what the commands share), and the plain-text summary of a result.

May import: anything in decision_core; it is the core's own front end. Never an adapter:
the terminal interview writes its handout through the registered output formats.
"""
