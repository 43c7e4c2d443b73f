"""Structured problems: every problem of loading and building says what it is (code) and what it is
about (kind, key), in the words users always saw; a lenient build reports the strict build's problems
and builds the rest; generated rules say which item made them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from decision_core.catalogue.loading import (
    CatalogueBuilder,
    RulesetError,
    load_documents,
    parse_ruleset,
    ruleset_files,
)

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"

# A cause whose first rule reads a fact nobody declares; a chain of findings hangs on it.
CHAIN = {
    "ruleset": "chain", "version": "1.0.0", "kind": "cause", "title": "Chain",
    "cause": {"id": "chain_cause", "name": "Chain", "why": "A chain.", "sources": ["000"]},
    "rules": [
        {"id": "chain.start", "when": ["no_such_fact is true"], "then": "finding f0", "because": "Start.",
         "sources": ["000"]},
        *({"id": f"chain.step{i}", "when": [f"finding f{i - 1}"], "then": f"finding f{i}", "because": "Step.",
           "sources": ["000"]} for i in range(1, 6)),
        {"id": "chain.end", "when": ["finding f5"], "then": "cause chain_cause", "strength": "strong",
         "because": "End.", "sources": ["000", "999"]},
        {"id": "sitting.long", "when": ["sitting >= 8"], "then": "cause chain_cause", "strength": "supporting",
         "because": "Taken.", "sources": ["000"]},
    ],
}


def mini_docs():
    return load_documents((p, "test") for p in ruleset_files(MINI))


def problems_of(raw: dict) -> list:
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(raw, "x.yaml")
    return caught.value.problems


def test_build_problems_say_what_they_are_and_what_they_are_about():
    builder = CatalogueBuilder([*mini_docs(), parse_ruleset(CHAIN, "chain.yaml")])
    with pytest.raises(RulesetError) as caught:
        builder.build()
    got = {(p.rule, p.code, p.kind, p.key) for p in caught.value.problems}
    assert got == {
        ("chain.start", "unknown_fact", "rule", "chain.start"),
        ("sitting.long", "duplicate", "rule", "sitting.long"),
        ("chain.end", "unknown_source", "rule", "chain.end"),
    }
    assert "chain.yaml, rule chain.start, field when: unknown fact 'no_such_fact' in 'no_such_fact is true'" \
        in str(caught.value).splitlines()


def test_a_lenient_build_reports_the_same_problems_and_builds_the_rest():
    builder = CatalogueBuilder([*mini_docs(), parse_ruleset(CHAIN, "chain.yaml")])
    with pytest.raises(RulesetError) as caught:
        builder.build()
    built = builder.build_lenient()
    assert built.problems == caught.value.problems
    # the broken rule and every rule of the chain hanging on it are left out; of the duplicate, the second
    assert {r.id for r in built.left_out_rules} == {"chain.start", *(f"chain.step{i}" for i in range(1, 6)),
                                                    "chain.end"}
    rules = {r.id: r for r in built.catalogue.rules}
    assert not any(r.startswith("chain.") for r in rules) and rules["sitting.long"].ruleset == "mini_sitting"
    assert "chain_cause" in built.catalogue.causes


def test_a_lenient_build_stops_at_what_it_cannot_leave_out():
    line = {"id": "extra.line", "when": ["no_such_fact is true"], "withhold": ["exercise"], "says": "Never.",
            "sources": ["000"]}
    extra = parse_ruleset({"ruleset": "extra", "version": "1.0.0", "kind": "policy", "title": "P", "lines": [line]},
                          "extra.yaml")
    built = CatalogueBuilder([*mini_docs(), extra]).build_lenient()
    assert built.catalogue is None  # the safety policy is never built without one of its lines
    assert [(p.code, p.kind, p.key) for p in built.problems] == [("unknown_fact", "policy line", "extra.line")]


def test_a_clean_lenient_build_is_the_strict_one():
    builder = CatalogueBuilder(mini_docs())
    built = builder.build_lenient()
    assert (built.problems, built.left_out_rules) == ([], [])
    assert built.catalogue.fingerprint() == builder.build().fingerprint()


def test_rules_made_from_for_causes_name_their_item():
    cat = CatalogueBuilder(mini_docs()).build()
    generated = {r.id: r.generated_from for r in cat.rules if r.generated_from}
    assert generated["mini_recs.bridge.for.sitting_cause"] == "bridge"
    assert len(generated) == sum(len(r.for_causes) for r in cat.recommendations.values())
    assert cat.rules[0].generated_from is None


RULE = {"id": "r.one", "when": ["sitting >= 6"], "then": "finding f", "because": "Because."}
TRIAGE_HEAD = {"ruleset": "r", "version": "1.0.0", "kind": "triage", "title": "T"}


@pytest.mark.parametrize("sources, field, message, code", [
    (None, "sources", "Missing data for required field.", "no_sources"),
    ([], "sources", "Shorter than minimum length 1.", "no_sources"),
    ("000", "sources", "Not a valid list.", "missing_sources"),
    (["BAD"], "sources.0", "must be a source id", "invalid_ruleset"),
])
def test_field_problems_get_their_code_where_they_are_raised(sources, field, message, code):
    rule = dict(RULE) if sources is None else {**RULE, "sources": sources}
    raw = {"ruleset": "r", "version": "1.0.0", "kind": "cause", "title": "T",
           "cause": {"id": "c", "name": "C", "why": "Why.", "sources": ["000"]}, "rules": [rule]}
    [problem] = problems_of(raw)
    assert (problem.rule, problem.field, problem.code, problem.kind, problem.key) == ("r.one", field, code, "rule", "r.one")
    assert problem.message.startswith(message) and type(problem.message) is str


def test_a_rule_concluding_an_undeclared_triage_level_is_coded_so():
    raw = yaml.safe_load((MINI / "triage.yaml").read_text(encoding="utf-8"))
    raw["rules"].append({"id": "mini_triage.typo", "when": ["red is true"], "then": "triage emergancy",
                         "because": "Typo.", "sources": ["002"]})
    docs = [d for d in mini_docs() if d.info.id != "mini_triage"]
    with pytest.raises(RulesetError) as caught:
        CatalogueBuilder([*docs, parse_ruleset(raw, "triage.yaml")]).build()
    [problem] = caught.value.problems
    assert (problem.rule, problem.field, problem.code) == ("mini_triage.typo", "then", "unknown_triage_level")
    assert problem.message == "unknown triage 'emergancy'"
