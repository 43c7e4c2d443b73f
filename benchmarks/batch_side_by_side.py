#!/usr/bin/env python3
"""Batch throughput per core, this installation against another, at the same time: the CPU seconds
(user + system, start-up included) of ``decision-core evaluate --batch`` over the same cases, the two
processes started together (one per core), several times.

    python benchmarks/batch_side_by_side.py --other /path/to/other-venv/bin/decision-core [--runs 5] [--cases 10000]

On a machine whose speed varies from one minute to the next, only figures taken together compare:
both processes meet the same conditions, so their ratio holds where the absolute figures wander.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import generate_cases  # noqa: E402  (same folder)

from decision_core.catalogue.loading import load_builtin_catalogue  # noqa: E402


def together(commands: list[str], path: Path) -> list[float]:
    """Each command's CPU seconds, all started at once."""
    procs = [subprocess.Popen([c, "evaluate", "--batch", "--no-progress", str(path)], stdout=subprocess.DEVNULL)
             for c in commands]
    seconds = []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"{proc.args[0]} failed ({proc.returncode})")
        seconds.append(usage.ru_utime + usage.ru_stime)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="the other installation's decision-core")
    parser.add_argument("--ours", default=shutil.which("decision-core") or "decision-core")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=2)  # bench_core's batch cases
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        cases = generate_cases(load_builtin_catalogue(), args.cases, args.seed)
        path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
        rates: dict[str, list[float]] = {"ours": [], "other": []}
        for _ in range(args.runs):
            ours, other = together([args.ours, args.other], path)
            rates["ours"].append(len(cases) / ours)
            rates["other"].append(len(cases) / other)
    for name, values in rates.items():
        print(f"{name}: median {statistics.median(values):,.0f} cases per CPU second "
              f"(min {min(values):,.0f}, max {max(values):,.0f}) over {args.runs} runs of {len(cases)} lines")
    ratios = [a / b for a, b in zip(rates["ours"], rates["other"])]
    print(f"ours / other: median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
