"""The batch on a Dask cluster, for re-screening more cases than one machine evaluates in time.

Each worker process builds its installation once (the process default, as ``decision-core``
builds it there) and keeps it; chunks of lines travel to the workers and their output comes
back in the input's order, a bounded window of chunks in flight, as in ``batch.parallel_lines``.
A worker whose rulesets differ from the submitting installation's refuses the work, so a
cluster with a stale or differently configured worker never mixes two catalogues in one batch.

Dask is an optional extra: ``pip install '.[dask]'``.
"""
from __future__ import annotations

import logging
from typing import Iterable, Iterator

from .batch import CHUNKS_IN_FLIGHT_PER_WORKER, in_order_windowed, output_lines

log = logging.getLogger(__name__)

_EVALUATORS: dict[str | None, object] = {}  # per worker process: engine -> its evaluator, built once


class InstallationMismatch(RuntimeError):
    """A Dask worker's rulesets are not the ones the batch was started with."""


def rulesets_fingerprint(evaluator) -> tuple[tuple[str, str, str], ...]:
    """What must agree between the submitting installation and every worker: each ruleset's id,
    version and plugin."""
    return tuple((r.id, r.version, r.origin) for r in evaluator.catalogue.rulesets)


def _worker_evaluator(engine: str | None):
    evaluator = _EVALUATORS.get(engine)
    if evaluator is None:
        from decision_core.installation import default_core

        evaluator = _EVALUATORS[engine] = default_core().evaluator(engine)
    return evaluator


def run_chunk(first: int, chunk: list[str], engine: str | None, fingerprint: tuple) -> bytes:
    """On a worker: the batch output of one chunk."""
    evaluator = _worker_evaluator(engine)
    if rulesets_fingerprint(evaluator) != fingerprint:
        raise InstallationMismatch("this Dask worker's rulesets differ from the installation that submitted "
                                   "the batch: install the same version and plugins on every worker")
    return output_lines(evaluator, chunk, first)


def dask_lines(lines: Iterable[str], address: str, workers: int, engine: str | None,
               evaluator) -> Iterator[tuple[int, bytes]]:
    """(lines consumed, their output), in order, evaluated on the cluster at ``address``
    (``local``: a local cluster of ``workers`` processes, one thread each)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise RuntimeError("--dask needs Dask: pip install 'hamstring-decision-core[dask]'") from exc
    # distributed logs its cluster's life at INFO through its own handler: follow the command's -v instead
    logging.getLogger("distributed").setLevel(logging.getLogger().getEffectiveLevel())
    fingerprint = rulesets_fingerprint(evaluator)
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.WARNING)
    try:
        with Client(cluster if cluster is not None else address) as client:
            slots = sum(client.nthreads().values()) or 1
            log.info("evaluating on Dask: %d worker threads", slots)
            yield from in_order_windowed(
                lambda first, chunk: client.submit(run_chunk, first, chunk, engine, fingerprint, pure=False),
                lambda future: future.result(), lines, slots * CHUNKS_IN_FLIGHT_PER_WORKER)
    finally:
        if cluster is not None:
            cluster.close()
