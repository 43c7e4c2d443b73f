"""Short-lived server state: full reports behind CDS card links, and the JWT ids
already seen (replay protection).

Report links carry a random id, never patient data; the result waits here for
``REPORT_TTL_SECONDS`` and the store keeps at most ``REPORT_STORE_SIZE`` of them
(oldest dropped first). In one process a dict does; gunicorn workers are separate
processes, so ``serve`` gives them one SQLite file in a private temporary folder
(``STATE_DB``), removed when the server stops. Several servers behind a load
balancer share one Redis instead (``REDIS_URL``, adapters/http/redis_store.py).
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from .store_base import StateStore, StoreUnavailable, new_report_id  # noqa: F401  (read from here too)

MAX_JTIS = 100_000


class MemoryStore:
    def __init__(self, ttl: float, max_reports: int, clock: Callable[[], float] = time.time):
        self.ttl = ttl
        self.max_reports = max_reports
        self.clock = clock
        self._reports: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._jtis: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def put_report(self, result: dict[str, Any]) -> str:
        report_id = new_report_id()
        body = json.dumps(result, ensure_ascii=False)  # a copy: later changes to the dict cannot leak in
        with self._lock:
            now = self.clock()
            self._expire(now)
            self._reports[report_id] = (now + self.ttl, body)
            while len(self._reports) > self.max_reports:
                self._reports.popitem(last=False)
        return report_id

    def get_report(self, report_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._reports.get(report_id)
            if entry is None or entry[0] <= self.clock():
                return None
            return json.loads(entry[1])

    def claim_jti(self, issuer: str, jti: str, expires_at: float) -> bool:
        key = json.dumps([issuer, jti])
        with self._lock:
            now = self.clock()
            while self._jtis and next(iter(self._jtis.values())) <= now:
                self._jtis.popitem(last=False)
            if key in self._jtis and self._jtis[key] > now:
                return False
            self._jtis[key] = expires_at
            # keep insertion order roughly by expiry; bounded so a flood cannot exhaust memory
            while len(self._jtis) > MAX_JTIS:
                self._jtis.popitem(last=False)
            return True

    def unavailable(self) -> str | None:
        return None

    def _expire(self, now: float) -> None:
        while self._reports and next(iter(self._reports.values()))[0] <= now:
            self._reports.popitem(last=False)


class SqliteStore:
    """The same, shared by every worker process through one SQLite file."""

    def __init__(self, path: str, ttl: float, max_reports: int, clock: Callable[[], float] = time.time):
        self.path = path
        self.ttl = ttl
        self.max_reports = max_reports
        self.clock = clock
        self._local = threading.local()
        # Created with a connection closed at once: this may run in gunicorn's master before it forks.
        db = sqlite3.connect(self.path, timeout=5.0)
        try:
            with db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, expires REAL NOT NULL, body TEXT NOT NULL)")
                db.execute("CREATE INDEX IF NOT EXISTS reports_expires ON reports (expires)")
                db.execute("CREATE TABLE IF NOT EXISTS jtis (key TEXT PRIMARY KEY, expires REAL NOT NULL)")
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        # One connection per thread and per process: connections must not cross a fork.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def put_report(self, result: dict[str, Any]) -> str:
        report_id = new_report_id()
        now = self.clock()
        db = self._connect()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM reports WHERE expires <= ?", (now,))
            db.execute("INSERT INTO reports (id, expires, body) VALUES (?, ?, ?)",
                       (report_id, now + self.ttl, json.dumps(result, ensure_ascii=False)))
            db.execute("DELETE FROM reports WHERE id IN (SELECT id FROM reports ORDER BY expires DESC LIMIT -1 OFFSET ?)",
                       (self.max_reports,))
        return report_id

    def get_report(self, report_id: str) -> dict[str, Any] | None:
        row = self._connect().execute("SELECT body FROM reports WHERE id = ? AND expires > ?",
                                      (report_id, self.clock())).fetchone()
        return json.loads(row[0]) if row else None

    def claim_jti(self, issuer: str, jti: str, expires_at: float) -> bool:
        now = self.clock()
        db = self._connect()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM jtis WHERE expires <= ?", (now,))
            cur = db.execute("INSERT OR IGNORE INTO jtis (key, expires) VALUES (?, ?)",
                             (json.dumps([issuer, jti]), expires_at))
            return cur.rowcount == 1

    def unavailable(self) -> str | None:
        return None


def create_store(config: dict[str, Any]) -> StateStore:
    ttl, size = config["REPORT_TTL_SECONDS"], config["REPORT_STORE_SIZE"]
    if config.get("REDIS_URL"):
        from .redis_store import RedisStore

        return RedisStore(config["REDIS_URL"], ttl, size, timeout=config.get("REDIS_TIMEOUT") or 0.25)
    if config.get("STATE_DB"):
        return SqliteStore(config["STATE_DB"], ttl, size)
    return MemoryStore(ttl, size)
