"""The local spool: where record entries wait while the database is away.

Append-only JSON Lines segments in one folder (mode 0700), one open segment per process, each
line written with one ``write`` and ``fsync``ed before the evaluation is answered. A process holds
an exclusive ``flock`` on the segment it appends to; segments nobody holds (sealed, or left by a
process that died) are drained oldest first (their names start with the time they were opened) by
whichever process gets their lock, line by line in order, and deleted once every line is in the
database. Writing a line twice is harmless (the store skips a record id it has), so a drain cut
short by the database going away again just starts over.
"""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("decision_core.record")

SUFFIX = ".jsonl"


class Spool:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._name: str | None = None
        self._pid = os.getpid()

    def _reset_after_fork(self) -> None:
        if self._pid != os.getpid():  # the parent's segment and lock are the parent's
            self._lock = threading.Lock()
            self._fd, self._name, self._pid = None, None, os.getpid()

    def append(self, entry: dict[str, Any]) -> None:
        """Add an entry, durably (fsync) before returning. OSError when the disk refuses."""
        self._reset_after_fork()
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        with self._lock:
            if self._fd is None:
                self._open_segment()
            written = os.write(self._fd, line)
            if written != len(line):  # a full disk mid-line: the torn line is never read back
                raise OSError(errno.ENOSPC, "the spool could not take a whole line")
            os.fsync(self._fd)

    def _open_segment(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new file's name is durable too
        finally:
            os.close(directory)
        self._fd, self._name = fd, name

    def seal(self) -> None:
        """Close this process's open segment, so it can be drained."""
        self._reset_after_fork()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd, self._name = None, None

    def segments(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.name.endswith(SUFFIX))
        except FileNotFoundError:
            return []

    def pending(self) -> bool:
        return bool(self.segments())

    def holds_locally(self) -> bool:
        """This process has an open segment (entries not yet drained)."""
        self._reset_after_fork()
        return self._fd is not None

    def drain(self, write: Callable[[dict[str, Any]], Any]) -> bool:
        """Write every entry of every segment no one holds, oldest first; True when none is left over
        (segments held by live processes aside). Stops at the first write that raises."""
        self._reset_after_fork()
        for path in self.segments():
            if path.name == self._name:
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # drained meanwhile by another process
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # still being appended to, or drained by another process
                if os.fstat(fd).st_nlink == 0:
                    continue  # drained and deleted while we waited
                with os.fdopen(os.dup(fd), "rb") as stream:
                    data = stream.read()
                for raw in data.split(b"\n")[:-1]:  # the last piece has no newline: empty, or a torn line
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        log.error("a spool line could not be read and is skipped (%s)", path.name)
                        continue
                    write(entry)  # raises when the database is away: the segment stays
                path.unlink()
            finally:
                os.close(fd)
        return all(p.name == self._name for p in self.segments())
