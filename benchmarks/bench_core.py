#!/usr/bin/env python3
"""Benchmark of the decision core on the built-in catalogue; prints figures.

In one run:

1. per-evaluation latency (p50, p99, mean) of ``Evaluator.evaluate(facts)`` in
   process, validation to result, for the durable engine and the plain one;
2. side by side, the raw durable-rules cost of the same work: the same encoded
   case posted to the same compiled rules (``translate(compiled)``) with
   trivial actions (a finding rule asserts its finding, so chaining happens),
   on a stock durable-rules host without background threads, then the same
   stratum-2 facts, then ``delete_state``; and our total / raw. (Our engine
   drives the same C calls through a leaner action loop than the stock one.);
   then where our time goes, stage by stage, measured in place;
3. batch throughput of ``decision-core evaluate --batch FILE`` (one process, so
   one core), with and without its start-up.

    python benchmarks/bench_core.py                 # the figures in docs/benchmarks.md
    python benchmarks/bench_core.py --profile 20000 # and where the time goes (cProfile)

Targets on a 2-core machine: p50 <= 1 ms, p99 <= 3 ms, ours <= 1.5 x raw,
batch >= 1,000 cases/s per core (cases per CPU second of the batch process, which
includes its start-up; the wall-clock rate is printed beside it). Exit status 1
when one is missed.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import platform
import resource
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from decision_core.catalogue.loading import load_builtin_catalogue
from decision_core.evaluation.evaluator import Evaluator
from decision_core.testing import random_facts

from raw_durable import RawDurable, stage_raw, what_durable_is_sent  # same folder

REPO = Path(__file__).resolve().parent.parent
VIGNETTES = REPO.parent / "shared" / "vignettes" / "public.json"
TARGETS = {"p50_ms": 1.0, "p99_ms": 3.0, "ratio": 1.5, "batch_per_core": 1000.0}


# ------------------------------------------------------------------ the cases


def generate_cases(catalogue, count: int, seed: int = 1) -> list[dict]:
    """Deterministic, valid, varied cases: the public vignettes, then random ones
    where each fact is known with probability 0.4 (red flags 0.1, so most cases
    reach stratum 2 with a programme, as real ones do)."""
    cases: list[dict] = []
    if VIGNETTES.is_file():
        cases += [c["facts"] for c in json.loads(VIGNETTES.read_text(encoding="utf-8"))["cases"]]
    rng = random.Random(seed)
    words = ["running", "sprinting", "football", "cycling", "weightlifting", "yoga"]
    while len(cases) < count:
        cases.append(random_facts(catalogue, rng, known=0.4, red_flag_known=0.1, words=words))
    return cases[:count]


# ------------------------------------------------------------------ measuring


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


def summary_ms(samples_ns: list[int]) -> dict:
    ordered = sorted(samples_ns)
    return {"p50_ms": percentile(ordered, 0.50) / 1e6, "p99_ms": percentile(ordered, 0.99) / 1e6,
            "mean_ms": statistics.fmean(ordered) / 1e6, "max_ms": ordered[-1] / 1e6, "n": len(ordered)}


def time_each(function, items, rounds: int) -> list[int]:
    """Nanoseconds of ``function(item)`` for every item, ``rounds`` times over, GC as in service."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(rounds):
        for item in items:
            start = clock()
            function(item)
            samples.append(clock() - start)
    return samples


def batch_throughput(cases: list[dict]) -> dict:
    command = shutil.which("decision-core") or str(Path(sys.executable).parent / "decision-core")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "cases.jsonl"
        big.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(cases[0]) + "\n", encoding="utf-8")

        cpu_seconds: dict[Path, float] = {}

        def wall(path: Path) -> float:
            # The results go to a file, as a batch's would: read back through a pipe, the
            # benchmark's own decoding of hundreds of MB would be timed too, on the same 2 cores.
            out = Path(tmp) / "results.jsonl"
            with out.open("wb") as sink:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run([command, "evaluate", "--batch", "--no-progress", str(path)],
                               stdout=sink, stderr=subprocess.PIPE, check=True)
                seconds = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # the core's own time (user + system): what a case costs a core, whatever else the machine runs
            cpu_seconds[path] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            with out.open("rb") as results:
                lines = errors = 0
                for line in results:
                    lines += 1
                    errors += line.startswith(b'{"error"')
            assert lines == sum(1 for _ in path.open()), "one result a line"
            assert not errors, "the benchmark cases are valid"
            return seconds

        startup = min(wall(one) for _ in range(3))
        total = wall(big)
    return {"command": f"decision-core evaluate --batch --no-progress FILE ({len(cases)} lines)",
            "cases": len(cases), "seconds": total, "startup_seconds": startup,
            "cases_per_s": len(cases) / total, "cases_per_s_after_startup": len(cases) / max(total - startup, 1e-9),
            "cpu_seconds": cpu_seconds[big], "cases_per_cpu_s": len(cases) / cpu_seconds[big]}


