"""Plugin loading: entry points, laziness, DECISION_CORE_PLUGINS, strict and default
modes, faults (import, hook raising, invalid ruleset, misspelled hook) and
collisions, each failing clearly and naming the plugin(s) and where.

The plugins are real packages under tests/plugins/. Most tests give them to an installation as
they are (tests/plugin_support.load_with: DecisionCore.load(plugins=...)); the tests of installing
itself (entry points, DECISION_CORE_PLUGINS, import failures and time limits, the process default)
"install" them without pip: decision_core.testing.installed_plugin puts a temporary *.dist-info
folder with an entry_points.txt on sys.path. Each test loads its own DecisionCore.
"""
from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner

import decision_core
from decision_core.installation import DecisionCore, default_core
from decision_core.catalogue.loading import BUILTIN_ORIGIN, CatalogueBuilder
from decision_core.cli.main import main as cli
from decision_core.intake import InvalidFacts
from decision_core.plugins.registry import PluginError
from decision_core.testing import installed_plugin
from plugin_support import load_with, plugin_modules

REPO = Path(__file__).resolve().parent.parent
HAMSTRING_PLUGIN = REPO / "plugins" / "hamstring-strength-deficit"
PLUGINS = REPO / "tests" / "plugins"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("DECISION_CORE_PLUGINS", raising=False)
    monkeypatch.delenv("DECISION_CORE_STRICT", raising=False)


def installed(name: str, target: str | None = None, **kw):
    """Plugin ``name`` (entry point ``name = target``, default ``name``) from tests/plugins, installed."""
    return installed_plugin(name, target, source_dir=PLUGINS, **kw)


