"""Importing an installed plugin within a time budget.

A plugin that sleeps or hangs at import stalled start-up, unnamed. Each import now
runs in a daemon thread given ``DECISION_CORE_PLUGIN_IMPORT_TIMEOUT`` seconds
(default 30; 0: no limit, import in the calling thread); past it the plugin fails,
named, and the thread is left to finish or hang on its own.
"""
from __future__ import annotations

import os
import threading
from importlib import metadata
from typing import Any

IMPORT_TIMEOUT_ENV = "DECISION_CORE_PLUGIN_IMPORT_TIMEOUT"
DEFAULT_IMPORT_TIMEOUT = 30.0


def import_timeout_from_env() -> float:
    raw = os.environ.get(IMPORT_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_IMPORT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also NaN
        raise ValueError(f"{IMPORT_TIMEOUT_ENV}={raw!r}: must be a number of seconds (0: no limit)")
    return value


class ImportTimeout(Exception):
    """The plugin did not finish importing in time."""


def load_entry_point(ep: metadata.EntryPoint, timeout: float) -> Any:
    """``ep.load()``, given at most ``timeout`` seconds. A plugin that sleeps or hangs at import
    must not stall start-up unnamed: the import runs in a daemon thread, and when the time is up
    the plugin fails (the thread is left to finish or hang on its own)."""
    if not timeout:
        return ep.load()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["plugin"] = ep.load()
        except BaseException as exc:  # handed to the loading thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"import plugin {ep.name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ImportTimeout()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["plugin"]
