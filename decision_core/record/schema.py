"""Connecting to the record's database and bringing its tables up to date (Alembic).

SQLite: WAL (readers never wait for the writer), ``synchronous=NORMAL`` (a commit survives a crash of
the process; a power cut may lose the last commits, as the spool's fsync does not), foreign keys on,
2 s busy timeout. PostgreSQL (psycopg 3): 2 s connect timeout, 5 s statement timeout, connections
checked before use so a restarted server is found again. Migrations run under a lock (a PostgreSQL
advisory lock, or a lock file beside the SQLite file), so several instances may start at once.
"""
from __future__ import annotations

import fcntl
import logging
import os
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

log = logging.getLogger("decision_core.record")

MIGRATION_LOCK = 7_300_020  # the PostgreSQL advisory lock key for migrations


def _json_text(value) -> str:
    """The JSON columns' text, written with orjson: the writer serialises every item's rules, ~15 a record."""
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 2.0}, json_serializer=_json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    return create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=2, pool_timeout=2,
                         json_serializer=_json_text,
                         connect_args={"connect_timeout": 2, "options": "-c statement_timeout=5000"})


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("decision_core.record") / "migrations"))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine, connection):
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(database + ".migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def upgrade(engine: Engine) -> None:
    """Bring the tables to the latest revision (nothing to do when they are)."""
    from alembic import command

    with engine.connect() as connection:
        with _migration_lock(engine, connection):
            connection.commit()
            command.upgrade(_alembic_config(connection), "head")
            connection.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
