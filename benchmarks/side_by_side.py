#!/usr/bin/env python3
"""This installation against another, in one run: the core, the batch and HTTP figures of both,
measured in turns (ours, other, other, ours, ...) so a slow minute meets both, then the ratios.
Every performance claim in a note comes from this script.

    python benchmarks/side_by_side.py --other /path/to/other-venv/bin/python [--rounds 2] [--skip-http]

``--other`` is the Python of a venv where the other commit is installed (not editable); its
``decision-core`` is beside it. The same measuring scripts (this folder's) run on both, so only
the installation differs:

* core: ``core_probe.py``: fastest pass of whole ``evaluate()`` and of the result's JSON;
* batch: CPU seconds of ``decision-core evaluate --batch`` over the same generated cases, one
  process (start-up included), as cases per CPU second;
* HTTP: ``http_bench.py --json`` (production ``serve`` defaults, 8 connections): evaluations and
  echo req/s, their ratio, p99s and the server's CPU per request.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def last_json_line(text: str) -> dict:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON figures in the output")


def core(python: str, cases: int) -> dict:
    done = subprocess.run([python, str(HERE / "core_probe.py"), "--cases", str(cases)], capture_output=True,
                          text=True, check=True)
    return last_json_line(done.stdout)


def batch(python: str, path: Path, lines: int) -> dict:
    command = str(Path(python).with_name("decision-core"))
    proc = subprocess.Popen([command, "evaluate", "--batch", "--no-progress", str(path)], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{command} failed")
    return {"cases_per_cpu_s": lines / (usage.ru_utime + usage.ru_stime)}


def http(python: str, seconds: float) -> dict:
    done = subprocess.run([python, str(HERE / "http_bench.py"), "--json", "--rounds", "2", "--seconds", str(seconds)],
                          capture_output=True, text=True)
    figures = last_json_line(done.stdout)
    ev, echo = figures["evaluation"], figures["echo"]
    return {"eval_rps": ev["rps"], "echo_rps": echo["rps"], "eval_over_echo": figures["ratio"],
            "eval_p99_ms": ev["p99"], "echo_p99_ms": echo["p99"], "server_cpu_ms_per_eval": ev["cpu_ms"]}


LOWER_IS_BETTER = {"evaluate_us", "serialise_us", "eval_p99_ms", "echo_p99_ms", "server_cpu_ms_per_eval"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="the other installation's Python (a venv's bin/python)")
    parser.add_argument("--ours", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cases", type=int, default=2000, help="core cases")
    parser.add_argument("--batch-cases", type=int, default=10000)
    parser.add_argument("--http-seconds", type=float, default=4.0)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_core import generate_cases
    from decision_core.catalogue.loading import load_builtin_catalogue

    pythons = {"ours": args.ours, "other": args.other}
    figures: dict[str, dict[str, list[float]]] = {"ours": {}, "other": {}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for c in generate_cases(load_builtin_catalogue(),
                                                                             args.batch_cases, 3)), encoding="utf-8")
        for round_ in range(args.rounds):
            order = ["ours", "other"] if round_ % 2 == 0 else ["other", "ours"]
            for name in order:
                got = {**core(pythons[name], args.cases), **batch(pythons[name], path, args.batch_cases)}
                if not args.skip_http:
                    got.update(http(pythons[name], args.http_seconds))
                for key, value in got.items():
                    figures[name].setdefault(key, []).append(value)
                print(f"round {round_ + 1}, {name}: " + ", ".join(f"{k} {v:.3g}" for k, v in got.items()), flush=True)
    print()
    print(f"ours: {args.ours}\nother: {args.other}\n")
    print(f"{'figure (median of rounds)':<28}{'ours':>12}{'other':>12}{'ours/other':>12}")
    for key in figures["ours"]:
        ours, other = statistics.median(figures["ours"][key]), statistics.median(figures["other"][key])
        better = (ours <= other) if key in LOWER_IS_BETTER else (ours >= other)
        print(f"{key:<28}{ours:>12.3f}{other:>12.3f}{ours / other:>11.2f}{' ' if better else '*'}")
    print("\n* ours is worse on that figure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
