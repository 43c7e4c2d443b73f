"""decision-core lint: each kind of problem is reported once, with file, rule and
code; the installed catalogue and the example plugin lint clean (the
satisfiability check against brute force is in test_lint_reach.py)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import decision_core
from decision_core.installation import fresh_default_core
from decision_core.catalogue.loading import ruleset_files
from decision_core.cli.main import main as cli
from decision_core.engine.compiler import MAX_TESTS_PER_RULESET_NODE
from decision_core.lint.linter import lint_installed, lint_paths

from catalogue_support import mini_with_many_thresholds

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
PLUGIN_RULESETS = REPO / "plugins" / "hamstring-strength-deficit" / "hamstring_strength_deficit" / "rulesets"


@pytest.fixture(autouse=True)
def only_builtins(monkeypatch):
    # Lint against the built-ins alone, whatever else is installed.
    monkeypatch.setenv("DECISION_CORE_PLUGINS", "")
    with fresh_default_core():  # the process default, loaded under this test's environment
        yield


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


FACTS = """\
    ruleset: lint_facts
    version: 1.0.0
    kind: facts
    title: Facts
    facts:
      - {name: lint_minutes, type: number, min: 0, max: 90, label: Minutes, question: "How many minutes?"}
      - {name: lint_count, type: int, min: 0, max: 10, label: Count, question: "How many times?"}
      - {name: lint_mood, type: choice, values: [good, bad], label: Mood, question: "How is your mood?"}
      - {name: lint_flag, type: bool, label: Flag, question: "Is the flag up?", discriminates: [lint_weak]}
      - {name: lint_unused, type: bool, label: Unused, question: "Is this ever read?"}
    """

CAUSE = """\
    ruleset: lint_cause
    version: 1.0.0
    kind: cause
    title: A cause with unreachable rules
    sources: ["001"]
    cause: {id: lint_cause, name: Lint cause, explanation: For lint tests., sources: [{source: "001", quote: "fixture words"}]}
    rules:
      - id: lint_cause.fine
        when: [lint_flag is true]
        then: cause lint_cause
        strength: strong
        because: Fine.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.numbers_clash
        when: [lint_minutes >= 8, lint_minutes < 5]
        then: cause lint_cause
        strength: supporting
        because: Never.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.past_the_range
        when: [lint_minutes > 90]
        then: cause lint_cause
        strength: supporting
        because: Never.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.no_whole_number
        when: [lint_count > 2, lint_count < 3]
        then: cause lint_cause
        strength: supporting
        because: Never.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.choice_clash
        when: [lint_mood is good, lint_mood is not good]
        then: cause lint_cause
        strength: supporting
        because: Never.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.bool_clash
        when: [lint_flag is true, lint_flag is false]
        then: finding lint_ghost
        because: Never.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.reads_ghost
        when: [finding lint_ghost]
        then: cause lint_cause
        strength: supporting
        because: The ghost finding.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_cause.cites_more
        when: [lint_count >= 3]
        then: cause lint_cause
        strength: supporting
        because: Cites a source the header does not declare.
        sources: [{source: "002", quote: "fixture words"}]
    """

WEAK = """\
    ruleset: lint_weak
    version: 1.0.0
    kind: cause
    title: A cause that can never be listed
    cause: {id: lint_weak, name: Weak cause, explanation: Too little evidence., sources: [{source: "001", quote: "fixture words"}]}
    rules:
      - id: lint_weak.only_supporting
        when: [lint_count >= 5]
        then: cause lint_weak
        strength: supporting
        because: Not enough on its own.
        sources: [{source: "001", quote: "fixture words"}]
    """

LONELY = """\
    ruleset: lint_lonely
    version: 1.0.0
    kind: cause
    title: A cause nothing recommends for
    cause: {id: lint_lonely, name: Lonely cause, explanation: No advice., sources: [{source: "001", quote: "fixture words"}]}
    rules:
      - id: lint_lonely.strong
        when: [lint_mood is bad]
        then: cause lint_lonely
        strength: strong
        because: Bad mood.
        sources: [{source: "001", quote: "fixture words"}]
    """

RECS = """\
    ruleset: lint_recs
    version: 1.0.0
    kind: recommendations
    title: Recommendations
    items:
      - {id: lint_walk, name: Lint walk, kind: lifestyle, tags: [lifestyle], instructions: Walk., for_causes: [lint_cause, lint_weak], sources: [{source: "001", quote: "fixture words"}]}
      - {id: lint_sprint, name: Lint sprint, kind: exercise, tags: [exercise], intensity: vigorous, instructions: Sprint., sources: [{source: "001", quote: "fixture words"}]}
      - {id: lint_clash, name: Lint clash, kind: lifestyle, tags: [lifestyle], instructions: Clash., not_with_causes: [lint_cause], sources: [{source: "001", quote: "fixture words"}]}
      - {id: lint_never, name: Never recommended, kind: lifestyle, tags: [lifestyle], instructions: Nothing., sources: [{source: "001", quote: "fixture words"}]}
      - id: hamstring_curl
        name: Hamstring curl
        kind: exercise
        tags: [exercise, strengthening]
        intensity: moderate
        dose: {sets: 5, reps: "20", sources: [{source: "001", quote: "fixture words"}]}
        instructions: A second dose for the core's item.
        sources: [{source: "001", quote: "fixture words"}]
    rules:
      - id: lint_recs.sprint_when_urgent
        when: [cause lint_cause, triage is at least urgent]
        then: recommend lint_sprint
        because: Always withheld at urgent and above.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_recs.clash
        when: [cause lint_cause]
        then: recommend lint_clash
        because: Needs the cause that withholds it.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_recs.triage_clash
        when: [cause lint_cause, triage is at least urgent, triage is below see_professional]
        then: recommend lint_walk
        because: Never.
        sources: [{source: "001", quote: "fixture words"}]
      - id: lint_recs.unknown_fact
        when: [cause lint_cause, lint_no_such_fact is true]
        then: recommend lint_walk
        because: Reads a fact nobody declares.
        sources: [{source: "001", quote: "fixture words"}]
    """

NO_SOURCES = """\
    ruleset: lint_avoid
    version: 1.0.0
    kind: avoid
    title: Avoid
    items:
      - {id: lint_avoid_item, name: Avoid it, why: Because., sources: [{source: "001", quote: "fixture words"}]}
    rules:
      - id: lint_avoid.unsourced
        when: [cause lint_cause]
        then: avoid lint_avoid_item
        because: No source given.
    """


@pytest.fixture
def defects(tmp_path):
    folder = tmp_path / "defects"
    for name, text in [("facts.yaml", FACTS), ("cause.yaml", CAUSE), ("weak.yaml", WEAK), ("lonely.yaml", LONELY),
                       ("recs.yaml", RECS), ("avoid.yaml", NO_SOURCES)]:
        write(folder, name, text)
    return folder


def found(report) -> set[tuple[str, str, str | None]]:
    return {(i.severity, i.code, i.rule) for i in report.issues}


def test_every_kind_of_problem_is_reported_with_its_rule(defects):
    report = lint_paths([defects])
    assert not report.ok()
    expected = {
        ("error", "unreachable_rule", "lint_cause.numbers_clash"),
        ("error", "unreachable_rule", "lint_cause.past_the_range"),
        ("error", "unreachable_rule", "lint_cause.no_whole_number"),
        ("error", "unreachable_rule", "lint_cause.choice_clash"),
        ("error", "unreachable_rule", "lint_cause.bool_clash"),
        ("error", "unreachable_rule", "lint_cause.reads_ghost"),
        ("error", "cause_never_listed", "cause lint_weak"),
        ("error", "unreachable_rule", "item lint_walk"),  # its for_causes rule for lint_weak
        ("error", "cause_without_recommendations", "cause lint_lonely"),
        ("error", "always_withheld", "lint_recs.sprint_when_urgent"),
        ("error", "always_withheld", "lint_recs.clash"),
        ("error", "unreachable_rule", "lint_recs.triage_clash"),
        ("error", "unknown_fact", "lint_recs.unknown_fact"),
        ("error", "conflicting_dose", "item hamstring_curl"),
        ("error", "exercise_without_dose", "item lint_sprint"),  # no full dose for a programme (lint_programme)
        ("error", "missing_sources", "lint_avoid.unsourced"),
        ("warning", "undeclared_source", "lint_cause.cites_more"),
        ("warning", "unused_fact", "fact lint_unused"),
        ("warning", "discriminates_mismatch", "fact lint_flag"),
        ("warning", "unused_recommendation", "item lint_never"),
        ("warning", "no_figure", "item lint_sprint"),  # an exercise without a picture (lint.figures)
    }
    assert found(report) == expected, "\n" + report.text()
    by_rule = {i.rule: i for i in report.issues}
    assert by_rule["lint_cause.numbers_clash"].message == \
        "can never fire: 'lint_minutes >= 8', 'lint_minutes < 5' can never hold together ('lint_minutes' is 0 to 90)"
    assert "'lint_minutes > 90' never holds ('lint_minutes' is 0 to 90)" in by_rule["lint_cause.past_the_range"].message
    assert "finding 'lint_ghost'" in by_rule["lint_cause.reads_ghost"].message
    assert "at most 1, below its threshold 3" in by_rule["cause lint_weak"].message
    assert by_rule["item lint_walk"].field == "for_causes" and "'lint_weak'" in by_rule["item lint_walk"].message
    dose = by_rule["item hamstring_curl"]
    assert dose.file.endswith("recs.yaml") and "'5 sets, 20 reps' here and '3 sets, 10\u201312 reps, twice a week'" in dose.message
    assert "recommendations.yaml (plugin decision_core)" in dose.message
    assert all(i.file and i.file.endswith(".yaml") for i in report.issues)


def test_the_cli_exits_non_zero_on_errors_and_reports_json(defects):
    out = CliRunner().invoke(cli, ["lint", str(defects)])
    assert out.exit_code == 1
    assert "weak.yaml, cause lint_weak: error [cause_never_listed]" in out.output
    assert out.output.rstrip().endswith("16 error(s), 5 warning(s)")
    data = json.loads(CliRunner().invoke(cli, ["lint", "--json", str(defects)]).output)
    assert (data["ok"], data["errors"], data["warnings"]) == (False, 16, 5)
    assert {"severity", "code", "message", "file", "rule", "field", "plugin"} == set(data["issues"][0])


def test_warnings_alone_pass_unless_strict(tmp_path):
    folder = tmp_path / "ok"
    write(folder, "facts.yaml", FACTS.replace(", discriminates: [lint_weak]", ""))
    write(folder, "cause.yaml", LONELY)
    write(folder, "recs.yaml", """\
        ruleset: lint_recs
        version: 1.0.0
        kind: recommendations
        title: Recs
        items:
          - {id: lint_walk, name: Lint walk, kind: lifestyle, tags: [lifestyle], instructions: Walk., for_causes: [lint_lonely], sources: [{source: "001", quote: "fixture words"}]}
        """)
    assert CliRunner().invoke(cli, ["lint", str(folder)]).exit_code == 0  # unused facts are warnings
    assert CliRunner().invoke(cli, ["lint", "--strict", str(folder)]).exit_code == 1


def test_the_installed_catalogue_and_the_example_plugin_lint_without_errors():
    report = lint_installed()
    assert report.errors == [], report.text()
    assert report.stats["distinct_case_tests"] <= MAX_TESTS_PER_RULESET_NODE
    plugin = lint_paths([PLUGIN_RULESETS])
    assert plugin.ok(strict=True), plugin.text()
    assert plugin.stats["causes"] == 1 and plugin.stats["rules"] == 11


def test_a_standalone_catalogue_is_linted_alone(tmp_path):
    report = lint_paths([MINI])  # it has its own triage levels
    assert report.errors == [], report.text()
    assert report.stats["rulesets"] == len(ruleset_files(MINI))


def test_malformed_files_are_all_reported_and_the_rest_still_checked(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    write(folder, "broken.yaml", "ruleset: broken\nversion: 1\nkind: nonsense\n")
    write(folder, "notyaml.yaml", "rules: [unclosed\n")
    report = lint_paths([folder])
    files = {Path(i.file).name for i in report.errors}
    assert {"broken.yaml", "notyaml.yaml"} <= files
    broken = {i.field for i in report.errors if i.file.endswith("broken.yaml")}
    assert {"version", "kind", "title"} <= broken


def test_a_catalogue_past_durable_rules_limits_is_sharded_not_refused(tmp_path):
    folder = tmp_path / "mini"
    mini_with_many_thresholds(folder)
    facts = "".join(f"\n  - {{name: extra_{i}, type: bool, label: Extra, question: 'Extra fact {i}?'}}"
                    for i in range(240))
    (folder / "more_facts.yaml").write_text(
        "ruleset: more_facts\nversion: 1.0.0\nkind: facts\ntitle: More\nfacts:" + facts, encoding="utf-8")
    report = lint_paths([folder])
    assert not [i for i in report.errors if i.code == "engine_limit"], report.text()
    expected = lint_paths([MINI]).stats["distinct_case_tests"] + MAX_TESTS_PER_RULESET_NODE + 5
    assert report.stats["distinct_case_tests"] == expected and report.stats["case_properties"] > 240
    # 505 thresholds on one number all pass at once for a large value: one fact cannot carry them
    assert report.stats["case_shards"] > MAX_TESTS_PER_RULESET_NODE // 56
    assert lint_paths([MINI]).stats["case_shards"] == 1


def test_a_catalogue_no_shard_plan_can_run_is_an_error(monkeypatch):
    from decision_core.engine import shards
    monkeypatch.setattr(shards, "MAX_ENGINE_RULES", 3)  # durable-rules takes 4096 rules a ruleset
    report = lint_paths([MINI])
    limits = [i for i in report.errors if i.code == "engine_limit"]
    assert len(limits) == 1 and "4096" in limits[0].message


def test_engine_limits_are_counted_where_durable_rules_does_not_import():
    code = ("import sys; sys.modules['durable'] = None; from decision_core.lint.linter import lint_paths\n"  # as on 3.13
            f"s = lint_paths([{str(MINI)!r}]).stats; print(s['case_shards'], s['distinct_case_tests'], s['case_properties'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["1", "6", "8"], done.stderr


def test_an_error_is_reported_once_not_again_as_its_consequences(tmp_path):
    folder = tmp_path / "typo"
    write(folder, "facts.yaml", FACTS.replace(", discriminates: [lint_weak]", ""))
    write(folder, "cause.yaml", LONELY.replace("lint_mood is bad", "lint_mod is bad"))
    write(folder, "recs.yaml", """\
        ruleset: lint_recs
        version: 1.0.0
        kind: recommendations
        title: Recs
        items:
          - {id: lint_walk, name: Lint walk, kind: lifestyle, tags: [lifestyle], instructions: Walk., for_causes: [lint_lonely], sources: [{source: "001", quote: "fixture words"}]}
        """)
    report = lint_paths([folder])
    # not also "cause never listed", nor "unreachable" for the item recommended for it
    assert [(i.code, i.rule) for i in report.errors] == [("unknown_fact", "lint_lonely.strong")]


def test_linting_the_installed_catalogue_covers_installed_plugins(tmp_path, monkeypatch):
    from decision_core.testing import installed_plugin

    monkeypatch.delenv("DECISION_CORE_PLUGINS")
    broken = tmp_path / "src" / "broken_rules"
    write(broken / "rulesets", "cause.yaml", LONELY)  # reads lint_mood, which nobody declares
    write(broken, "__init__.py", """\
        from pathlib import Path
        from decision_core.hookspecs import hookimpl

        @hookimpl
        def register_rulesets(register):
            register(Path(__file__).parent / "rulesets")
        """)
    raiser = tmp_path / "src" / "raiser_plugin"
    write(raiser, "__init__.py", """\
        from decision_core.hookspecs import hookimpl

        @hookimpl
        def register_rulesets(register):
            raise OSError("disk on fire")
        """)
    with installed_plugin("broken_rules", source_dir=tmp_path / "src"), installed_plugin("raiser_plugin"):
        report = lint_installed()
    issues = {(i.code, i.plugin, i.rule) for i in report.errors}
    assert ("unknown_fact", "broken_rules", "lint_lonely.strong") in issues
    failed = [i for i in report.errors if i.code == "plugin_failed"]
    assert [i.plugin for i in failed] == ["raiser_plugin"] and "OSError: disk on fire" in failed[0].message


def test_items_the_safety_policy_cannot_classify_are_errors(tmp_path):
    folder = tmp_path / "untagged"
    write(folder, "facts.yaml", FACTS.replace(", discriminates: [lint_weak]", ""))
    write(folder, "cause.yaml", LONELY)
    write(folder, "recs.yaml", """\
        ruleset: lint_recs
        version: 1.0.0
        kind: recommendations
        title: Recs
        items:
          - {id: lint_walk, name: Lint walk, kind: lifestyle, instructions: Walk., for_causes: [lint_lonely], sources: ["001"]}
          - {id: lint_hop, name: Lint hop, kind: exercise, intensity: gentle, tags: [hopping], instructions: Hop., for_causes: [lint_lonely], sources: ["001"]}
        """)
    report = lint_paths([folder])
    found = {(i.code, i.rule, i.field) for i in report.errors}
    assert ("item_without_tags", "item lint_walk", "tags") in found
    assert ("unclassified_item", "item lint_hop", "tags") in found
    assert "hopping" in next(i.message for i in report.errors if i.code == "unclassified_item")
