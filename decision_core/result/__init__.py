"""The typed result of one evaluation (what every adapter reads), its reasons, its
programme, and its JSON.

May import: ``catalogue`` (and, below it in the layers, ``policy``, ``engine``,
``decision_core.intake``; it needs none of them).
"""
