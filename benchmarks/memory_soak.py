#!/usr/bin/env python3
"""Resident memory over 100,000 evaluations; prints RSS every 10,000.

    python benchmarks/memory_soak.py                      # durable engine, the default
    python benchmarks/memory_soak.py --engine plain --evaluations 20000

Uses the default evaluator (``decision_core.evaluate``, built-ins and installed
plugins), over varied cases that include invalid ones (one in fifty), so the
error path is soaked too. The baseline is taken after a warm-up of 2,000
evaluations (caches, lazily built objects); growth must stay <= 10 MB.
Exit status 1 when it does not.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import psutil

import decision_core
from decision_core.intake import InvalidFacts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import generate_cases  # noqa: E402  (same folder)

LIMIT_MB = 10.0


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / (1024 * 1024)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--engine", choices=["durable", "plain"], default=None)
    parser.add_argument("--distinct", type=int, default=5_000, help="distinct cases cycled through (default 5000)")
    args = parser.parse_args(argv)

    evaluator = decision_core.get_evaluator(args.engine)
    cases = generate_cases(evaluator.catalogue, args.distinct, seed=11)
    for i in range(0, len(cases), 50):
        cases[i] = {**cases[i], "pain_level": "severe"}  # invalid: soaks the error path
    process = psutil.Process()

    def run(count: int, offset: int) -> int:
        errors = 0
        for i in range(offset, offset + count):
            try:
                evaluator.evaluate(cases[i % len(cases)]).to_dict()
            except InvalidFacts:
                errors += 1
        return errors

    run(2_000, 0)
    gc.collect()
    baseline = rss_mb(process)
    print(f"engine {evaluator.engine_name}, {len(evaluator.catalogue.rules)} rules; {len(cases)} distinct cases; "
          f"RSS after a 2,000-evaluation warm-up: {baseline:.1f} MB")
    print(f"{'evaluations':>12}{'RSS MB':>10}{'growth MB':>11}{'invalid':>9}{'eval/s':>9}")
    done = errors = 0
    start = time.perf_counter()
    peak = baseline
    while done < args.evaluations:
        step = min(args.every, args.evaluations - done)
        t0 = time.perf_counter()
        errors += run(step, 2_000 + done)
        done += step
        now = rss_mb(process)
        peak = max(peak, now)
        print(f"{done:>12,}{now:>10.1f}{now - baseline:>11.1f}{errors:>9,}{step / (time.perf_counter() - t0):>9,.0f}",
              flush=True)
    gc.collect()
    final = rss_mb(process)
    growth = final - baseline
    print(f"{done:,} evaluations in {time.perf_counter() - start:.0f} s: RSS {baseline:.1f} -> {final:.1f} MB "
          f"(growth {growth:+.1f} MB, peak {peak:.1f} MB; limit {LIMIT_MB:.0f} MB): "
          + ("PASS" if growth <= LIMIT_MB else "MISS"))
    return 0 if growth <= LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
