"""How many questions the interview asks: per public case, the questions asked (answered and skipped) as a share
of the whole intake form, answering from the case's facts and skipping what a case does not say.

    python benchmarks/interview_bench.py [--vignettes ../shared/vignettes/public.json] [--engine plain]

Also checks that each interview ends with the triage and top cause of evaluating the case's facts directly.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from decision_core import get_evaluator
from decision_core.interview import Interview, Outcome

log = logging.getLogger("interview_bench")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "vignettes" / "public.json"


def run(path: Path, engine: str | None) -> int:
    evaluator = get_evaluator(engine)
    interview = Interview(evaluator)
    total = len(evaluator.catalogue.facts)
    cases = json.loads(path.read_text())["cases"]
    rows, mismatches = [], 0
    for case in cases:
        facts = evaluator.validate(case["facts"])
        started = time.perf_counter()
        step, asked = interview.run(lambda q: facts.get(q.fact))
        elapsed = time.perf_counter() - started
        answered = sum(1 for name in asked if name in facts)
        same = Outcome.of(step.result) == Outcome.of(evaluator.evaluate_valid(facts))
        mismatches += not same
        rows.append((case["id"], answered, len(asked) - answered, len(asked), step.reason, same, elapsed))
    width = max(len(r[0]) for r in rows)
    print(f"intake form: {total} questions; engine {evaluator.engine_name}")
    print(f"{'case':<{width}}  answered  skipped  asked  share  stop        same   time")
    for cid, answered, skipped, asked, reason, same, elapsed in rows:
        print(f"{cid:<{width}}  {answered:>8}  {skipped:>7}  {asked:>5}  {asked / total:>5.0%}  {reason:<10}  "
              f"{'yes' if same else 'NO':<5}  {elapsed * 1000:.0f} ms")
    shares = [r[3] / total for r in rows]
    print(f"mean share {sum(shares) / len(shares):.0%}, median {sorted(shares)[len(shares) // 2]:.0%}, "
          f"max {max(shares):.0%}; outcome as direct evaluation: {len(rows) - mismatches}/{len(rows)}")
    return 1 if mismatches else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vignettes", type=Path, default=DEFAULT)
    parser.add_argument("--engine", choices=("durable", "plain"), default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return run(args.vignettes, args.engine)


if __name__ == "__main__":
    sys.exit(main())
