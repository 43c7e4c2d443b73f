"""The record's database: writes of whole entries (idempotent by record id), reads for the API,
analytics and replay, erasure and retention. One engine per process (made after a fork)."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from typing import Any, Iterator

import orjson
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from . import models as m
from .entry import patient_hash
from .schema import make_engine, upgrade

StoreError = SQLAlchemyError  # what a database that is away or refusing raises


def _insert_plain(connection, table, rows: list[dict[str, Any]]) -> None:
    """Many rows through the driver's own executemany, values already in their column form (JSON as its
    text): ~15 item rows a record, where SQLAlchemy's per-value processing cost more than the database."""
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        params: list = [tuple(row[key] for key in compiled.positiontup) for row in rows]
    else:
        params = rows
    connection.exec_driver_sql(str(compiled), params)


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class RecordStore:
    def __init__(self, url: str):
        self.url = url
        self._engine: Engine | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.schema_ready = False

    @property
    def engine(self) -> Engine:
        # a forked worker must not share the master's connections
        if self._engine is None or self._pid != os.getpid():
            with self._lock:
                if self._engine is None or self._pid != os.getpid():
                    if self._engine is not None:
                        self._engine.dispose(close=False)
                    self._engine = make_engine(self.url)
                    self._pid = os.getpid()
        return self._engine

    def ensure_schema(self) -> None:
        if not self.schema_ready:
            upgrade(self.engine)
            self.schema_ready = True

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def close(self) -> None:
        if self._engine is not None and self._pid == os.getpid():
            self._engine.dispose()
        self._engine = None

    # ---------------------------------------------------------------- writing

    def insert(self, entry: dict[str, Any]) -> bool:
        """Write one entry; False when it is already there (a replayed spool line) or its patient was
        erased after it was made."""
        self.ensure_schema()
        created = _when(entry["created_at"])
        try:
            with self.engine.begin() as connection:
                if connection.execute(select(m.records.c.id).where(m.records.c.id == entry["id"])).first():
                    return False
                if entry.get("patient_ref") and connection.execute(
                        select(m.erasures.c.id).where(m.erasures.c.patient_hash == patient_hash(entry["patient_ref"]),
                                                      m.erasures.c.erased_at >= created)).first():
                    return False
                connection.execute(insert(m.records), [{
                    "id": entry["id"], "created_at": created, "source": entry["source"],
                    "patient_ref": entry.get("patient_ref"), "creator": entry.get("creator"),
                    "engine": entry["engine"], "rulesets": entry["rulesets"], "facts": entry["facts"],
                    "triage": entry["triage"], "triage_rules": entry["triage_rules"],
                    "fired_rules": entry["fired_rules"]}])
                if entry["items"]:
                    connection.execute(insert(m.record_items), [
                        {"record_id": entry["id"], "kind": i["kind"], "item_id": i["item_id"], "rank": i.get("rank"),
                         "confidence": i.get("confidence"), "policy": i.get("policy"), "rules": i["rules"]}
                        for i in entry["items"]])
                if entry.get("cards"):
                    connection.execute(insert(m.record_cards), [
                        {"uuid": c["uuid"], "record_id": entry["id"], "kind": c["kind"]} for c in entry["cards"]])
        except IntegrityError:  # written meanwhile by another process: the same record, once
            return False
        return True

    def insert_many(self, entries: list[dict[str, Any]]) -> int:
        """Write several entries in one transaction (the writer thread's batch); how many were new. Entries
        already there, or whose patient was erased after they were made, are skipped, as ``insert`` does."""
        if len(entries) == 1:
            return int(self.insert(entries[0]))
        self.ensure_schema()
        try:
            with self.engine.begin() as connection:
                ids = [e["id"] for e in entries]
                present = set(connection.execute(select(m.records.c.id).where(m.records.c.id.in_(ids))).scalars())
                refs = {e["patient_ref"] for e in entries if e.get("patient_ref")}
                erased: dict[str, datetime] = {}
                if refs:
                    hashes = {patient_hash(r): r for r in refs}
                    for row in connection.execute(select(m.erasures.c.patient_hash, m.erasures.c.erased_at)
                                                  .where(m.erasures.c.patient_hash.in_(list(hashes)))):
                        ref, when = hashes[row[0]], _when(row[1])
                        erased[ref] = max(erased.get(ref, when), when)
                fresh, seen = [], set(present)
                for entry in entries:
                    created = _when(entry["created_at"])
                    ref = entry.get("patient_ref")
                    if entry["id"] in seen or (ref and ref in erased and erased[ref] >= created):
                        continue
                    seen.add(entry["id"])
                    fresh.append((entry, created))
                if not fresh:
                    return 0
                connection.execute(insert(m.records), [{
                    "id": e["id"], "created_at": created, "source": e["source"], "patient_ref": e.get("patient_ref"),
                    "creator": e.get("creator"), "engine": e["engine"], "rulesets": e["rulesets"],
                    "facts": e["facts"], "triage": e["triage"], "triage_rules": e["triage_rules"],
                    "fired_rules": e["fired_rules"]} for e, created in fresh])
                items = [{"record_id": e["id"], "kind": i["kind"], "item_id": i["item_id"], "rank": i.get("rank"),
                          "confidence": i.get("confidence"), "policy": i.get("policy"),
                          "rules": orjson.dumps(i["rules"]).decode()}
                         for e, _ in fresh for i in e["items"]]
                if items:
                    _insert_plain(connection, m.record_items, items)
                cards = [{"uuid": c["uuid"], "record_id": e["id"], "kind": c["kind"]}
                         for e, _ in fresh for c in e.get("cards") or ()]
                if cards:
                    connection.execute(insert(m.record_cards), cards)
                return len(fresh)
        except IntegrityError:  # another process wrote one of them meanwhile: one at a time, each once
            return sum(self.insert(e) for e in entries)

    def add_feedback(self, rows: list[dict[str, Any]]) -> None:
        self.ensure_schema()
        now = datetime.now(timezone.utc)
        with self.engine.begin() as connection:
            connection.execute(insert(m.feedback), [dict(r, created_at=now) for r in rows])

    def add_follow_up(self, row: dict[str, Any]) -> None:
        self.ensure_schema()
        with self.engine.begin() as connection:
            connection.execute(insert(m.follow_ups), [row])

    # ---------------------------------------------------------------- reading

    def record(self, record_id: str) -> dict[str, Any] | None:
        """A record with its items, cards, feedback and follow-ups (None when there is none)."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            row = connection.execute(select(m.records).where(m.records.c.id == record_id)).mappings().first()
            if row is None:
                return None
            out = dict(row)
            for name, table in (("items", m.record_items), ("cards", m.record_cards), ("feedback", m.feedback),
                                ("follow_ups", m.follow_ups)):
                order = table.c.id if "id" in table.c else table.c.uuid
                rows = connection.execute(select(table).where(table.c.record_id == record_id).order_by(order))
                out[name] = [{k: v for k, v in r.items() if k not in ("record_id",)} for r in rows.mappings()]
        return out

    def card(self, card_uuid: str) -> tuple[str, str] | None:
        """(record id, kind) of a CDS card or suggestion uuid."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            row = connection.execute(select(m.record_cards.c.record_id, m.record_cards.c.kind)
                                     .where(m.record_cards.c.uuid == card_uuid)).first()
        return (row[0], row[1]) if row else None

    def count(self) -> int:
        self.ensure_schema()
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(m.records)).scalar_one()

    def record_ids(self) -> list[str]:
        self.ensure_schema()
        with self.engine.connect() as connection:
            return [r[0] for r in connection.execute(select(m.records.c.id))]

    def rows(self, table, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a table (records: made since ``since``), as mappings."""
        self.ensure_schema()
        query = select(table)
        if since is not None and table is m.records:
            query = query.where(m.records.c.created_at >= since)
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                yield dict(row)

    # ---------------------------------------------------------------- erasing

    def erase_patient(self, patient_ref: str) -> int:
        """Delete a patient's records and everything attached; remember the erasure (by a hash of the
        reference) so their spooled records made before it never land. The number of records erased."""
        self.ensure_schema()
        now = datetime.now(timezone.utc)
        with self.engine.begin() as connection:
            ids = [r[0] for r in connection.execute(select(m.records.c.id).where(m.records.c.patient_ref == patient_ref))]
            self._delete(connection, ids)
            connection.execute(insert(m.erasures), [{"patient_hash": patient_hash(patient_ref), "erased_at": now}])
        return len(ids)

    def purge_before(self, before: datetime) -> int:
        """Delete the records made before ``before`` (retention), with everything attached."""
        self.ensure_schema()
        with self.engine.begin() as connection:
            ids = [r[0] for r in connection.execute(select(m.records.c.id).where(m.records.c.created_at < before))]
            self._delete(connection, ids)
        return len(ids)

    @staticmethod
    def _delete(connection, ids: list[str]) -> None:
        # children first and explicitly: SQLite enforces ON DELETE CASCADE only with its pragma on
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for table in m.CHILD_TABLES:
                connection.execute(delete(table).where(table.c.record_id.in_(chunk)))
            connection.execute(delete(m.records).where(m.records.c.id.in_(chunk)))
