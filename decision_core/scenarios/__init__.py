"""Scenario files (``*.scenarios.yaml``): reading them and checking a scenario's
expectations against an evaluation. The pytest plugin is ``decision_core.testing``.

May import: ``catalogue``, and the installation to evaluate.
"""
