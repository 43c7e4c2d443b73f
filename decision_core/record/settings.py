"""Where the record lives and whether it is kept.

``DECISION_CORE_RECORD`` (on/off; ``serve`` keeps it by default, the CLI only with ``--record``),
``DECISION_CORE_DATABASE_URL`` (default: an SQLite file under the user's data folder),
``DECISION_CORE_RECORD_SPOOL_DIR`` (default: ``record-spool`` beside it) and
``DECISION_CORE_RECORD_RETENTION_DAYS`` (default: kept until erased).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from decision_core import settings as core_settings


def _core(environ: Mapping[str, str] | None) -> core_settings.Settings:
    return core_settings.current() if environ is None else core_settings.Settings.from_environment(environ)


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/decision-core, else ~/.local/share/decision-core."""
    return _core(environ).data_dir


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    return f"sqlite:///{data_dir(environ) / 'record.sqlite3'}"


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
        """For the CLI: the same variables as the server's configuration (docs/record.md), read by
        :mod:`decision_core.settings` (a bad value: SettingsError naming the variable)."""
        core = _core(environ)
        return cls.build(default_on if core.record is None else core.record, core.database_url,
                         core.record_spool_dir, core.record_retention_days, environ)


def safe_url(url: str) -> str:
    """A database URL with its password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: say nothing of it
        return "<unreadable database URL>"
