"""The clinical record: every evaluation kept (ids, not words), what clinicians answered to it,
how the patient did, and what that says about the rules (docs/record.md).

Modules: ``settings`` (where it lives, on or off), ``models`` (the tables), ``schema``
(Alembic migrations), ``entry`` (a result as a record), ``store`` (the database), ``spool``
(the local append-only spool for when the database is away), ``recorder`` (the write path
the adapters call), ``feedback``, ``followup``, ``analytics``, ``report_render``,
``replay`` and ``lint_record``. Its command line (``decision-core record``) is
``decision_core.cli.record``.

May import: ``catalogue``, ``result``, ``evaluation``, ``interview``, ``lint``, and
``decision_core.intake``.
"""
from __future__ import annotations

from .settings import RecordSettings

__all__ = ["RecordSettings"]
