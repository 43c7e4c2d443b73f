#!/usr/bin/env python3
"""Growth benchmark (issue 12 §6): evaluation time on a catalogue ten times the
built-in one (rules and facts), written by scripts/make_synthetic_plugin.py,
against the built-in catalogue, on the durable engine (the case in shards) and
the plain one. Prints figures; exit status 1 when the target is missed.

    python benchmarks/growth_bench.py              # 10x, 5 interleaved rounds
    python benchmarks/growth_bench.py --scale 5 --rounds 3

Three kinds of case, each timed on both catalogues with the same engine:

* same cases: the public vignettes and random cases over the built-in facts
  (each known with probability 0.4), as benchmarks/bench_core.py uses: what a
  bigger catalogue costs a patient whose answers are the same;
* as many answers: random cases over the whole 10x catalogue with as many facts
  known on average as above, spread over it;
* ten times the answers: each fact of the 10x catalogue known with probability
  0.4, so the case and its result are ten times as large (no target: shown for scale).

Target (the first two): a 10x evaluation takes at most 3x the built-in one (median).
Times are the evaluating thread's CPU time, so that other processes on a shared
machine do not count; interleaved rounds spread what noise is left evenly.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from decision_core.catalogue.loading import builtin_rulesets_dir, load_builtin_catalogue, load_catalogue
from decision_core.evaluation.evaluator import Evaluator
from decision_core.testing import random_facts

REPO = Path(__file__).resolve().parent.parent
VIGNETTES = REPO.parent / "shared" / "vignettes" / "public.json"
TARGET_RATIO = 3.0
KNOWN = 0.4


def _generator():
    spec = importlib.util.spec_from_file_location("make_synthetic_plugin", REPO / "scripts" / "make_synthetic_plugin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same_cases(catalogue, count: int, seed: int = 1) -> list[dict]:
    cases = [c["facts"] for c in json.loads(VIGNETTES.read_text(encoding="utf-8"))["cases"]] if VIGNETTES.is_file() else []
    rng = random.Random(seed)
    while len(cases) < count:
        cases.append(random_facts(catalogue, rng, known=KNOWN, red_flag_known=0.1))
    return cases[:count]


def spread_cases(catalogue, count: int, known: float, seed: int = 2) -> list[dict]:
    rng = random.Random(seed)
    return [random_facts(catalogue, rng, known=known, red_flag_known=min(0.1, known)) for _ in range(count)]


def time_cases(evaluator: Evaluator, cases: list[dict]) -> list[int]:
    for facts in cases[:20]:  # warm
        evaluator.evaluate(facts)
    gc.collect()
    gc.disable()
    try:
        samples = []
        clock = time.thread_time_ns  # CPU time: other processes on a shared machine do not count
        for facts in cases:
            start = clock()
            evaluator.evaluate(facts)
            samples.append(clock() - start)
        return samples
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are reported")
    args = parser.parse_args(argv)

    builtin = load_builtin_catalogue()
    with tempfile.TemporaryDirectory(prefix="dc-growth-") as tmp:
        counts = _generator().write_scaled_plugin(Path(tmp), args.scale)
        start = time.perf_counter()
        grown = load_catalogue([(builtin_rulesets_dir(), "decision_core"), (Path(tmp) / "synthetic_growth" / "rulesets",
                                                                           "synthetic_growth")])
        load_s = time.perf_counter() - start
    evaluators, build_s = {}, {}
    for name, catalogue in (("built-in", builtin), (f"{args.scale:g}x", grown)):
        for engine in ("durable", "plain"):
            start = time.perf_counter()
            evaluators[name, engine] = Evaluator(catalogue, engine)
            build_s[name, engine] = time.perf_counter() - start
    big = f"{args.scale:g}x"
    plan = evaluators[big, "durable"].engine.plan
    print(f"catalogues: built-in {len(builtin.rules)} rules, {len(builtin.facts)} facts; {big} {len(grown.rules)} "
          f"rules, {len(grown.facts)} facts (the plugin: {counts['causes']} causes); {big} loads in {load_s:.2f} s")
    print(f"durable engine on {big}: the case goes as {len(plan.shard_keys) or 1} facts "
          f"({'/'.join(map(str, plan.shard_tests)) or '-'} distinct tests each); built in "
          f"{build_s[big, 'durable']:.2f} s (built-in: {build_s['built-in', 'durable']:.2f} s)")

    per_fact = KNOWN * len(builtin.facts) / len(grown.facts)
    kinds = {
        "same cases": (same_cases(builtin, args.cases),) * 2,
        "as many answers": (same_cases(builtin, args.cases), spread_cases(grown, args.cases, per_fact)),
        "ten times the answers": (same_cases(builtin, args.cases), spread_cases(grown, args.cases, KNOWN)),
    }
    medians: dict[tuple, list[float]] = {}
    for _ in range(args.rounds):  # interleaved: the machine is shared, so noise hits every series alike
        for kind, (small_cases, big_cases) in kinds.items():
            for engine in ("durable", "plain"):
                for name, cases in (("built-in", small_cases), (big, big_cases)):
                    if kind != "same cases" and name == "built-in":
                        continue  # the built-in series is the same in every kind
                    samples = time_cases(evaluators[name, engine], cases)
                    medians.setdefault((kind, engine, name), []).append(statistics.median(samples) / 1e6)
    figures: dict[str, dict] = {}
    print(f"\nper-evaluation median ms of CPU time (median of {args.rounds} interleaved rounds of {args.cases} "
          f"cases), evaluate(facts), validation to result:")
    print(f"  {'cases':<24}{'engine':<9}{'built-in':>10}{big:>10}{'ratio':>8}")
    met = True
    for kind in kinds:
        for engine in ("durable", "plain"):
            small = statistics.median(medians["same cases", engine, "built-in"])
            large = statistics.median(medians[kind, engine, big])
            ratio = large / small
            figures[f"{kind}/{engine}"] = {"builtin_ms": small, "grown_ms": large, "ratio": ratio}
            targeted = kind != "ten times the answers"
            if targeted and engine == "durable":
                met &= ratio <= TARGET_RATIO
            print(f"  {kind:<24}{engine:<9}{small:>10.3f}{large:>10.3f}{ratio:>7.2f}x"
                  + ("" if targeted else "  (no target)"))
    print(f"\ntarget: durable {big} <= {TARGET_RATIO:g}x the built-in (same cases, as many answers): "
          + ("met" if met else "MISSED"))
    print(json.dumps({"scale": args.scale, "shards": len(plan.shard_keys) or 1, "figures": figures}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
