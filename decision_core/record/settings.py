"""Where the record lives and whether it is kept.

``DECISION_CORE_RECORD`` (on/off; ``serve`` keeps it by default, the CLI only with ``--record``),
``DECISION_CORE_DATABASE_URL`` (default: an SQLite file under the user's data folder),
``DECISION_CORE_RECORD_SPOOL_DIR`` (default: ``record-spool`` beside it) and
``DECISION_CORE_RECORD_RETENTION_DAYS`` (default: kept until erased).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ENV_PREFIX = "DECISION_CORE_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/decision-core, else ~/.local/share/decision-core."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "decision-core"


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    return f"sqlite:///{data_dir(environ) / 'record.sqlite3'}"


def parse_flag(value: str | bool | None) -> bool | None:
    """on/off words to a bool; None when not given; ValueError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise ValueError(f"not on/off: {value[:20]!r}")


@dataclass(frozen=True)
class RecordSettings:
    enabled: bool
    database_url: str
    spool_dir: Path
    retention_days: int | None = None

    @property
    def where(self) -> str:
        """The database, without any password (for logs and messages)."""
        return safe_url(self.database_url)

    @classmethod
    def build(cls, enabled: bool, database_url: str | None = None, spool_dir: str | None = None,
              retention_days: int | None = None, environ: Mapping[str, str] | None = None) -> "RecordSettings":
        url = database_url or default_database_url(environ)
        if spool_dir:
            spool = Path(spool_dir)
        elif url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            spool = Path(url[len("sqlite:///"):]).parent / "record-spool"
        else:
            spool = data_dir(environ) / "record-spool"
        return cls(enabled, url, spool, retention_days)

    @classmethod
    def from_environment(cls, default_on: bool, environ: Mapping[str, str] | None = None) -> "RecordSettings":
        """For the CLI: the same variables as the server's configuration (docs/record.md)."""
        environ = os.environ if environ is None else environ
        switch = parse_flag(environ.get(ENV_PREFIX + "RECORD"))
        days = environ.get(ENV_PREFIX + "RECORD_RETENTION_DAYS")
        return cls.build(default_on if switch is None else switch, environ.get(ENV_PREFIX + "DATABASE_URL"),
                         environ.get(ENV_PREFIX + "RECORD_SPOOL_DIR"), int(days) if days else None, environ)


def safe_url(url: str) -> str:
    """A database URL with its password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: say nothing of it
        return "<unreadable database URL>"
