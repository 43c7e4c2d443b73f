"""The core's settings from the environment, read in one place into one validated object.

Every variable is in the table of docs/configuration.md. :func:`current` parses the environment
once and again only when a ``DECISION_CORE_*`` variable (or ``XDG_DATA_HOME``) has changed since
(tests set them, a process that sets none parses once). A bad value is a :class:`SettingsError`
that names the variable and says what it takes.

Booleans have one parser, :func:`parse_bool`: ``1``, ``true``, ``yes``, ``on`` are true; ``0``,
``false``, ``no``, ``off`` and the empty value are false; any case, spaces around ignored.
The HTTP adapter's configuration reads its booleans with it too.
"""
from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

PREFIX = "DECISION_CORE_"
ENGINE = PREFIX + "ENGINE"
STRICT = PREFIX + "STRICT"
PLUGINS = PREFIX + "PLUGINS"
PLUGIN_IMPORT_TIMEOUT = PREFIX + "PLUGIN_IMPORT_TIMEOUT"
RECORD = PREFIX + "RECORD"
DATABASE_URL = PREFIX + "DATABASE_URL"
RECORD_SPOOL_DIR = PREFIX + "RECORD_SPOOL_DIR"
RECORD_RETENTION_DAYS = PREFIX + "RECORD_RETENTION_DAYS"

ENGINE_NAMES = ("durable", "plain")
DEFAULT_IMPORT_TIMEOUT = 30.0
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingsError(ValueError):
    """An environment variable with a value the core cannot use; the message names it."""


def parse_bool(value: str | bool, name: str = "value") -> bool:
    """``value`` as a boolean (the words in the module's docstring); SettingsError naming ``name`` otherwise."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name}={str(value)[:40]!r}: not a yes/no value; use one of "
                        f"{', '.join(TRUE_WORDS)} (yes) or {', '.join(w for w in FALSE_WORDS if w)} (no)")


def _engine(raw: str | None) -> str | None:
    chosen = (raw or "").strip().lower()
    if not chosen:
        return None
    if chosen not in ENGINE_NAMES:
        raise SettingsError(f"unknown engine {chosen!r} (choose one of: {', '.join(ENGINE_NAMES)}; set by {ENGINE})")
    return chosen


def _plugins(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def _timeout(raw: str | None) -> float:
    text = (raw or "").strip()
    if not text:
        return DEFAULT_IMPORT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:  # also NaN
        raise SettingsError(f"{PLUGIN_IMPORT_TIMEOUT}={text!r}: must be a number of seconds (0: no limit)")
    return value


def _days(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise SettingsError(f"{RECORD_RETENTION_DAYS}={text!r}: must be a whole number of days, at least 1")
    return days


@dataclass(frozen=True)
class Settings:
    """The core's settings (docs/configuration.md). None: not set, the default applies where it is used."""

    engine: str | None = None  # durable | plain; None: durable where it runs, else plain
    strict: bool = False  # any plugin failure stops start-up
    plugins: tuple[str, ...] | None = None  # the installed plugins allowed to load; None: all
    plugin_import_timeout: float = DEFAULT_IMPORT_TIMEOUT  # seconds per installed plugin; 0: no limit
    record: bool | None = None  # keep the record; None: serve keeps it, the CLI only with --record
    database_url: str | None = None  # the record's database; None: the SQLite file under data_dir
    record_spool_dir: str | None = None
    record_retention_days: int | None = None  # None: kept until erased
    data_dir: Path = Path("~/.local/share/decision-core")  # $XDG_DATA_HOME/decision-core

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Parse and check every variable; SettingsError names each bad one."""
        env = os.environ if environ is None else environ
        errors: list[str] = []
        values: dict = {}
        readers = {"engine": (ENGINE, _engine), "plugins": (PLUGINS, _plugins),
                   "plugin_import_timeout": (PLUGIN_IMPORT_TIMEOUT, _timeout),
                   "record_retention_days": (RECORD_RETENTION_DAYS, _days)}
        for attr, (name, read) in readers.items():
            try:
                values[attr] = read(env.get(name))
            except SettingsError as exc:
                errors.append(str(exc))
        for attr, name in (("strict", STRICT), ("record", RECORD)):
            if env.get(name) is not None:
                try:
                    values[attr] = parse_bool(env[name], name)
                except SettingsError as exc:
                    errors.append(str(exc))
        if errors:
            raise SettingsError("; ".join(errors))
        base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
        return cls(**values, database_url=env.get(DATABASE_URL) or None,
                   record_spool_dir=env.get(RECORD_SPOOL_DIR) or None, data_dir=Path(base) / "decision-core")


_lock = threading.Lock()
_parsed: tuple[tuple, Settings] | None = None


def _snapshot() -> tuple:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX) or k == "XDG_DATA_HOME"))


def current() -> Settings:
    """The settings of this process's environment, parsed once (again only after the environment
    changed). Raises SettingsError naming every bad variable."""
    global _parsed
    key = _snapshot()
    found = _parsed
    if found is not None and found[0] == key:
        return found[1]
    settings = Settings.from_environment(dict(key))
    with _lock:
        _parsed = (key, settings)
    return settings


__all__ = ["Settings", "SettingsError", "current", "parse_bool", "TRUE_WORDS", "FALSE_WORDS"]
