"""How many questions the interview asks: per public case, the screens shown (one question on the screen at a
time; the red-flag screen, several red flags in one, counts as one) as a share of the questions on the whole
intake form, beside the facts asked (the screen's red flags each count there) and how many were answered,
answering from the case's facts (on the screen: ticking the red flags that are true) and skipping what a case
does not say.

    python benchmarks/interview_bench.py [--vignettes ../shared/vignettes/public.json] [--engine plain]

Also checks that each interview ends with the triage, top cause and listed causes of evaluating the case's
facts directly. (tests/test_screen.py holds the same cases to a share of at most 35%.)
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from decision_core import get_evaluator
from decision_core.interview.flow import Interview, Outcome
from decision_core.interview.questionnaire import item_count
from decision_core.interview.screen import SCREEN_LINK_ID, screen_codes

log = logging.getLogger("interview_bench")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "vignettes" / "public.json"


def run(path: Path, engine: str | None) -> int:
    evaluator = get_evaluator(engine)
    interview = Interview(evaluator)
    total = item_count(evaluator.catalogue)
    cases = json.loads(path.read_text())["cases"]
    rows, mismatches = [], 0
    for case in cases:
        facts = evaluator.validate(case["facts"])
        started = time.perf_counter()
        step, shown = interview.run(lambda q: screen_codes(interview.screen, facts) if q.type == "screen"
                                    else facts.get(q.fact))
        elapsed = time.perf_counter() - started
        asked = [f for name in shown for f in (interview.screen if name == SCREEN_LINK_ID else (name,))]
        answered = sum(1 for name in asked if name in step.facts)
        same = Outcome.of(step.result) == Outcome.of(evaluator.evaluate_valid(facts))
        mismatches += not same
        rows.append((case["id"], len(shown), len(asked), answered, step.reason, same, elapsed))
    width = max(len(r[0]) for r in rows)
    print(f"intake form: {total} questions (the red-flag screen lists {len(interview.screen)}); "
          f"engine {evaluator.engine_name}")
    print(f"{'case':<{width}}  screens  share  facts asked  answered  stop        same   time")
    for cid, screens, asked, answered, reason, same, elapsed in rows:
        print(f"{cid:<{width}}  {screens:>7}  {screens / total:>5.0%}  {asked:>11}  {answered:>8}  {reason:<10}  "
              f"{'yes' if same else 'NO':<5}  {elapsed * 1000:.0f} ms")
    shares = [r[1] / total for r in rows]
    print(f"screens shown / questions on the form: mean {sum(shares) / len(shares):.1%}, median "
          f"{sorted(shares)[len(shares) // 2]:.1%}, max {max(shares):.1%}; outcome as direct evaluation: "
          f"{len(rows) - mismatches}/{len(rows)}")
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
