"""JSON Lines in: one case a line, each evaluated on its own, so one bad line never stops the rest.

Three ways to run a batch, with the same output byte for byte, in the input's order:

* ``evaluate_lines``: in this process;
* ``parallel_lines``: on N worker processes of this machine (``--workers N``);
* ``decision_core.dask_batch``: on a Dask cluster (``--dask``), past one machine.

The parallel runs cut the input into chunks and keep only a bounded window of chunks in
flight, so memory stays flat on a file of any length (``Pool.imap`` would read the whole
input ahead of the workers).
"""
from __future__ import annotations

import json
import logging
import multiprocessing
from collections import deque
from typing import Any, Callable, Iterable, Iterator

import orjson

from decision_core.result.model import Result

log = logging.getLogger(__name__)

CHUNK_LINES = 200  # big enough that handing a chunk to a worker costs little beside evaluating it
CHUNKS_IN_FLIGHT_PER_WORKER = 4  # enough to keep every worker busy while the oldest chunk is written


def evaluate_lines(evaluator, lines: Iterable[str]) -> Iterator[tuple[int, Result | Exception]]:
    """(line number, its result or what went wrong) for every non-blank line, in order."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, evaluator.evaluate(json.loads(line))
        except Exception as exc:  # one bad line never stops the batch
            yield number, exc


def error_object(exc: Exception) -> dict[str, Any]:
    """What a batch line says when its case could not be evaluated."""
    from .intake import InvalidFacts

    if isinstance(exc, InvalidFacts):
        return exc.to_dict()
    if isinstance(exc, json.JSONDecodeError):
        return {"error": "invalid_json", "message": f"not valid JSON: {exc.msg} at column {exc.colno}"}
    log.error("evaluation failed: %s", exc)
    return {"error": "evaluation_failed", "message": "the evaluation failed; nothing was concluded"}


def output_lines(evaluator, lines: Iterable[str], first_line: int = 1) -> bytes:
    """The batch's output for these lines: one JSON object a non-blank line, each ending in a newline.
    ``first_line`` numbers the lines as they stand in the whole input (error objects name their line)."""
    out = []
    for number, outcome in evaluate_lines(evaluator, lines):
        number += first_line - 1
        out.append(orjson.dumps(dict(error_object(outcome), line=number)) if isinstance(outcome, Exception)
                   else outcome.to_json())
    return b"".join(row + b"\n" for row in out)


def chunks(lines: Iterable[str], size: int = CHUNK_LINES) -> Iterator[tuple[int, list[str]]]:
    """(number of the chunk's first line, its lines), in order."""
    chunk: list[str] = []
    first = 1
    for number, line in enumerate(lines, start=1):
        if not chunk:
            first = number
        chunk.append(line)
        if len(chunk) >= size:
            yield first, chunk
            chunk = []
    if chunk:
        yield first, chunk


def in_order_windowed(submit: Callable[[int, list[str]], Any], result_of: Callable[[Any], bytes],
                      lines: Iterable[str], window: int) -> Iterator[tuple[int, bytes]]:
    """Submit chunks while at most ``window`` are in flight; yield (lines in the chunk, its output) in
    input order. ``submit`` starts a chunk somewhere and returns a handle; ``result_of`` waits for it."""
    pending: deque[tuple[int, Any]] = deque()
    for first, chunk in chunks(lines):
        if len(pending) >= window:
            count, handle = pending.popleft()
            yield count, result_of(handle)
        pending.append((len(chunk), submit(first, chunk)))
    while pending:
        count, handle = pending.popleft()
        yield count, result_of(handle)


# The evaluator a worker process uses: the parent's, inherited when the pool forks, so every
# worker runs exactly the installation (plugins, engine) the command was given, built once.
_WORKER_EVALUATOR = None


def _run_chunk(first: int, chunk: list[str]) -> bytes:
    return output_lines(_WORKER_EVALUATOR, chunk, first)


def parallel_lines(evaluator, lines: Iterable[str], workers: int) -> Iterator[tuple[int, bytes]]:
    """The batch on ``workers`` processes of this machine: (lines consumed, their output), in order."""
    global _WORKER_EVALUATOR
    # fork: the workers share the built installation copy-on-write instead of building their own;
    # the command line runs no other thread that a fork could catch holding a lock.
    context = multiprocessing.get_context("fork")
    _WORKER_EVALUATOR = evaluator
    try:
        with context.Pool(workers) as pool:
            yield from in_order_windowed(lambda first, chunk: pool.apply_async(_run_chunk, (first, chunk)),
                                         lambda handle: handle.get(), lines, workers * CHUNKS_IN_FLIGHT_PER_WORKER)
    finally:
        _WORKER_EVALUATOR = None
