"""Evaluations from many threads at once give exactly the results they give one
at a time: nothing about one patient leaks into another's result."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from decision_core.intake import InvalidFacts

THREADS = 12
CASES = 400


def outcome(evaluator, facts) -> str:
    """The whole result (or the whole error) as canonical JSON."""
    try:
        body = evaluator.evaluate(facts).to_dict()
    except InvalidFacts as exc:
        body = exc.to_dict()
    return json.dumps(body, sort_keys=True)


def run_concurrently(jobs) -> list[str]:
    """Run (evaluator, facts) jobs from THREADS threads that all start together."""
    barrier = threading.Barrier(THREADS)

    def worker(start: int) -> list[tuple[int, str]]:
        barrier.wait()
        return [(i, outcome(*jobs[i])) for i in range(start, len(jobs), THREADS)]

    results: list[str | None] = [None] * len(jobs)
    with ThreadPoolExecutor(THREADS) as pool:
        for part in pool.map(worker, range(THREADS)):
            for i, text in part:
                results[i] = text
    return results


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_many_threads_give_the_serial_results(builtin_catalogue, builtin_evaluators, generated_cases, engine):
    ev = builtin_evaluators[engine]
    cases = generated_cases(builtin_catalogue, CASES, seed=20240)
    serial = [outcome(ev, facts) for facts in cases]
    assert len(set(serial)) > CASES // 2, "the generated cases are varied"
    assert sum('"invalid_facts"' in s for s in serial) == CASES // 20
    concurrent = run_concurrently([(ev, facts) for facts in cases])
    mismatches = [i for i, (a, b) in enumerate(zip(serial, concurrent)) if a != b]
    assert not mismatches, f"{len(mismatches)} results differ under concurrency, first case {mismatches[:1]}"


def test_both_engines_at_once_give_the_serial_results(builtin_catalogue, builtin_evaluators, generated_cases):
    cases = generated_cases(builtin_catalogue, CASES, seed=777)
    jobs = [(builtin_evaluators["durable" if i % 2 else "plain"], facts) for i, facts in enumerate(cases)]
    serial = [outcome(*job) for job in jobs]
    assert run_concurrently(jobs) == serial
    # and the engines agree with each other
    for facts in cases[:100]:
        a, b = outcome(builtin_evaluators["durable"], facts), outcome(builtin_evaluators["plain"], facts)
        assert json.loads(a).get("engine", "durable") == "durable"
        assert {**json.loads(a), "engine": None} == {**json.loads(b), "engine": None}


def test_the_mini_catalogue_under_threads(mini_catalogue, mini_evaluators, generated_cases):
    cases = generated_cases(mini_catalogue, CASES, seed=5)
    ev = mini_evaluators["durable"]
    serial = [outcome(ev, facts) for facts in cases]
    assert run_concurrently([(ev, facts) for facts in cases]) == serial


def test_a_result_shares_nothing_with_the_next(builtin_evaluators):
    ev = builtin_evaluators["durable"]
    facts = {"sitting_hours_per_day": 10, "uses_standing_desk": False, "glute_bridge_hamstring_cramp": True,
             "sharp_pain": True}
    first = ev.evaluate(facts).to_dict()
    expected = json.dumps(first, sort_keys=True)
    # scribble over everything the first result holds
    for rec in first["recommendations"]:
        rec["dose"]["sets"] = 99
        rec["dose"].setdefault("basis", {})["sets"] = "scribbled"
        rec["dose"].setdefault("citations", []).append({"source": "999"})
        rec["steps"].append("scribbled")
        rec["for_causes"].append("scribbled")
        rec["sources"].append("999")
    for cause in first["causes"]:
        cause["evidence"].clear()
    first["triage"]["reasons"].clear()
    first["rulesets"][0]["version"] = "9.9.9"
    first["facts"]["sports"] = ["scribbled"]
    assert json.dumps(ev.evaluate(facts).to_dict(), sort_keys=True) == expected
