"""HTTP adapter: a REST API, OpenAPI document and CDS Hooks 2.0 services over Flask,
served in production by gunicorn (``decision-core serve``).

``create_app(config=None)`` builds the application; see docs/http.md. Importing
this package loads nothing heavy (the CLI imports its plugin module on every run).
"""
from __future__ import annotations

from typing import Any


def create_app(config: Any = None, **kwargs: Any):
    """Build the Flask application (see :func:`decision_core.adapters.http.app.create_app`)."""
    from .app import create_app as _create_app

    return _create_app(config, **kwargs)


__all__ = ["create_app"]
