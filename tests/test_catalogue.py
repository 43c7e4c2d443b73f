"""The ruleset loader: every problem in a ruleset file is reported with the file,
the rule and the field, and the built-in catalogue loads and compiles cleanly."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from decision_core.catalogue.loading import RulesetError, load_catalogue, load_ruleset_file
from decision_core.engine.compiler import MAX_CASE_PROPERTIES, CompiledRules
from decision_core.engine.shards import distinct_case_tests, plan_shards

MINI_DIR = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture
def rules_dir(tmp_path):
    """A writable copy of the mini catalogue, to break one file at a time."""
    target = tmp_path / "rules"
    shutil.copytree(MINI_DIR, target)
    return target


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cause_file(rules, cause_id="extra_cause", ruleset="mini_extra"):
    """A cause ruleset file around the given rules (YAML text, already indented by 2)."""
    return f"""\
ruleset: {ruleset}
version: 1.0.0
kind: cause
title: Extra
cause: {{id: {cause_id}, name: Extra cause, explanation: An extra cause., sources: ["000"]}}
rules:
{rules}"""


def problems_of(directory):
    with pytest.raises(RulesetError) as info:
        load_catalogue([(directory, "test")])
    return info.value


def only_problem(exc, file_name, rule, field):
    """The problem naming this file, rule and field (the field may be a prefix, e.g. 'when')."""
    matches = [p for p in exc.problems
               if p.file.endswith(file_name) and p.rule == rule and p.field and p.field.startswith(field)]
    assert matches, f"no problem for {file_name}, rule {rule}, field {field}: {exc.problems}"
    text = str(exc)
    assert file_name in text and f"rule {rule}" in text and f"field {matches[0].field}" in text
    return matches[0]


def test_the_mini_fixture_loads(rules_dir):
    cat = load_catalogue([(rules_dir, "test")])
    assert set(cat.causes) == {"glutes_cause", "sitting_cause"}
    assert [lv.id for lv in cat.levels] == ["self_care", "see_professional", "urgent", "emergency"]
    # for_causes is shorthand for one rule per cause
    assert "mini_recs.bridge.for.sitting_cause" in {r.id for r in cat.rules}


@pytest.mark.parametrize("condition, field, message", [
    ("sitting >> 6", "when", "cannot read"),
    ("sitting >= lots", "when", "needs a number"),
    ("mood is one of []", "when", "'is one of' needs a list"),
    ("cramp is", "when", "cannot read condition"),
])
def test_wrong_condition_syntax_names_file_rule_and_field(rules_dir, condition, field, message):
    write(rules_dir / "causes" / "extra.yaml", cause_file(f"""\
  - id: extra.bad
    when: ["{condition}"]
    then: cause extra_cause
    strength: strong
    because: A bad condition.
    sources: ["000"]
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.bad", field)
    assert message in problem.message


