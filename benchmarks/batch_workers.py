#!/usr/bin/env python3
"""The batch on 1 and N processes (and on a local Dask cluster): cases per second, wall clock and
start-up included, and the peak memory of the largest process, over the same generated cases.

    python benchmarks/batch_workers.py [--cases 20000] [--workers 2] [--runs 3] [--dask] [--memory-lines 1000000]

``--memory-lines`` also streams that many lines through ``--workers N`` from a generator (no file
in memory) and prints the peak resident memory over the first and the second half of the input: flat
memory means the two figures agree.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import generate_cases  # noqa: E402  (same folder)

from decision_core.catalogue.loading import load_builtin_catalogue  # noqa: E402

COMMAND = shutil.which("decision-core") or "decision-core"


def timed(args: list[str], path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([COMMAND, "evaluate", "--batch", "--no-progress", *args, str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def rss_of_tree(pid: int) -> int:
    """Resident bytes of a process and its children (psutil)."""
    import psutil

    proc = psutil.Process(pid)
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def memory_run(lines: int, workers: int, cases: list[dict]) -> None:
    proc = subprocess.Popen([COMMAND, "evaluate", "--batch", "--no-progress", "--workers", str(workers), "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    samples: list[tuple[int, int]] = []
    sent = 0

    def feed():
        nonlocal sent
        encoded = [(json.dumps(c) + "\n").encode() for c in cases]
        for i in range(lines):
            proc.stdin.write(encoded[i % len(encoded)])
            sent = i + 1
        proc.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    while proc.poll() is None:
        samples.append((sent, rss_of_tree(proc.pid)))
        time.sleep(0.5)
    feeder.join()
    first = max((rss for n, rss in samples if n <= lines // 2), default=0)
    second = max((rss for n, rss in samples if n > lines // 2), default=0)
    print(f"memory, {lines:,} lines on {workers} workers: peak RSS of all processes {first / 2**20:.0f} MiB "
          f"in the first half of the input, {second / 2**20:.0f} MiB in the second")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also run on a local Dask cluster")
    parser.add_argument("--memory-lines", type=int, default=0)
    args = parser.parse_args()
    cases = generate_cases(load_builtin_catalogue(), args.cases, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
        series = {"1 process": [], f"--workers {args.workers}": []}
        if args.dask:
            series[f"--dask local --workers {args.workers}"] = []
        for _ in range(args.runs):  # alternate, so a slow minute meets every series
            series["1 process"].append(timed([], path))
            series[f"--workers {args.workers}"].append(timed(["--workers", str(args.workers)], path))
            if args.dask:
                series[f"--dask local --workers {args.workers}"].append(
                    timed(["--dask", "local", "--workers", str(args.workers)], path))
    base = statistics.median(series["1 process"])
    for name, seconds in series.items():
        med = statistics.median(seconds)
        print(f"{name:<28} {len(cases) / med:8,.0f} cases/s (median of {len(seconds)}; "
              f"{min(seconds):.2f}-{max(seconds):.2f} s)  x{base / med:.2f} of one process")
    if args.memory_lines:
        memory_run(args.memory_lines, args.workers, cases[:1000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
