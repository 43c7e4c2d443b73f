"""The source registry (``kind: sources`` rulesets): every cited source id is
registered, with its title and publisher, by the built-ins or a plugin."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import decision_core
from decision_core.catalogue import RulesetError, builtin_rulesets_dir, load_catalogue
from decision_core.cli import main as cli

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def only_builtins(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_PLUGINS", "")
    decision_core.reset()
    yield
    decision_core.reset()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the registry


def test_the_builtin_registry_lists_every_seed_and_the_policy(builtin_catalogue):
    registry = builtin_catalogue.sources
    assert set(registry) == {"000", "001", "002", "003", "004", "policy"}
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
    assert articles == {p.name[:3] for p in SEEDS.glob("[0-9][0-9][0-9]_*.txt")}


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
                      "ruleset": "sources", "plugin": "decision_core"}
