"""Registers a valid fact and an invalid one (a number fact with values)."""
from decision_core.hookspecs import hookimpl


@hookimpl
def register_facts(register):
    register({"name": "nice_fact", "type": "bool", "label": "Nice", "question": "Nice fact?"})
    register({"name": "bad_fact", "type": "number", "values": ["a"], "label": "Bad", "question": "Bad fact?"})