def line_of(plugin: str, text: str) -> int:
    """The line of ``text`` in tests/plugins/<plugin>/__init__.py."""
    lines = (PLUGINS / plugin / "__init__.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def plugin(core: DecisionCore, name: str):
    info = core.plugin(name)
    assert info is not None, f"{name} not in {[p.name for p in core.plugins]}"
    return info


# ------------------------------------------------------------------ loading


def test_importing_the_package_loads_nothing():
    code = ("import sys, decision_core, decision_core.installation as app; "
            "print(app._default is None, 'durable' in sys.modules, 'decision_core.plugins.builtin' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False"]


def test_the_process_default_loads_lazily_and_once(tmp_path, monkeypatch):
    marker = tmp_path / "calls.txt"
    monkeypatch.setenv("LAZY_PLUGIN_MARKER", str(marker))
    with installed("lazy"):
        assert not marker.exists()  # installed, not loaded
        first = default_core()
        assert marker.read_text().split() == ["import", "hook"]
        assert default_core() is first
        decision_core.evaluate({}, engine="plain")
        assert marker.read_text().split() == ["import", "hook"]
        assert plugin(first, "lazy").status == "ok"
    assert default_core() is not first  # the default from before the plugin comes back


def test_builtins_come_in_through_the_same_hooks():
    core = DecisionCore.load()
    info = plugin(core, "decision_core.plugins.builtin")
    assert info.builtin and info.status == "ok"
    assert {"register_rulesets", "register_commands"} <= set(info.hooks)
    assert {"plugins", "lint"} <= set(info.registered["commands"])
    assert set(info.registered["causes"]) == {c.id for c in core.catalogue.causes.values()
                                              if c.ruleset in info.registered["rulesets"]}
    assert {r.origin for r in core.catalogue.rulesets if r.id in info.registered["rulesets"]} == {BUILTIN_ORIGIN}


def test_the_evaluators_share_the_registry_s_compiled_rules():
    core = DecisionCore.load()
    assert core.evaluator("plain").compiled is core.registry.compiled is core.evaluator("durable").compiled
    assert core.evaluator("plain") is core.evaluator("plain")


def test_the_catalogue_is_built_once_unless_a_plugin_breaks_it(monkeypatch):
    builds = []
    monkeypatch.setattr(CatalogueBuilder, "build", lambda self, _build=CatalogueBuilder.build: builds.append(1) or _build(self))
    load_with("good", "facty")
    assert len(builds) == 1
    # usurper breaks it: then plugin by plugin, to name it
    assert load_with("good", "facty", "usurper").plugin("usurper").status == "failed" and len(builds) > 2


def test_a_plugin_adds_its_cause_to_evaluations():
    facts = {"good_fact": True}
    with pytest.raises(InvalidFacts) as before:
        DecisionCore.load().evaluate(facts, engine="plain")
    assert "good_fact" in before.value.errors
    core = load_with("good")
    result = core.evaluate(facts, engine="plain").to_dict()
    assert [c["id"] for c in result["causes"]] == ["good_cause"]
    assert "good_rec" in [r["id"] for r in result["recommendations"]]
    assert {"id": "good_cause", "version": "2.1.0", "kind": "cause", "plugin": "good"} in result["rulesets"]
    info = plugin(core, "good")
    assert (info.builtin, info.hooks) == (False, ["register_rulesets"])
    assert info.registered["causes"] == ["good_cause"] and info.registered["facts"] == ["good_fact"]
    assert [p.name for p in core.plugins if not p.builtin] == ["good"]  # exactly the given ones
    with pytest.raises(InvalidFacts):
        DecisionCore.load().evaluate(facts, engine="plain")


def test_an_installed_plugin_is_found_with_its_distribution_and_the_default_sees_it():
    facts = {"good_fact": True}
    with installed("good"):
        info = plugin(DecisionCore.load(), "good")
        assert (info.version, info.distribution, info.hooks) == ("1.0.0", "good", ["register_rulesets"])
        assert decision_core.evaluate(facts, engine="plain").cause_ids == ["good_cause"]  # the default sees it too
    with pytest.raises(InvalidFacts):
        decision_core.evaluate(facts, engine="plain")


def test_given_plugins_may_be_named_and_the_installed_ones_are_left_out():
    with installed("facty"):
        with plugin_modules("good") as (good,):
            core = DecisionCore.load(plugins={"mine": good})
        assert plugin(core, "mine").registered["causes"] == ["good_cause"]
        assert core.plugin("facty") is None and core.plugin("good") is None
        assert {p.name for p in core.plugins if p.builtin} == {p.name for p in DecisionCore.load().plugins if p.builtin}


def test_the_hamstring_plugin_changes_an_evaluation_in_process():
    facts = {"quads_stronger_than_hamstrings": True, "strength_training_focus": "quads"}
    before = DecisionCore.load().evaluate(facts, engine="plain").to_dict()
    with installed_plugin("hamstring_strength_deficit", source_dir=HAMSTRING_PLUGIN):
        with_plugin = DecisionCore.load().evaluate(dict(facts, hamstring_strength_tested_weak=True), engine="durable")
        assert "hamstring_strength_deficit" in with_plugin.cause_ids
        assert "hamstring_curl" in with_plugin.recommendation_ids
        assert "quad_only_strength_sessions" in [a.id for a in with_plugin.avoid]
    assert DecisionCore.load().evaluate(facts, engine="plain").to_dict() == before


def test_registered_facts_are_validated_like_file_facts_and_keep_discriminates():
    core = load_with("facty")
    fact = core.catalogue.facts["extra_minutes"]
    assert fact.discriminates == ("facty_cause",) and fact.to_dict()["discriminates"] == ["facty_cause"]
    assert "extra_minutes" in plugin(core, "facty").registered["facts"]
    assert core.evaluate({"extra_minutes": 75}, engine="plain").cause_ids == ["facty_cause"]
    with pytest.raises(InvalidFacts) as exc:
        core.evaluate({"extra_minutes": 91}, engine="plain")
    assert "extra_minutes" in exc.value.errors


def test_formats_and_commands_are_registered_and_reachable_from_the_cli():
    core = load_with("extras")
    fmt = core.formats["causes-line"]
    assert (fmt.media_type, fmt.extension, fmt.plugin, fmt.binary) == ("text/plain", "txt", "extras", False)
    assert fmt.render({"causes": [{"id": "a"}, {"id": "b"}]}) == "causes: a,b"
    out = CliRunner().invoke(cli, ["hello-plugin"], obj=core)
    assert (out.exit_code, out.output) == (0, "hello from a plugin\n")
    assert plugin(core, "extras").registered == {"formats": ["causes-line"], "commands": ["hello-plugin"]}
    assert "hello-plugin" not in CliRunner().invoke(cli, ["--help"], obj=DecisionCore.load()).output


# ----------------------------------------------- DECISION_CORE_PLUGINS


@pytest.mark.parametrize("allowed, loads", [
    (None, True), ("", False), ("gated", True), ("gated-dist", True), ("other_thing", False), (" gated , x ", True),
])
def test_the_environment_variable_restricts_installed_plugins(monkeypatch, allowed, loads):
    if allowed is not None:
        monkeypatch.setenv("DECISION_CORE_PLUGINS", allowed)
    with installed("gated", "good", distribution="gated-dist"):
        core = DecisionCore.load()
        assert plugin(core, "gated").status == ("ok" if loads else "disabled")
        assert ("good_cause" in core.catalogue.causes) is loads
        assert plugin(core, "decision_core.plugins.builtin").status == "ok"  # built-ins always load


def test_a_listed_plugin_that_is_not_installed_is_a_failure(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_PLUGINS", "not_installed_anywhere")
    info = plugin(DecisionCore.load(), "not_installed_anywhere")
    assert info.status == "failed" and "DECISION_CORE_PLUGINS" in info.error
    monkeypatch.setenv("DECISION_CORE_STRICT", "1")
    with pytest.raises(PluginError, match="not_installed_anywhere"):
        DecisionCore.load()


# --------------------------------------------------------------- faults


def fault(name: str, target: str | None = None, **kw) -> ExitStack:
    """Install a broken plugin next to a good one; the registry must build without the broken one."""
    stack = ExitStack()
    stack.enter_context(installed("good"))
    stack.enter_context(installed(name, target, **kw))
    return stack


def assert_failed_alone(name: str, core: DecisionCore, *fragments: str):
    """In ``core``, ``name`` failed, alone, next to the good plugin, with these fragments in its error."""
    info = core.plugin(name)
    assert info.status == "failed", info.to_dict()
    for fragment in fragments:
        assert fragment in info.error, f"{fragment!r} not in {info.error!r}"
    assert info in core.registry.failed and info.to_dict()["error"] == info.error
    assert plugin(core, "good").status == "ok" and "good_cause" in core.catalogue.causes
    assert not [r for r in core.catalogue.rulesets if r.origin == name]  # nothing half-loaded
    return info


def test_a_plugin_that_fails_to_import():
    with fault("unimportable"):
        info = assert_failed_alone("unimportable", DecisionCore.load(), "plugin 'unimportable'", "failed to import",
                                   "ModuleNotFoundError", "a_module_that_does_not_exist_anywhere",
                                   f"unimportable/__init__.py:{line_of('unimportable', 'import a_module')}")
        assert info.hooks == []


def test_a_plugin_with_a_syntax_error_names_file_and_line():
    with fault("syntaxerr"):
        assert_failed_alone("syntaxerr", DecisionCore.load(), "SyntaxError",
                            f"syntaxerr/__init__.py:{line_of('syntaxerr', 'def broken')}")


def test_a_plugin_that_raises_in_a_hook():
    assert_failed_alone("raiser", load_with("good", "raiser"),
                        "plugin 'raiser' raised in hook register_rulesets",
                        f"raiser/__init__.py:{line_of('raiser', 'raise RuntimeError')}",
                        "RuntimeError: the ruleset server is down")


def test_a_plugin_with_an_invalid_ruleset_names_file_rule_and_field():
    info = assert_failed_alone("invalid", load_with("good", "invalid"),
                               "plugin 'invalid' registers an invalid ruleset",
                               "cause.yaml (plugin invalid), rule invalid.strong, field when",
                               "unknown fact 'no_such_fact'")
    assert info.problems == [{"file": info.problems[0]["file"], "rule": "invalid.strong", "field": "when",
                              "message": "unknown fact 'no_such_fact' in 'no_such_fact >= 3'",
                              "plugin": "invalid"}]


def test_a_malformed_ruleset_file_is_reported_with_every_problem():
    assert_failed_alone("malformed", load_with("good", "malformed"), "rule malformed.strong, field strength",
                        "field sources")


def test_a_misspelled_hook_fails_loudly_with_a_suggestion():
    info = assert_failed_alone("typo", load_with("good", "typo"),
                               "plugin 'typo' implements unknown hook 'register_ruleset'",
                               f"typo/__init__.py:{line_of('typo', 'def register_ruleset(') - 1}",  # its @hookimpl
                               "did you mean 'register_rulesets'?")
    assert info.hooks == []


def test_a_hook_with_the_wrong_argument_fails():
    assert_failed_alone("wrongarg", load_with("good", "wrongarg"), "does not match its specification", "add")


@pytest.mark.parametrize("case, call, message", [
    ("relative", 'register("rulesets")', "is relative; register an absolute path"),
    ("missing", 'register(Path(__file__).parent / "nowhere")', "does not exist"),
    ("no-yaml", "register(Path(__file__).parent)", "no *.yaml ruleset files"),
    ("not-a-path", "register(42)", "takes a file or folder path, got int"),
])
def test_bad_ruleset_registrations(monkeypatch, case, call, message):
    monkeypatch.setenv("BADPATH_CASE", case)
    assert_failed_alone("badpath", load_with("good", "badpath"), "plugin 'badpath', hook register_rulesets (",
                        f"badpath/__init__.py:{line_of('badpath', call)}", message)


def test_an_invalid_registered_fact_names_the_fact_and_field():
    assert_failed_alone("badfact", load_with("good", "badfact"), "registers an invalid fact",
                        "fact bad_fact, field values",
                        "a number fact takes no values")
    assert "nice_fact" not in DecisionCore.load().catalogue.facts


def test_a_hook_that_returns_instead_of_registering_fails():
    assert_failed_alone("returner", load_with("good", "returner"), "returned a value; hooks call register(...)")


def test_a_hook_function_without_the_marker_is_reported():
    info = plugin(load_with("unmarked"), "unmarked")
    assert info.status == "ok" and info.hooks == []
    assert any("not marked @hookimpl" in w for w in info.warnings)


def test_strict_mode_refuses_to_start_and_names_every_failure(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_STRICT", "1")
    with fault("divider"):
        with pytest.raises(PluginError) as exc:
            DecisionCore.load()
        assert "DECISION_CORE_STRICT=1 refuses to start" in str(exc.value)
        assert "plugin 'divider' raised in hook register_rulesets" in str(exc.value)
        out = CliRunner().invoke(cli, ["evaluate", "-"], input="{}")  # the process default, loaded by the CLI
        assert out.exit_code == 1 and "divider" in out.output and "Traceback" not in out.output
        assert DecisionCore.load(strict=False).plugin("divider").status == "failed"


def test_default_mode_serves_without_the_failed_plugin_and_lists_it():
    core = load_with("good", "divider")
    assert core.evaluate({"good_fact": True}, engine="plain").cause_ids == ["good_cause"]
    table = CliRunner().invoke(cli, ["plugins"], obj=core)
    assert table.exit_code == 0
    assert "divider" in table.output and "failed" in table.output and "ZeroDivisionError" in table.output
    assert CliRunner().invoke(cli, ["plugins", "--check"], obj=core).exit_code == 1
    listed = {p["name"]: p for p in json.loads(CliRunner().invoke(cli, ["plugins", "--json"], obj=core).output)}
    assert listed["divider"]["status"] == "failed" and "ZeroDivisionError" in listed["divider"]["error"]
    assert listed["good"]["status"] == "ok" and listed["good"]["registered"]["causes"] == ["good_cause"]


# ------------------------------------------------------------ collisions


def test_a_plugin_claiming_a_core_cause_id_is_rejected_naming_both():
    assert "acute_strain" in DecisionCore.load().catalogue.causes
    assert_failed_alone("usurper", load_with("good", "usurper"), "cause 'acute_strain' is already defined by",
                        "(plugin decision_core)",
                        "plugin usurper defines it again")


def test_two_plugins_claiming_one_fact_name():
    core = load_with("good", "alpha", "beta")  # the first one given keeps it
    assert plugin(core, "alpha").status == "ok"
    assert_failed_alone("beta", core, "fact 'shared_fact' is already defined by", "(plugin alpha)",
                        "plugin beta defines it again")


def test_two_plugins_claiming_one_output_format_or_command():
    with plugin_modules("good", "claims") as (good, claims):
        core = DecisionCore.load(plugins={"good": good, "first": claims, "second": claims.again})
    assert plugin(core, "first").status == "ok"
    assert_failed_alone("second", core, "output format 'same-format' is already registered by plugin first; "
                                        "plugin second registers it again",
                        "command 'same-command' is already registered by plugin first")
    assert core.formats["same-format"].plugin == "first"


def test_a_plugin_command_cannot_shadow_a_core_command():
    assert_failed_alone("shadow", load_with("good", "shadow"), "command 'evaluate' is a built-in command of decision-core")


def test_two_distributions_with_one_entry_point_name():
    with installed("twin", "good", distribution="dist-a"), installed("twin", "unimportable", distribution="dist-b"):
        infos = [p for p in DecisionCore.load().plugins if p.name == "twin"]
        assert [i.status for i in infos] == ["ok", "failed"]
        assert "already taken by distribution dist-a" in infos[1].error and "dist-b" in infos[1].error


# --------------------------------------------------------------- slow imports


def _join_import_threads() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name.startswith("import plugin "):
            thread.join(30)  # let an abandoned import finish before the plugin is "uninstalled"


def test_each_plugin_is_logged_as_it_loads(monkeypatch, caplog):
    monkeypatch.setenv("SLOW_PLUGIN_SECONDS", "0.1")
    with caplog.at_level("INFO", logger="decision_core"), installed("slow_plugin"):
        core = DecisionCore.load()
        assert core.plugin("slow_plugin").status == "ok"
        assert "slow_plugin_fact" in core.catalogue.facts
    assert "loading plugin slow_plugin (entry point slow_plugin = slow_plugin)" in caplog.text
    assert "plugin slow_plugin imported in" in caplog.text


def test_a_plugin_slower_than_the_budget_fails_named_and_start_up_goes_on(monkeypatch, caplog):
    import time

    monkeypatch.setenv("SLOW_PLUGIN_SECONDS", "3")
    monkeypatch.setenv("DECISION_CORE_PLUGIN_IMPORT_TIMEOUT", "0.3")
    with installed("slow_plugin"):
        started = time.monotonic()
        with caplog.at_level("INFO", logger="decision_core"):
            core = DecisionCore.load()
        took = time.monotonic() - started
        info = core.plugin("slow_plugin")
        assert info.status == "failed" and took < 2.5
        assert info.error.startswith("plugin 'slow_plugin' (entry point slow_plugin = slow_plugin")
        assert "did not finish importing within 0.3 s (DECISION_CORE_PLUGIN_IMPORT_TIMEOUT)" in info.error
        assert "slow_plugin_fact" not in core.catalogue.facts
        assert "loading plugin slow_plugin" in caplog.text and info.error in caplog.text
        # strict mode refuses to start, naming it
        monkeypatch.setenv("DECISION_CORE_STRICT", "1")
        with pytest.raises(PluginError, match="plugin 'slow_plugin' .* did not finish importing within 0.3 s"):
            DecisionCore.load()
        _join_import_threads()


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_import_budget_is_named(monkeypatch, value):
    monkeypatch.setenv("DECISION_CORE_PLUGIN_IMPORT_TIMEOUT", value)
    with pytest.raises(PluginError, match="DECISION_CORE_PLUGIN_IMPORT_TIMEOUT"):
        DecisionCore.load()