def stage_breakdown(evaluator, cases: list[dict], repeats: int = 5) -> dict[str, float]:
    """Mean microseconds per evaluation in each stage of ``Evaluator.evaluate``,
    measured in place: each stage the evaluator calls is wrapped with a clock for
    the run (and unwrapped after), so caches and interleaving are as in service.
    Figures are from the fastest of ``repeats`` passes over all cases."""
    from decision_core.evaluation import evaluator as evaluator_module
    clock = time.perf_counter_ns
    spent: dict[str, int] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0) + clock() - start
        return wrapper

    def timed_session(name, function):  # the engine's session: from entering it to leaving it
        @contextlib.contextmanager
        def wrapper(*args, **kwargs):
            start = clock()
            try:
                with function(*args, **kwargs) as session:
                    yield session
            finally:
                spent[name] = spent.get(name, 0) + clock() - start
        return wrapper

    patches = [  # (owner, attribute, stage name)
        (evaluator.intake, "validate", "validate (marshmallow fields)"),
        (evaluator.compiled, "encode", "encode"),
        (evaluator.engine, "session", "engine"),
        (evaluator_module, "conclude", "score (conclude)"),
        (evaluator.policy, "judge", "safety policy (judge)"),
        (evaluator_module, "build_programme", "programme (with the policy applied)"),
        (evaluator.planner, "plan", "next questions"),
        *([(evaluator.selector, "select", "programme selection (prescription)")]
          if hasattr(evaluator, "selector") else []),
    ]
    originals = [(owner, attr, getattr(owner, attr), owner is evaluator_module) for owner, attr, _ in patches]
    best: tuple[int, dict] | None = None
    try:
        for owner, attr, name in patches:
            wrap = timed_session if attr == "session" else timed
            setattr(owner, attr, wrap(name, getattr(owner, attr)))
        for _ in range(repeats):
            spent.clear()
            start = clock()
            for raw in cases:
                evaluator.evaluate(raw)
            total = clock() - start
            if best is None or total < best[0]:
                best = (total, dict(spent))
    finally:
        for owner, attr, original, is_module in originals:
            if is_module:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)  # back to the class's method
    total, spent = best
    per = {name: ns / len(cases) / 1000 for name, ns in spent.items()}
    per["engine run: durable-rules + our actions"] = per.pop("engine") - per["score (conclude)"]  # conclude runs inside
    per["result building and glue (the rest)"] = total / len(cases) / 1000 - sum(per.values())
    per["whole evaluate()"] = total / len(cases) / 1000

    results = [evaluator.evaluate(raw) for raw in cases]
    lines = [json.dumps(raw) for raw in cases]
    for name, stage in {  # what a batch line costs beyond evaluate(): reading the line, writing the result
        "json.loads of the line": lambda: [json.loads(line) for line in lines],
        # as the batch command writes it (orjson)
        "to_dict + orjson of the result": lambda: [orjson.dumps(r.to_dict()) for r in results],
        **({"to_json() of the result (the batch's and HTTP's way)": lambda: [r.to_json() for r in results]}
           if hasattr(results[0], "to_json") else {}),
    }.items():
        per[f"batch only: {name}"] = min(_elapsed_ns(stage) for _ in range(repeats)) / len(cases) / 1000
    return per


def _elapsed_ns(function) -> int:
    start = time.perf_counter_ns()
    function()
    return time.perf_counter_ns() - start


