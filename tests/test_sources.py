"""The source registry (``kind: sources`` rulesets) and the citation checks of
``decision-core lint``: unknown source ids are rejected, articles are cited with
a quote, and ``--sources DIR`` finds every quote in its source's text.

The source texts here are small fixtures written in a tmp folder; the one test
that reads the real articles takes them from ../shared/seeds and skips when
that folder is absent (the articles are never copied into the repository)."""
from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import decision_core
from decision_core.installation import fresh_default_core
from decision_core.catalogue.loading import RulesetError, builtin_rulesets_dir, load_catalogue
from decision_core.cli.main import main as cli
from decision_core.lint.linter import lint_installed, lint_paths
from decision_core.lint.sources import load_source_texts, normalise

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
SEEDS = REPO.parent / "shared" / "seeds"
PLUGIN_RULESETS = REPO / "plugins" / "hamstring-strength-deficit" / "hamstring_strength_deficit" / "rulesets"


@pytest.fixture(autouse=True)
def only_builtins(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_PLUGINS", "")
    with fresh_default_core():  # the process default, loaded under this test's environment
        yield


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def texts(tmp_path):
    """Two small source texts with typographic quotes, dashes and odd whitespace."""
    folder = tmp_path / "texts"
    write(folder, "000_fixture.txt", "Your Butt is Asleep\n\n\u201cUnderactive glutes may lead to over\u2013active "
                                     "hamstrings,\u201d says a chiropractor.\nIt\u2019s  a   long\tday of sitting.\n")
    write(folder, "001_fixture.txt", "Apply ice packs several times a day to relieve pain.\n")
    write(folder, "notes.txt", "Not a source text: no three-digit prefix.\n")
    return folder


CITING = """\
    ruleset: cite_check
    version: 1.0.0
    kind: cause
    title: Citations to check
    sources: ["000", "001", "003", policy]
    cause:
      id: cite_check
      name: Cite check
      explanation: For citation tests.
      sources: [{source: "000", quote: "underactive glutes may lead to over-active hamstrings"}]
    rules:
      - id: cite_check.typographic
        when: [glute_bridge_hamstring_cramp is true]
        then: cause cite_check
        strength: strong
        because: Quoted with straight quotes, a hyphen, other case and other spacing.
        sources: [{source: "000", quote: "\\"UNDERACTIVE glutes may lead to over-active hamstrings,\\" says"}, {source: "000", quote: "It's a long day"}]
      - id: cite_check.not_there
        when: [single_leg_bridge_weak is true]
        then: cause cite_check
        strength: supporting
        because: A quote the text does not have.
        sources: [{source: "001", quote: "apply heat several times a day"}]
      - id: cite_check.unquoted
        when: [sitting_hours_per_day >= 8]
        then: cause cite_check
        strength: supporting
        because: An article cited without a quote.
        sources: ["000"]
      - id: cite_check.no_text
        when: [sitting_hours_per_day >= 10]
        then: cause cite_check
        strength: supporting
        because: Quotes an article whose text is not in the folder.
        sources: [{source: "003", quote: "anything at all"}]
      - id: cite_check.policy
        when: [sitting_hours_per_day >= 12]
        then: cause cite_check
        strength: supporting
        because: The product's own policy needs no quote.
        sources: [policy]
    """

ITEMS = """\
    ruleset: cite_check_recs
    version: 1.0.0
    kind: recommendations
    title: Items citing
    items:
      - id: cite_walk
        name: Cite walk
        kind: lifestyle
        instructions: Walk.
        for_causes: [cite_check]
        sources: ["001"]
      - id: cite_ice
        name: Cite ice
        kind: self_care
        instructions: Ice.
        for_causes: [cite_check]
        sources: [{source: "001", quote: "apply  ICE packs several times a day"}]
    """


def codes(report) -> set[tuple[str, str | None]]:
    return {(i.code, i.rule) for i in report.errors}


# ------------------------------------------------------------------ the registry


def test_the_builtin_registry_lists_every_seed_and_the_policy(builtin_catalogue):
    registry = builtin_catalogue.sources
    # the seeds, the safety policy and the product's default starting doses (the programme's dose table)
    assert set(registry) == {"000", "001", "002", "003", "004", "policy", "defaults"}
    assert not registry["defaults"].quotes_required
    assert {s.kind for s in registry.values()} == {"article", "policy"}
    assert all(s.quotes_required for s in registry.values() if s.kind == "article")
    assert not registry["policy"].quotes_required
    assert registry["policy"].title == "Safety policy of this product (domain contract §2a)"
    assert registry["000"].publisher == "Aaptiv Magazine"
    assert all(s.title and s.publisher and s.description and s.origin == "decision_core" for s in registry.values())
    assert "shop's blog (London)" not in " ".join(s.publisher for s in registry.values())


def test_every_registered_article_has_a_seed_text(builtin_catalogue):
    if not SEEDS.is_dir():
        pytest.skip(f"no seed articles at {SEEDS}")
    articles = {s.id for s in builtin_catalogue.sources.values() if s.kind == "article"}
    assert articles == set(load_source_texts(SEEDS))


def test_an_unregistered_source_is_rejected_naming_file_rule_and_field(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    write(folder, "causes/extra.yaml", """\
        ruleset: mini_extra
        version: 1.0.0
        kind: cause
        title: Extra
        cause: {id: extra_cause, name: Extra, explanation: Extra., sources: [nowhere]}
        rules:
          - id: extra.one
            when: [cramp is true]
            then: cause extra_cause
            strength: strong
            because: Cites an article no ruleset registers.
            sources: [{source: "009", quote: "a few words"}]
        """)
    with pytest.raises(RulesetError) as info:
        load_catalogue([(folder, "test")])
    found = {(p.rule, p.field, p.message.split(":")[0]) for p in info.value.problems}
    assert found == {("cause extra_cause", "sources", "unknown source 'nowhere'"),
                     ("extra.one", "sources", "unknown source '009'")}
    text = str(info.value)
    assert "extra.yaml (plugin test), rule extra.one, field sources: unknown source '009'" in text
    assert "registered: 000, 002, 004, policy" in text


def test_a_policy_line_citing_an_unregistered_source_is_rejected(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    policy = folder / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('says: No exercise until seen.\n    sources: ["002"]',
                                   'says: No exercise until seen.\n    sources: [house_rules]'), encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        load_catalogue([(folder, "test")])
    (problem,) = info.value.problems
    assert (problem.rule, problem.field) == ("mini_policy.urgent", "sources")
    assert problem.message.startswith("unknown source 'house_rules'")


def test_a_plugin_registers_its_own_sources_and_cites_them(tmp_path):
    folder = tmp_path / "plugin"
    write(folder, "sources.yaml", """\
        ruleset: extra_sources
        version: 1.0.0
        kind: sources
        title: Extra sources
        entries:
          - {id: extra_guideline, title: A guideline, publisher: A society, kind: article, description: For a test.}
        """)
    write(folder, "avoid.yaml", """\
        ruleset: extra_avoid
        version: 1.0.0
        kind: avoid
        title: Extra avoid
        items:
          - id: extra_item
            name: Extra item
            why: Both registries are cited.
            sources: [{source: extra_guideline, quote: "some words"}, {source: "000", quote: "more words"}]
        """)
    catalogue = load_catalogue([(builtin_rulesets_dir(), "decision_core"), (folder, "extra-plugin")])
    source = catalogue.sources["extra_guideline"]
    assert (source.ruleset, source.origin, source.quotes_required) == ("extra_sources", "extra-plugin", True)
    assert catalogue.avoid["extra_item"].sources == ("extra_guideline", "000")


def test_a_source_id_registered_twice_is_a_duplicate(tmp_path):
    folder = tmp_path / "plugin"
    write(folder, "sources.yaml", """\
        ruleset: extra_sources
        version: 1.0.0
        kind: sources
        title: Extra sources
        entries:
          - {id: "000", title: Another 000, publisher: Someone, kind: article, description: A clash.}
        """)
    with pytest.raises(RulesetError) as info:
        load_catalogue([(builtin_rulesets_dir(), "decision_core"), (folder, "extra-plugin")])
    assert "source '000' is already defined by" in str(info.value)


def test_a_malformed_source_entry_is_named(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    write(folder, "more_sources.yaml", """\
        ruleset: more_sources
        version: 1.0.0
        kind: sources
        title: More
        entries:
          - {id: book, title: A book, publisher: Someone, kind: book, description: Not a kind.}
        """)
    with pytest.raises(RulesetError) as info:
        load_catalogue([(folder, "test")])
    (problem,) = info.value.problems
    assert (problem.rule, problem.field) == ("source book", "kind")


# ------------------------------------------------------------------ lint


def test_normalise_ignores_whitespace_case_and_typography():
    assert normalise("It\u2019s  \u201cFINE\u201d \u2013 ok\u2026\n") == normalise("it's \"fine\" - ok...")
    assert normalise("over\u2014active") == normalise("over-active")
    assert normalise("a b") != normalise("a c")


def test_lint_checks_every_quote_against_the_source_texts(tmp_path, texts):
    folder = tmp_path / "rules"
    write(folder, "cause.yaml", CITING)
    write(folder, "recs.yaml", ITEMS)
    report = lint_paths([folder], sources_dir=texts)
    assert {(c, r) for c, r in codes(report) if c in ("missing_quote", "quote_not_found", "source_text_missing")} == {
        ("missing_quote", "cite_check.unquoted"),
        ("missing_quote", "item cite_walk"),
        ("quote_not_found", "cite_check.not_there"),
        ("source_text_missing", "cite_check.no_text"),
    }
    (missing,) = [i for i in report.errors if i.code == "quote_not_found"]
    assert missing.file.endswith("cause.yaml") and missing.field == "sources"
    assert "source 001 (001_fixture.txt)" in missing.message and "apply heat" in missing.message
    assert str(missing).startswith(missing.file + ", rule cite_check.not_there, field sources: error [quote_not_found]")
    assert report.stats["quotes_checked"] == 5  # the cause's, the typographic rule's two, not_there's, the ice item's
    assert "5 quotes checked against the source texts in" in report.text()


def test_without_sources_only_missing_quotes_are_reported(tmp_path):
    folder = tmp_path / "rules"
    write(folder, "cause.yaml", CITING)
    write(folder, "recs.yaml", ITEMS)
    report = lint_paths([folder])
    cited = {(c, r) for c, r in codes(report) if c in ("missing_quote", "quote_not_found", "source_text_missing")}
    assert cited == {("missing_quote", "cite_check.unquoted"), ("missing_quote", "item cite_walk")}
    assert "quotes_checked" not in report.stats


def test_lint_reports_an_unregistered_source(tmp_path):
    folder = tmp_path / "rules"
    write(folder, "cause.yaml", CITING.replace("sources: [policy]", "sources: [no_such_source]"))
    report = lint_paths([folder])
    (unknown,) = [i for i in report.errors if i.code == "unknown_source"]
    assert unknown.rule == "cite_check.policy" and unknown.field == "sources"
    assert "unknown source 'no_such_source'" in unknown.message
    assert not [i for i in report.issues if i.code == "checks_skipped"]  # the rest is still checked


def test_the_lint_command_takes_a_sources_folder(tmp_path, texts):
    folder = tmp_path / "rules"
    write(folder, "cause.yaml", CITING)
    write(folder, "recs.yaml", ITEMS)
    done = CliRunner().invoke(cli, ["lint", "--sources", str(texts), str(folder)])
    assert done.exit_code == 1
    assert "[quote_not_found]" in done.output and "[missing_quote]" in done.output
    out = json.loads(CliRunner().invoke(cli, ["lint", "--json", "--sources", str(texts), str(folder)]).output)
    assert out["ok"] is False and out["stats"]["quotes_checked"] == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    done = CliRunner().invoke(cli, ["lint", "--sources", str(empty), str(folder)])
    assert done.exit_code != 0 and "no source texts named NNN_*.txt" in done.output


@pytest.mark.skipif(not SEEDS.is_dir(), reason="no seed articles at ../shared/seeds")
def test_every_builtin_and_plugin_quote_is_in_its_seed():
    report = lint_installed(sources_dir=SEEDS)
    assert report.errors == [], report.text()
    assert report.stats["quotes_checked"] > 100
    plugin = lint_paths([PLUGIN_RULESETS], sources_dir=SEEDS)
    assert plugin.errors == [], plugin.text()
    assert plugin.stats["quotes_checked"] > 0


def test_no_source_text_is_kept_in_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    if not files:
        pytest.skip("not a git checkout")
    assert not [f for f in files if Path(f).suffix == ".txt" and Path(f).name[:4].rstrip("_").isdigit()]


# ------------------------------------------------------------------ listing


def test_the_sources_command_lists_the_registry(builtin_catalogue):
    done = CliRunner().invoke(cli, ["sources"])
    assert done.exit_code == 0, done.output
    for source in builtin_catalogue.sources.values():
        assert source.title in done.output and source.publisher in done.output
    rows = json.loads(CliRunner().invoke(cli, ["sources", "--json"]).output)
    assert [r["id"] for r in rows] == list(builtin_catalogue.sources)
    policy = next(r for r in rows if r["id"] == "policy")
    assert policy == {"id": "policy", "title": "Safety policy of this product (domain contract §2a)",
                      "publisher": builtin_catalogue.sources["policy"].publisher, "kind": "policy",
                      "description": builtin_catalogue.sources["policy"].description, "quotes_required": False,
                      "ruleset": "sources", "plugin": "decision_core", "author": None,
                      "patient_title": builtin_catalogue.sources["policy"].patient_title}
