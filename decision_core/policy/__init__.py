"""The safety policy (domain.md section 2a): what a triage level withholds, applied to the
whole programme after the rules, and which questions stay worth asking at a level that
holds the home programme.

May import: ``catalogue``, ``engine``, ``decision_core.intake``.
"""
