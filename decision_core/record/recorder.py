"""The write path the adapters call: a record never fails or holds up an evaluation.

An entry goes straight to the database; when that fails (down, restarting, locked), to the local
spool, and so do the entries after it, in order, until a background thread of the same process
has found the database again and drained the spool into it. Meanwhile ``unavailable()`` says so
(``/healthz``: degraded). Nothing about a record is logged: ids and counts at most.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from .settings import RecordSettings
from .spool import Spool
from .store import RecordStore, StoreError

log = logging.getLogger("decision_core.record")

FLUSH_INTERVAL = 0.5  # seconds between attempts to drain the spool
PURGE_INTERVAL = 24 * 3600


class Recorder:
    def __init__(self, settings: RecordSettings, store: RecordStore | None = None):
        self.settings = settings
        self.store = store or RecordStore(settings.database_url)
        self.spool = Spool(settings.spool_dir)
        self._spooling = False
        self._thread_pid = 0
        self._thread_lock = threading.Lock()
        self._last_purge = 0.0

    # ---------------------------------------------------------------- start-up

    def start(self) -> None:
        """At start-up: the tables brought up to date, entries left in the spool by a previous run drained,
        old records purged. A database that is away is not fatal: the spool takes the records meanwhile."""
        try:
            self.store.ensure_schema()
            self.spool.drain(self.store.insert)
            self._purge()
            log.info("keeping the record in %s", self.settings.where)
        except StoreError as exc:
            log.warning("the record's database (%s) cannot be reached yet (%s): records are spooled in %s meanwhile",
                        self.settings.where, type(exc).__name__, self.settings.spool_dir)
        finally:
            self.store.close()  # the workers, forked next, open their own connections

    # ---------------------------------------------------------------- writing

    def record(self, entry: dict[str, Any]) -> str:
        """Keep one entry: 'stored', 'spooled', or 'lost' (the disk refused too; logged, never raised)."""
        self._ensure_flusher()
        if not self._spooling:
            try:
                self.store.insert(entry)
                return "stored"
            except StoreError as exc:
                self._spooling = True
                log.warning("the record's database is not reachable (%s): spooling records until it is",
                            type(exc).__name__)
            except Exception as exc:  # a bug must not cost the answer either; the spool keeps the entry
                self._spooling = True
                log.error("writing a record failed (%s): spooling it", type(exc).__name__)
        try:
            self.spool.append(entry)
            return "spooled"
        except OSError as exc:
            log.error("a record could not be spooled either (%s): it is lost", exc.strerror or type(exc).__name__)
            return "lost"

    def unavailable(self) -> str | None:
        """Why the record is degraded (entries waiting in the spool), or None."""
        if self._spooling or self.spool.pending():
            return "record"
        return None

    # ---------------------------------------------------------------- the background thread

    def _ensure_flusher(self) -> None:
        if self._thread_pid == os.getpid():
            return
        with self._thread_lock:
            if self._thread_pid != os.getpid():
                self._thread_pid = os.getpid()
                self._spooling = False
                threading.Thread(target=self._run, name="record-flusher", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_INTERVAL)
            try:
                self.flush()
            except Exception as exc:  # keep the thread alive whatever happens
                log.error("the record's spool could not be drained (%s)", type(exc).__name__)

    def flush(self) -> bool:
        """Drain the spool if there is anything in it; True when nothing is left of this process's."""
        if not self._spooling and not self.spool.pending():
            self._purge_daily()
            return True
        try:
            self.store.ping()
            self.store.ensure_schema()
        except StoreError:
            return False
        self.spool.seal()
        try:
            self.spool.drain(self.store.insert)
        except StoreError:
            return False
        if self._spooling and not self.spool.holds_locally():
            self._spooling = False
            log.info("the record's database is back: the spooled records are in")
        return not self._spooling

    def _purge_daily(self) -> None:
        if time.monotonic() - self._last_purge >= PURGE_INTERVAL:
            try:
                self._purge()
            except StoreError:
                pass

    def _purge(self) -> None:
        self._last_purge = time.monotonic()
        days = self.settings.retention_days
        if days:
            gone = self.store.purge_before(datetime.now(timezone.utc) - timedelta(days=days))
            if gone:
                log.info("retention: %d records older than %d days purged", gone, days)
