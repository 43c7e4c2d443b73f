"""The knowledge as data: ruleset files read, validated and merged into one catalogue
(facts, causes, triage levels, recommendations, avoid items, policy lines, the programme
settings, sources and their citations), the condition language rules are written in, and
how the triage levels declare they are shown.

May import: nothing else of decision_core (but ``settings``). Everything else imports it.
"""
