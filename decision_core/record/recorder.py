"""The write path the adapters call: a record never fails or holds up an evaluation.

A server hands each entry to ``submit``, which only queues it: one writer thread per process takes
the entries in order and writes them to the database, so a database that is slow, locked or frozen
(a stopped PostgreSQL answers nothing, and psycopg waits for it) never holds up an answer. When a
write fails (down, restarting, locked), the entry goes to the local spool (fsynced), and so do the
entries after it, in order, until the writer has found the database again and drained the spool
into it. A writer stuck on the database for longer than ``STUCK_AFTER`` seconds, or a full queue,
sends new entries straight to the spool. Meanwhile ``unavailable()`` says so (``/healthz``:
degraded). The command line's ``record`` writes synchronously: the process ends right after.
Entries still queued when a process is killed outright (SIGKILL) are lost: the queue is drained
at a normal exit. Nothing about a record is logged: ids and counts at most.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
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
QUEUE_LIMIT = 10_000  # entries waiting for the writer; past that they go to the spool
STUCK_AFTER = 1.0  # seconds one database call may take before new entries go to the spool
BATCH_LIMIT = 200  # entries the writer takes from the queue for one transaction
GATHER_SECONDS = 0.05  # the writer's pause after a transaction: under load, one transaction carries dozens


class Recorder:
    def __init__(self, settings: RecordSettings, store: RecordStore | None = None):
        self.settings = settings
        self.store = store or RecordStore(settings.database_url)
        self.spool = Spool(settings.spool_dir)
        self._spooling = False
        self._thread_pid = 0
        self._thread_lock = threading.Lock()
        self._last_purge = 0.0
        self._queue: queue.Queue = queue.Queue(QUEUE_LIMIT)
        self._queued_ids: set[str] = set()
        self._busy_since = 0.0  # when the writer's current database call began (0: none under way)

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

    def submit(self, entry: dict[str, Any]) -> str:
        """Queue one entry for the writer thread and return at once: 'queued', or, while the writer is
        stuck on the database or the queue is full, 'spooled' (or 'lost' when the disk refuses too)."""
        self._ensure_flusher()
        if not self._stuck():
            try:
                self._queued_ids.add(entry["id"])
                self._queue.put_nowait(entry)
                return "queued"
            except queue.Full:
                self._queued_ids.discard(entry["id"])
        try:
            self.spool.append(entry)
            return "spooled"
        except OSError as exc:
            log.error("a record could not be spooled either (%s): it is lost", exc.strerror or type(exc).__name__)
            return "lost"

    def waiting(self, record_id: str) -> bool:
        """The entry is queued or spooled, not yet in the database."""
        return record_id in self._queued_ids or self.unavailable() is not None

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued entry of this process is written (or spooled); True when it is."""
        deadline = time.monotonic() + timeout
        while self._queued_ids:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def waiting_any(self) -> bool:
        """Some entry of this process is queued, not yet written."""
        return bool(self._queued_ids)

    def _stuck(self) -> bool:
        since = self._busy_since
        return bool(since) and time.monotonic() - since > STUCK_AFTER

    def unavailable(self) -> str | None:
        """Why the record is degraded (entries waiting in the spool, or a database call hanging), or None."""
        if self._spooling or self._stuck() or self.spool.pending():
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
                # a forked worker starts with the parent's queue object but not its thread: its own
                self._queue, self._queued_ids, self._busy_since = queue.Queue(QUEUE_LIMIT), set(), 0.0
                threading.Thread(target=self._run, name="record-writer", daemon=True).start()
                atexit.register(self._write_queued, spool_only=False)

    def _run(self) -> None:
        last_flush = time.monotonic()
        while True:
            try:
                batch = [self._queue.get(timeout=FLUSH_INTERVAL)]
            except queue.Empty:
                batch = []
            while batch and len(batch) < BATCH_LIMIT:  # what else is waiting: one transaction for all of it
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if batch:
                    self._write_batch(batch)
                    # a transaction costs more than the rows in it: let the next few records gather first
                    time.sleep(GATHER_SECONDS)
                if time.monotonic() - last_flush >= FLUSH_INTERVAL:
                    last_flush = time.monotonic()
                    self._timed(self.flush)
            except Exception as exc:  # keep the thread alive whatever happens
                log.error("the record's writer met an error (%s)", type(exc).__name__)

    def _timed(self, call, *args):
        self._busy_since = time.monotonic()
        try:
            return call(*args)
        finally:
            self._busy_since = 0.0

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        """Entries in queue order: to the database in one transaction, or all to the spool."""
        try:
            if not self._spooling:
                try:
                    self._timed(self.store.insert_many, batch)
                    return
                except StoreError as exc:
                    self._spooling = True
                    log.warning("the record's database is not reachable (%s): spooling records until it is",
                                type(exc).__name__)
                except Exception as exc:  # a bug must not cost the records: the spool keeps them
                    self._spooling = True
                    log.error("writing records failed (%s): spooling them", type(exc).__name__)
            for entry in batch:
                try:
                    self.spool.append(entry)
                except OSError as exc:
                    log.error("a record could not be spooled either (%s): it is lost",
                              exc.strerror or type(exc).__name__)
        finally:
            for entry in batch:
                self._queued_ids.discard(entry["id"])

    def _write(self, entry: dict[str, Any]) -> None:
        try:
            if self._timed(self.record, entry) == "lost":
                log.error("a queued record could not be kept")
        finally:
            self._queued_ids.discard(entry["id"])

    def _write_queued(self, spool_only: bool = False) -> None:
        """At exit: what is still queued goes to the database, or to the spool when the writer is stuck."""
        while True:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                return
            if spool_only or self._stuck():
                try:
                    self.spool.append(entry)
                except OSError:
                    log.error("a queued record could not be spooled at exit: it is lost")
            else:
                self._write(entry)

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
