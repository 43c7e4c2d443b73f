#!/usr/bin/env python3
"""A few core figures from whichever installation runs this script, as one JSON line: the fastest
pass of whole ``evaluate()`` and of the result's JSON (``to_dict`` + orjson), mean microseconds per
case. Only public entry points are used, so an older installation can run it too (side_by_side.py).

    python benchmarks/core_probe.py [--cases 2000] [--passes 5] [--engine durable]
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import generate_cases  # noqa: E402  (same folder)

import orjson  # noqa: E402

from decision_core.catalogue.loading import load_builtin_catalogue  # noqa: E402
from decision_core.evaluation.evaluator import Evaluator  # noqa: E402


def fastest_pass_us(function, items, passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def serialise(result) -> bytes:
    """The result's JSON as the HTTP adapter writes it: its own method when it has one."""
    to_json = getattr(result, "to_json", None)
    return to_json() if to_json is not None else orjson.dumps(result.to_dict())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--engine", default="durable")
    args = parser.parse_args()
    catalogue = load_builtin_catalogue()
    evaluator = Evaluator(catalogue, args.engine)
    cases = generate_cases(catalogue, args.cases, seed=1)
    results = [evaluator.evaluate(c) for c in cases]
    gc.collect()
    figures = {"evaluate_us": fastest_pass_us(evaluator.evaluate, cases, args.passes),
               "serialise_us": fastest_pass_us(serialise, results, args.passes)}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
