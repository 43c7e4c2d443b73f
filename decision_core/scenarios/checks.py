"""Checking scenarios: evaluate a scenario's facts and list every unmet expectation,
saying what was expected, what came and why."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from decision_core.scenarios.files import Scenario, load_scenarios, scenario_files


class ScenarioFailure(AssertionError):
    """A scenario whose result does not meet its expectations."""

    def __init__(self, scenario: "Scenario", failures: list[str], engine: str | None = None):
        self.scenario, self.failures, self.engine = scenario, failures, engine
        super().__init__(self.describe())

    def describe(self) -> str:
        sc = self.scenario
        engine = f" [{self.engine}]" if self.engine else ""
        lines = [f"scenario '{sc.name}' ({sc.location}){engine} failed:"]
        lines += [f"  - {f}" for f in self.failures]
        lines.append(f"  given: {sc.given}")
        return "\n".join(lines)



def run_scenario(scenario: Scenario, evaluator=None) -> list[str]:
    """Evaluate the scenario's facts and check its expectations; the failures (empty: it passed).

    ``evaluator`` defaults to the installed catalogue's (``decision_core.get_evaluator()``).
    """
    from decision_core.intake import InvalidFacts

    if evaluator is None:
        from decision_core import get_evaluator

        evaluator = get_evaluator()
    failures = _unknown_ids(scenario.expect, evaluator.catalogue)
    if failures:
        return failures
    expect = scenario.expect
    try:
        result = evaluator.evaluate(scenario.given).to_dict()
    except InvalidFacts as exc:
        if "invalid_facts" not in expect:
            return ["the facts were rejected: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.errors.items()))]
        missing = [f for f in expect["invalid_facts"] if f not in exc.errors]
        if missing:
            return [f"expected fields {', '.join(missing)} to be rejected; the errors were: "
                    + "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.errors.items()))]
        return []
    if "invalid_facts" in expect:
        return [f"expected the facts to be rejected (fields {', '.join(expect['invalid_facts'])}); they were accepted"]
    return check_result(scenario, result, evaluator.catalogue)


def assert_scenario(scenario: Scenario, evaluator=None) -> None:
    """Raise :class:`ScenarioFailure` (an AssertionError) listing every unmet expectation."""
    failures = run_scenario(scenario, evaluator)
    if failures:
        raise ScenarioFailure(scenario, failures, getattr(evaluator, "engine_name", None))


def _unknown_ids(expect: dict, catalogue) -> list[str]:
    known = {
        "causes": set(catalogue.causes),
        "recommendations": set(catalogue.recommendations),
        "avoid": set(catalogue.avoid),
        "next_questions": set(catalogue.facts),
    }
    out = []
    for section, ids in known.items():
        for key, value in (expect.get(section) or {}).items():
            for item in [value] if isinstance(value, str) else value:
                if item not in ids:
                    out.append(f"expect.{section}.{key}: '{item}' is not in the catalogue under test "
                               f"({_what(section)}); misspelled, or its plugin not installed or not enabled?")
    levels = {lv.id for lv in catalogue.levels}
    for key, level in (expect.get("triage") or {}).items():
        if level not in levels:
            out.append(f"expect.triage: '{level}' is not a triage level ({', '.join(lv.id for lv in catalogue.levels)})")
    for name in expect.get("invalid_facts", ()):
        if name not in catalogue.facts and not name.startswith("_"):
            out.append(f"expect.invalid_facts: '{name}' is not a fact of the catalogue under test")
    return out


def _what(section: str) -> str:
    return {"causes": "cause ids", "recommendations": "recommendation ids", "avoid": "avoid ids",
            "next_questions": "fact names"}[section]


def check_result(scenario: Scenario, result: dict, catalogue) -> list[str]:
    """The scenario's unmet expectations on one result dictionary (``Result.to_dict()``)."""
    expect = scenario.expect
    failures: list[str] = []
    rank = {lv.id: lv.rank for lv in catalogue.levels}
    level = result["triage"]["level"]
    triage = expect.get("triage") or {}
    why_triage = "; ".join(f"{r['because']} [{r['rule']}]" for r in result["triage"]["reasons"]) or "no triage rule fired"
    if "is" in triage and level != triage["is"]:
        failures.append(f"expected triage {triage['is']}, got {level} ({why_triage})")
    if "at_least" in triage and rank[level] < rank[triage["at_least"]]:
        failures.append(f"expected triage at least {triage['at_least']}, got {level} ({why_triage})")
    if "below" in triage and rank[level] >= rank[triage["below"]]:
        failures.append(f"expected triage below {triage['below']}, got {level} ({why_triage})")

    causes = [c["id"] for c in result["causes"]]
    listed = ", ".join(f"{c['id']} ({c['score']:g})" for c in result["causes"]) or "none"
    want = expect.get("causes") or {}
    if "top" in want and (not causes or causes[0] != want["top"]):
        failures.append(f"expected top cause {want['top']}, got: {listed}")
    if "exactly" in want and causes != want["exactly"]:
        failures.append(f"expected exactly the causes {want['exactly'] or 'none'}, got: {listed}")
    for cid in want.get("present", ()):
        if cid not in causes:
            failures.append(f"expected cause {cid} to be listed, got: {listed}")
    for cid in want.get("absent", ()):
        if cid in causes:
            evidence = next(c for c in result["causes"] if c["id"] == cid)["evidence"]
            failures.append(f"expected cause {cid} not to be listed; it was, because: "
                            + "; ".join(f"{e['because']} [{e['rule']}]" for e in evidence))

    recs = {r["id"] for r in result["recommendations"]}
    withheld = {w["id"]: w["reason"] for w in result["withheld"]}
    want = expect.get("recommendations") or {}
    for rid in want.get("present", ()):
        if rid not in recs:
            why = f"it was withheld: {withheld[rid]}" if rid in withheld else "no rule recommended it"
            failures.append(f"expected recommendation {rid}; {why}")
    for rid in want.get("absent", ()):
        if rid in recs:
            failures.append(f"expected no recommendation {rid}; it was recommended for "
                            + (", ".join(next(r for r in result["recommendations"] if r["id"] == rid)["for_causes"])
                               or "the triage level"))
    for rid in want.get("withheld", ()):
        if rid not in withheld:
            failures.append(f"expected {rid} to be withheld; it was "
                            + ("recommended" if rid in recs else "not recommended at all"))

    avoid = {a["id"] for a in result["avoid"]}
    want = expect.get("avoid") or {}
    failures += [f"expected avoid item {a}; no rule raised it" for a in want.get("present", ()) if a not in avoid]
    failures += [f"expected no avoid item {a}; it was raised" for a in want.get("absent", ()) if a in avoid]

    asked = [q["fact"] for q in result["next_questions"]]
    want = expect.get("next_questions") or {}
    failures += [f"expected {f} among the next questions, got: {', '.join(asked) or 'none'}"
                 for f in want.get("present", ()) if f not in asked]
    failures += [f"expected {f} not among the next questions; it was asked" for f in want.get("absent", ())
                 if f in asked]
    return failures


def run_scenario_files(paths: Iterable[Path | str], evaluator=None) -> dict[Scenario, list[str]]:
    """Run every scenario in these files or folders: {scenario: failures}."""
    return {sc: run_scenario(sc, evaluator) for f in scenario_files(*paths) for sc in load_scenarios(f)}