@pytest.mark.parametrize("condition, message", [
    ("no_such_fact is true", "unknown fact 'no_such_fact'"),
    ("sitting >= 30", "outside the range of 'sitting'"),
    ("sitting < -1", "outside the range of 'sitting'"),
    ("mood is great", "'great' is not a value of 'mood'"),
    ("mood is one of [good, great]", "'great' is not a value of 'mood'"),
    ("places includes d", "'d' is not a value of 'places'"),
    ("cramp >= 3", "does not fit bool fact 'cramp'"),
    ("mood is true", "does not fit choice fact 'mood'"),
    ("finding nobody_concludes_this", "no rule concludes finding 'nobody_concludes_this'"),
])
def test_conditions_are_checked_against_the_facts(rules_dir, condition, message):
    write(rules_dir / "causes" / "extra.yaml", cause_file(f"""\
  - id: extra.bad
    when: ["{condition}"]
    then: cause extra_cause
    strength: supporting
    because: Checked against the facts.
    sources: ["000"]
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.bad", "when")
    assert message in problem.message


def test_missing_sources_are_named(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.unsourced
    when: [cramp is true]
    then: cause extra_cause
    strength: strong
    because: No source given.
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.unsourced", "sources")
    assert "Missing" in problem.message


@pytest.mark.parametrize("sources, message", [("[]", "Shorter than minimum"), ('["12"]', "three-digit")])
def test_empty_or_malformed_sources_are_named(rules_dir, sources, message):
    write(rules_dir / "causes" / "extra.yaml", cause_file(f"""\
  - id: extra.badsource
    when: [cramp is true]
    then: cause extra_cause
    strength: strong
    because: Bad source.
    sources: {sources}
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.badsource", "sources")
    assert message in problem.message


def test_a_cause_rule_needs_a_strength(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.weightless
    when: [cramp is true]
    then: cause extra_cause
    because: Forgot the strength.
    sources: ["000"]
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.weightless", "strength")
    assert "needs a strength" in problem.message


def test_an_unknown_strength_is_named(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.mighty
    when: [cramp is true]
    then: cause extra_cause
    strength: mighty
    because: Not a strength.
    sources: ["000"]
"""))
    only_problem(problems_of(rules_dir), "extra.yaml", "extra.mighty", "strength")


def test_only_cause_rules_carry_a_strength(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.finding
    when: [cramp is true]
    then: finding strong_finding
    strength: strong
    because: Findings are not weighed.
    sources: ["000"]
"""))
    only_problem(problems_of(rules_dir), "extra.yaml", "extra.finding", "strength")


def test_a_misspelt_rule_field_is_named(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.typo
    when: [cramp is true]
    then: cause extra_cause
    strength: strong
    becuase: Misspelt.
    sources: ["000"]
"""))
    exc = problems_of(rules_dir)
    only_problem(exc, "extra.yaml", "extra.typo", "becuase")
    only_problem(exc, "extra.yaml", "extra.typo", "because")  # and the real one is missing


def test_duplicate_rule_id_across_files(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: glutes.cramp
    when: [cramp is true]
    then: cause extra_cause
    strength: strong
    because: Same id as in glutes.yaml.
    sources: ["000"]
"""))
    exc = problems_of(rules_dir)
    dupes = [p for p in exc.problems if p.rule == "glutes.cramp" and "already defined" in p.message]
    assert len(dupes) == 1, exc.problems
    # names both files: the one that defines it again and the first
    named = dupes[0].file + " " + dupes[0].message
    assert "extra.yaml" in named and "glutes.yaml" in named


def test_duplicate_cause_and_fact_across_files(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.ok
    when: [cramp is true]
    then: cause glutes_cause
    strength: strong
    because: Defines glutes_cause a second time.
    sources: ["000"]
""", cause_id="glutes_cause"))
    write(rules_dir / "more_facts.yaml", """\
        ruleset: more_facts
        version: 1.0.0
        kind: facts
        title: More facts
        facts:
          - {name: cramp, type: bool, label: Cramp again, question: "Cramp again?"}
        """)
    messages = [str(p) for p in problems_of(rules_dir).problems]
    assert any("cause 'glutes_cause' is already defined" in m and "extra.yaml" in m for m in messages), messages
    assert any("fact 'cramp' is already defined" in m and "more_facts.yaml" in m for m in messages), messages


@pytest.mark.parametrize("condition, message", [
    ("cause sitting_cause", "only recommendation and avoid rules can read concluded causes"),
    ("triage is at least urgent", "only recommendation and avoid rules can read the triage level"),
])
def test_a_cause_rule_cannot_read_stratum_two(rules_dir, condition, message):
    write(rules_dir / "causes" / "extra.yaml", cause_file(f"""\
  - id: extra.circular
    when: ["{condition}"]
    then: cause extra_cause
    strength: supporting
    because: Reads what is concluded after it.
    sources: ["000"]
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.circular", "when")
    assert message in problem.message


def test_a_triage_rule_cannot_read_a_cause(rules_dir):
    path = rules_dir / "triage.yaml"
    path.write_text(path.read_text() + textwrap.indent(textwrap.dedent("""\
        - id: mini_triage.by_cause
          when: [cause glutes_cause]
          then: triage urgent
          because: Reads a cause.
          sources: ["002"]
        """), "  "), encoding="utf-8")
    problem = only_problem(problems_of(rules_dir), "triage.yaml", "mini_triage.by_cause", "when")
    assert "read concluded causes" in problem.message


def test_a_recommendation_rule_cannot_read_a_finding(rules_dir):
    path = rules_dir / "recommendations.yaml"
    path.write_text(path.read_text() + textwrap.indent(textwrap.dedent("""\
        - id: mini_recs.by_finding
          when: [finding long_sitting]
          then: recommend desk
          because: Reads a finding.
          sources: ["000"]
        """), "  "), encoding="utf-8")
    problem = only_problem(problems_of(rules_dir), "recommendations.yaml", "mini_recs.by_finding", "when")
    assert "not findings" in problem.message


@pytest.mark.parametrize("then, message", [
    ("recommend bridge", "a cause ruleset cannot conclude 'recommend'"),
    ("triage urgent", "a cause ruleset cannot conclude 'triage'"),
    ("cause sitting_cause", "may only give evidence for its own cause"),
    ("cause no_such_cause", "unknown cause 'no_such_cause'"),
    ("diagnose glutes", "cannot read conclusion"),
])
def test_conclusions_must_fit_the_file(rules_dir, then, message):
    strength = "    strength: strong\n" if then.startswith("cause") else ""
    write(rules_dir / "causes" / "extra.yaml", cause_file(f"""\
  - id: extra.wrong_then
    when: [cramp is true]
    then: {then}
{strength}    because: Concludes something this file may not.
    sources: ["000"]
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.wrong_then", "then")
    assert message in problem.message


def test_a_finding_cannot_depend_on_itself(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.loop
    when: [finding looping]
    then: finding looping
    because: Depends on itself.
    sources: ["000"]
"""))
    problem = only_problem(problems_of(rules_dir), "extra.yaml", "extra.loop", "when")
    assert "cannot depend on itself" in problem.message


def test_header_problems_name_the_file_and_field(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", """\
        ruleset: Mini-Extra
        version: one
        kind: cause
        title: Extra
        cause: {id: extra_cause, name: Extra, explanation: Extra., sources: ["000"]}
        """)
    exc = problems_of(rules_dir)
    fields = {p.field for p in exc.problems if p.file.endswith("extra.yaml")}
    assert {"ruleset", "version"} <= fields, exc.problems


def test_an_item_problem_names_the_item(rules_dir):
    path = rules_dir / "recommendations.yaml"
    text = path.read_text().replace("name: Squat, kind: exercise, intensity: vigorous,",
                                    "name: Squat, kind: exercise,")
    path.write_text(text, encoding="utf-8")
    exc = problems_of(rules_dir)
    problem = next(p for p in exc.problems if p.rule == "item squat")
    assert problem.file.endswith("recommendations.yaml") and problem.field == "intensity"


def test_not_yaml_names_the_file(rules_dir):
    write(rules_dir / "causes" / "broken.yaml", "ruleset: [unclosed\n")
    exc = problems_of(rules_dir)
    assert any(p.file.endswith("broken.yaml") and "not valid YAML" in p.message for p in exc.problems)


def test_every_problem_is_reported_at_once(rules_dir):
    write(rules_dir / "causes" / "extra.yaml", cause_file("""\
  - id: extra.one
    when: [cramp is true]
    then: cause extra_cause
    because: No strength.
    sources: ["000"]
  - id: extra.two
    when: ["sitting >= 99"]
    then: cause extra_cause
    strength: strong
    because: Out of range.
    sources: ["000"]
"""))
    write(rules_dir / "causes" / "other.yaml", cause_file("""\
  - id: other.one
    when: [cramp is true]
    then: cause other_cause
    strength: strong
    because: Fine, but no sources.
""", cause_id="other_cause", ruleset="mini_other"))
    rules = {p.rule for p in problems_of(rules_dir).problems}
    # file-level problems come first (the cross-file check of extra.two waits for them)
    assert {"extra.one", "other.one"} <= rules


def test_load_ruleset_file_checks_one_file_alone(tmp_path):
    path = write(tmp_path / "lonely.yaml", cause_file("""\
  - id: lonely.rule
    when: [whatever is true]
    then: cause extra_cause
    strength: strong
    because: Unknown facts are only found when the catalogue is built.
    sources: ["000"]
"""))
    doc = load_ruleset_file(path, "test")
    assert doc.info.id == "mini_extra" and [r.id for r in doc.rules] == ["lonely.rule"]


# ----------------------------------------------------------- the built-in catalogue


def test_builtin_catalogue_compiles_under_durable_rules_limits(builtin_catalogue):
    compiled = CompiledRules(builtin_catalogue)
    assert distinct_case_tests(compiled) <= 500
    assert not plan_shards(compiled).sharded  # the whole case goes as one fact, as it always has
    width = len(compiled.catalogue.facts) + sum(len(v) for v in compiled.list_items.values()) + 2
    assert width <= MAX_CASE_PROPERTIES


def test_builtin_rules_cite_seeds_that_exist(builtin_catalogue, shared_dir):
    seeds = {p.name[:3] for p in (shared_dir / "seeds").glob("*.txt")}
    assert seeds, "no seed files"
    cited = {s for r in builtin_catalogue.rules for s in r.sources}
    cited |= {s for c in builtin_catalogue.causes.values() for s in c.sources}
    cited |= {s for r in builtin_catalogue.recommendations.values() for s in r.sources}
    cited |= {s for a in builtin_catalogue.avoid.values() for s in a.sources}
    # the red-flag and policy rules rest on the product's own safety policy, not on a seed
    articles = {s for s in cited if builtin_catalogue.sources[s].kind == "article"}
    assert articles <= seeds, f"cited articles without a seed: {sorted(articles - seeds)}"
    assert cited - articles <= {"policy"}, "the only other source the built-ins cite is the product's policy"


def test_builtin_rulesets_have_versions_and_unique_ids(builtin_catalogue):
    ids = [r.id for r in builtin_catalogue.rulesets]
    assert len(ids) == len(set(ids))
    assert all(r.version.count(".") == 2 for r in builtin_catalogue.rulesets)
    kinds = {r.kind for r in builtin_catalogue.rulesets}
    assert {"facts", "cause", "triage", "recommendations", "avoid"} <= kinds