def profile(evaluator, cases, count: int) -> str:
    items = (cases * (count // len(cases) + 1))[:count]
    profiler = cProfile.Profile()
    profiler.enable()
    for facts in items:
        evaluator.evaluate(facts)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="distinct cases (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the cases (default 5)")
    parser.add_argument("--batch-cases", type=int, default=20000, help="lines in the batch file (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also profile N durable evaluations")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    catalogue = load_builtin_catalogue()
    cases = generate_cases(catalogue, args.cases, args.seed)
    evaluators = {name: Evaluator(catalogue, name) for name in ("durable", "plain")}
    durable = evaluators["durable"]
    raw = RawDurable(durable.compiled)
    posted = [what_durable_is_sent(durable, facts) for facts in cases]

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at start; "
          f"catalogue: {len(catalogue.rules)} rules, {len(catalogue.facts)} facts, {len(catalogue.rulesets)} rulesets")
    results = [durable.evaluate(f) for f in cases]
    print(f"cases: {len(cases)} distinct x {args.rounds} rounds; on average {statistics.fmean(len(r.fired_rules) for r in results):.1f} "
          f"rules fire, {statistics.fmean(len(r.causes) for r in results):.1f} causes listed, "
          f"{sum(r.triage_level != 'self_care' for r in results) / len(results):.0%} above self_care")
    del results  # 2,000 kept results would make the timed passes pay for gen-2 GC over them
    gc.collect()

    # warm up everything, then interleave the measured passes so drift hits all alike
    for facts, post in zip(cases, posted):
        durable.evaluate(facts), evaluators["plain"].evaluate(facts), raw.run(post)
    samples: dict[str, list[int]] = {"durable": [], "plain": [], "raw": []}
    for _ in range(args.rounds):
        samples["durable"] += time_each(durable.evaluate, cases, 1)
        samples["raw"] += time_each(raw.run, posted, 1)
        samples["plain"] += time_each(evaluators["plain"].evaluate, cases, 1)
    figures = {name: summary_ms(s) for name, s in samples.items()}
    figures["ratio_mean"] = figures["durable"]["mean_ms"] / figures["raw"]["mean_ms"]
    figures["ratio_p50"] = figures["durable"]["p50_ms"] / figures["raw"]["p50_ms"]

    print()
    print(f"{'per evaluation':<44}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'max ms':>9}")
    labels = {"durable": "evaluate(), durable engine (default)", "plain": "evaluate(), plain engine",
              "raw": "raw durable-rules: post case + stratum 2"}
    for name in ("durable", "plain", "raw"):
        f = figures[name]
        print(f"{labels[name]:<44}{f['p50_ms']:>9.3f}{f['p99_ms']:>9.3f}{f['mean_ms']:>9.3f}{f['max_ms']:>9.2f}")
    print(f"our total / raw durable-rules: {figures['ratio_mean']:.2f} x (mean), {figures['ratio_p50']:.2f} x (p50)")

    breakdown = stage_breakdown(durable, cases)
    figures["breakdown_us"] = breakdown
    print()
    print("where the time of one durable evaluate() goes (mean microseconds, in place, fastest of 5 passes):")
    for name, us in breakdown.items():
        share = "" if name.startswith("batch only") else f"{us / breakdown['whole evaluate()']:>7.0%}"
        print(f"  {name:<44}{us:>8.1f}{share}")
    raw_best = stage_raw(raw, posted)
    figures["breakdown_us"]["raw durable-rules (same passes)"] = raw_best
    print(f"  {'raw durable-rules, same way, for comparison':<44}{raw_best:>8.1f}")
    print(f"  our total / raw, fastest passes: {breakdown['whole evaluate()'] / raw_best:.2f} x")

    gc.collect()
    batch = batch_throughput(generate_cases(catalogue, args.batch_cases, args.seed + 1))
    figures["batch"] = batch
    print()
    print(f"batch: {batch['command']}: {batch['seconds']:.2f} s wall, {batch['cases_per_s']:,.0f} cases/s "
          f"(start-up {batch['startup_seconds']:.2f} s; {batch['cases_per_s_after_startup']:,.0f} cases/s after it); "
          f"{batch['cpu_seconds']:.2f} s of CPU, {batch['cases_per_cpu_s']:,.0f} cases per CPU second, "
          "one process = one core")

    checks = {
        "p50 <= 1 ms": figures["durable"]["p50_ms"] <= TARGETS["p50_ms"],
        "p99 <= 3 ms": figures["durable"]["p99_ms"] <= TARGETS["p99_ms"],
        "ours <= 1.5 x raw (mean)": figures["ratio_mean"] <= TARGETS["ratio"],
        # per core: the cases a CPU second of the batch process evaluates (its wall clock also counts
        # whatever else the shared machine runs; both are printed)
        "batch >= 1,000 cases/s per core": batch["cases_per_cpu_s"] >= TARGETS["batch_per_core"],
    }
    print()
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    if args.profile:
        print()
        print(f"cProfile of {args.profile} durable evaluations (by own time):")
        print(profile(durable, cases, args.profile))
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
