"""The typed result of one evaluation (what every adapter reads), its reasons, its
programme, and its JSON.

May import: ``catalogue``.
"""
