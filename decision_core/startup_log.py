"""Log records made before a command has set up logging, held until it has.

The command line finds a plugin's command (``serve``) by loading every plugin, before any
command has read its options, so the records of that loading ("loading plugin …", a plugin
that failed) would reach Python's last-resort handler: bare text, and no INFO line at all.
They are held instead, and written once the command has set up logging, in its format and
at its level: by the group's callback for most commands, by the command itself for one that
sets up logging of its own (:func:`sets_up_logging`). Records still held at exit are
written then, so none is lost.
"""
from __future__ import annotations

import atexit
import contextlib
import logging
from typing import Any, Iterator

LOGGER = "decision_core"
_MARK = "_decision_core_sets_up_logging"
_held: list[logging.LogRecord] = []


class _Holder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _held.append(record)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Within the block, every record of the ``decision_core`` loggers is held (none is written)."""
    logger = logging.getLogger(LOGGER)
    holder = _Holder()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(holder)
    try:
        yield
    finally:
        logger.removeHandler(holder)
        logger.setLevel(level)
        logger.propagate = propagate


def release() -> None:
    """Write the held records through the handlers configured now, each if its logger's level lets it."""
    records, _held[:] = list(_held), []
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def sets_up_logging(command: Any) -> Any:
    """Mark a click command that sets up logging itself (and calls :func:`release` once it has)."""
    setattr(command, _MARK, True)
    return command


def releases_itself(command: Any) -> bool:
    return bool(getattr(command, _MARK, False))


atexit.register(release)
