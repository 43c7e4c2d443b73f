"""Scenario files (``*.scenarios.yaml``): reading them and checking a scenario's
expectations against an evaluation. The pytest plugin is ``decision_core.testing``.

May import: the installation to evaluate (``decision_core.evaluate``), ``catalogue``,
``decision_core.intake``. Not ``interview``, ``lint`` or ``fhir``.
"""
