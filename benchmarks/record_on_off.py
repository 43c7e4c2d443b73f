#!/usr/bin/env python3
"""The record's cost over HTTP: ``http_bench.py`` with the record off and on (a throw-away SQLite
file, serve's default kind), in turns (off, on, on, off, ...), so both meet the same machine.

    python benchmarks/record_on_off.py [--rounds 2] [--seconds 4]

Target (issue 20): evaluations per second with the record on within 15 % of the record off.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = 0.85


def run(record: str, seconds: float) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "http_bench.py"), "--json", "--rounds", "2", "--seconds",
                           str(seconds), "--record", record], capture_output=True, text=True)
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{"))
    return json.loads(line)["evaluation"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    figures: dict[str, list[dict]] = {"off": [], "on": []}
    for round_ in range(args.rounds):
        for record in (("off", "on") if round_ % 2 == 0 else ("on", "off")):
            got = run(record, args.seconds)
            figures[record].append(got)
            print(f"round {round_ + 1}, record {record}: {got['rps']:.0f} evaluations/s, p99 {got['p99']:.2f} ms, "
                  f"server CPU {got['cpu_ms']:.3f} ms/request", flush=True)
    off = statistics.median(f["rps"] for f in figures["off"])
    on = statistics.median(f["rps"] for f in figures["on"])
    print(f"\nmedian evaluations/s: record off {off:.0f}, record on {on:.0f}: on/off = {on / off:.2f} "
          f"(target >= {TARGET:.2f}) {'ok' if on / off >= TARGET else 'MISSED'}")
    return 0 if on / off >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
