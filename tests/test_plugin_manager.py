"""Plugin loading: entry points, laziness, DECISION_CORE_PLUGINS, strict and default
modes, faults (import, hook raising, invalid ruleset, misspelled hook) and
collisions, each failing clearly and naming the plugin(s) and where.

Plugins are "installed" without pip: decision_core.testing.installed_plugin puts
a temporary *.dist-info folder with an entry_points.txt on sys.path.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner

import decision_core
from decision_core.catalogue import BUILTIN_ORIGIN
from decision_core.cli import main as cli
from decision_core.intake import InvalidFacts
from decision_core.plugin_manager import PluginError, build_registry, get_registry
from decision_core.testing import installed_plugin

REPO = Path(__file__).resolve().parent.parent
HAMSTRING_PLUGIN = REPO / "plugins" / "hamstring-strength-deficit"


HEADER = "from pathlib import Path\nfrom decision_core.hookspecs import hookimpl\n\n"
REGISTER_RULESETS = HEADER + """
@hookimpl
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
"""

FACTS = """\
ruleset: {p}_facts
version: 1.0.0
kind: facts
title: Facts of {p}
facts:
  - {{name: {fact}, type: bool, label: Test fact, question: "Is the test fact true?"}}
"""
CAUSE = """\
ruleset: {p}_cause
version: 2.1.0
kind: cause
title: Cause of {p}
cause: {{id: {cause}, name: Test cause, explanation: A cause for tests., sources: ["001"]}}
rules:
  - id: {p}.strong
    when: [{fact} is true]
    then: cause {cause}
    strength: strong
    because: The test fact is true.
    sources: ["001"]
"""
RECS = """\
ruleset: {p}_recs
version: 1.0.0
kind: recommendations
title: Recommendations of {p}
items:
  - {{id: {p}_rec, name: Test exercise {p}, kind: lifestyle, instructions: Do it., for_causes: [{cause}], sources: ["001"]}}
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("DECISION_CORE_PLUGINS", raising=False)
    monkeypatch.delenv("DECISION_CORE_STRICT", raising=False)
    decision_core.reset()
    yield
    decision_core.reset()


def make_plugin(root: Path, name: str, source: str = REGISTER_RULESETS, files: dict[str, str] | None = None,
                cause: str | None = None, fact: str | None = None) -> Path:
    """A throwaway plugin package ``name`` under ``root``; by default with a fact, a cause and a
    recommendation of its own. Returns the folder to put on sys.path."""
    pkg = root / name
    (pkg / "rulesets").mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
    names = {"p": name, "cause": cause or f"{name}_cause", "fact": fact or f"{name}_fact"}
    if files is None:
        files = {"facts.yaml": FACTS, "cause.yaml": CAUSE, "recs.yaml": RECS}
    for file_name, text in files.items():
        (pkg / "rulesets" / file_name).write_text(text.format(**names), encoding="utf-8")
    return root


def line_of(source: str, text: str) -> int:
    """The line number of ``text`` in a plugin's source (as make_plugin writes it)."""
    lines = textwrap.dedent(source).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def install(stack: ExitStack, tmp_path: Path, name: str, **kw) -> None:
    stack.enter_context(installed_plugin(name, source_dir=make_plugin(tmp_path / name, name, **kw)))


def plugin(name: str):
    info = get_registry().plugin(name)
    assert info is not None, f"{name} not in {[p.name for p in get_registry().plugins]}"
    return info


# ------------------------------------------------------------------ loading


def test_importing_the_package_loads_nothing():
    code = ("import sys, decision_core, decision_core.plugin_manager as pm; "
            "print(pm._registry is None, 'durable' in sys.modules, 'decision_core.builtin' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False"]


def test_loading_is_lazy_and_happens_once(tmp_path):
    marker = tmp_path / "calls.txt"
    source = REGISTER_RULESETS + f"""
with open({str(marker)!r}, "a") as f:
    f.write("import\\n")

@hookimpl
def register_output_formats(register):
    with open({str(marker)!r}, "a") as f:
        f.write("hook\\n")
"""
    with installed_plugin("lazy", source_dir=make_plugin(tmp_path, "lazy", source)):
        assert not marker.exists()  # installed, not loaded
        first = get_registry()
        assert marker.read_text().split() == ["import", "hook"]
        assert get_registry() is first
        decision_core.evaluate({"lazy_fact": True}, engine="plain")
        assert marker.read_text().split() == ["import", "hook"]
        assert plugin("lazy").status == "ok"


def test_builtins_come_in_through_the_same_hooks():
    info = plugin("decision_core.builtin")
    assert info.builtin and info.status == "ok"
    assert {"register_rulesets", "register_commands"} <= set(info.hooks)
    assert {"plugins", "lint"} <= set(info.registered["commands"])
    registry = get_registry()
    assert set(info.registered["causes"]) == {c.id for c in registry.catalogue.causes.values()
                                              if c.ruleset in info.registered["rulesets"]}
    assert {r.origin for r in registry.catalogue.rulesets if r.id in info.registered["rulesets"]} == {BUILTIN_ORIGIN}


def test_an_installed_plugin_adds_its_cause_to_evaluations(tmp_path):
    facts = {"demo_fact": True}
    with pytest.raises(InvalidFacts) as before:
        decision_core.evaluate(facts, engine="plain")
    assert "demo_fact" in before.value.errors
    with installed_plugin("demo", source_dir=make_plugin(tmp_path, "demo")):
        result = decision_core.evaluate(facts, engine="plain").to_dict()
        assert [c["id"] for c in result["causes"]] == ["demo_cause"]
        assert "demo_rec" in [r["id"] for r in result["recommendations"]]
        assert {"id": "demo_cause", "version": "2.1.0", "kind": "cause", "plugin": "demo"} in result["rulesets"]
        info = plugin("demo")
        assert (info.version, info.distribution, info.hooks) == ("1.0.0", "demo", ["register_rulesets"])
        assert info.registered["causes"] == ["demo_cause"] and info.registered["facts"] == ["demo_fact"]
    with pytest.raises(InvalidFacts):
        decision_core.evaluate(facts, engine="plain")


def test_the_hamstring_plugin_changes_an_evaluation_in_process():
    facts = {"quads_stronger_than_hamstrings": True, "strength_training_focus": "quads"}
    before = decision_core.evaluate(facts, engine="plain").to_dict()
    with installed_plugin("hamstring_strength_deficit", source_dir=HAMSTRING_PLUGIN):
        with_plugin = decision_core.evaluate(dict(facts, hamstring_strength_tested_weak=True), engine="durable")
        assert "hamstring_strength_deficit" in with_plugin.cause_ids
        assert "hamstring_curl" in with_plugin.recommendation_ids
        assert "quad_only_strength_sessions" in [a.id for a in with_plugin.avoid]
    after = decision_core.evaluate(facts, engine="plain").to_dict()
    assert after == before


def test_registered_facts_are_validated_like_file_facts_and_keep_discriminates(tmp_path):
    source = REGISTER_RULESETS + """
@hookimpl
def register_facts(register):
    register({"name": "extra_minutes", "type": "int", "min": 0, "max": 90, "label": "Minutes",
              "question": "How many minutes?", "discriminates": ["facty_cause"]})
"""
    with installed_plugin("facty", source_dir=make_plugin(tmp_path, "facty", source)):
        fact = get_registry().catalogue.facts["extra_minutes"]
        assert fact.discriminates == ("facty_cause",) and fact.to_dict()["discriminates"] == ["facty_cause"]
        assert "extra_minutes" in plugin("facty").registered["facts"]
        with pytest.raises(InvalidFacts) as exc:
            decision_core.evaluate({"extra_minutes": 91}, engine="plain")
        assert "extra_minutes" in exc.value.errors


def test_formats_and_commands_are_registered_and_reachable_from_the_cli(tmp_path):
    source = HEADER + """
import click

def render(result, **options):
    return "causes: " + ",".join(c["id"] for c in result["causes"])

@hookimpl
def register_output_formats(register):
    register("causes-line", "text/plain", ".txt", render, description="One line of causes")

@hookimpl
def register_commands(register):
    @click.command("hello-plugin")
    def hello():
        click.echo("hello from a plugin")
    register(hello)
"""
    with installed_plugin("extras", source_dir=make_plugin(tmp_path, "extras", source, files={})):
        registry = get_registry()
        fmt = registry.formats["causes-line"]
        assert (fmt.media_type, fmt.extension, fmt.plugin, fmt.binary) == ("text/plain", "txt", "extras", False)
        assert fmt.render({"causes": [{"id": "a"}, {"id": "b"}]}) == "causes: a,b"
        out = CliRunner().invoke(cli, ["hello-plugin"])
        assert (out.exit_code, out.output) == (0, "hello from a plugin\n")
        assert plugin("extras").registered == {"formats": ["causes-line"], "commands": ["hello-plugin"]}


# ----------------------------------------------- DECISION_CORE_PLUGINS


@pytest.mark.parametrize("allowed, loads", [
    (None, True), ("", False), ("gated", True), ("gated-dist", True), ("other_thing", False), (" gated , x ", True),
])
def test_the_environment_variable_restricts_installed_plugins(tmp_path, monkeypatch, allowed, loads):
    if allowed is not None:
        monkeypatch.setenv("DECISION_CORE_PLUGINS", allowed)
    with installed_plugin("gated", source_dir=make_plugin(tmp_path, "gated"), distribution="gated-dist"):
        info = plugin("gated")
        assert info.status == ("ok" if loads else "disabled")
        assert ("gated_cause" in get_registry().catalogue.causes) is loads
        assert plugin("decision_core.builtin").status == "ok"  # built-ins always load


def test_a_listed_plugin_that_is_not_installed_is_a_failure(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_PLUGINS", "not_installed_anywhere")
    info = plugin("not_installed_anywhere")
    assert info.status == "failed" and "DECISION_CORE_PLUGINS" in info.error
    monkeypatch.setenv("DECISION_CORE_STRICT", "1")
    with pytest.raises(PluginError, match="not_installed_anywhere"):
        build_registry()


# --------------------------------------------------------------- faults


def fault(tmp_path, name, source=REGISTER_RULESETS, **kw):
    """Install a broken plugin next to a good one; the registry must build without the broken one."""
    stack = ExitStack()
    install(stack, tmp_path, "good")
    install(stack, tmp_path, name, source=source, **kw)
    return stack


def assert_failed_alone(name: str, *fragments: str):
    registry = get_registry()
    info = registry.plugin(name)
    assert info.status == "failed", info.to_dict()
    for fragment in fragments:
        assert fragment in info.error, f"{fragment!r} not in {info.error!r}"
    assert info in registry.failed and info.to_dict()["error"] == info.error
    assert plugin("good").status == "ok" and "good_cause" in registry.catalogue.causes
    assert not [r for r in registry.catalogue.rulesets if r.origin == name]  # nothing half-loaded
    return info


def test_a_plugin_that_fails_to_import(tmp_path):
    source = REGISTER_RULESETS + "\nimport a_module_that_does_not_exist_anywhere\n"
    with fault(tmp_path, "unimportable", source):
        info = assert_failed_alone("unimportable", "plugin 'unimportable'", "failed to import",
                                   "ModuleNotFoundError", "a_module_that_does_not_exist_anywhere",
                                   f"unimportable/__init__.py:{line_of(source, 'import a_module')}")
        assert "unimportable_cause" not in get_registry().catalogue.causes
        assert info.hooks == []


def test_a_plugin_with_a_syntax_error_names_file_and_line(tmp_path):
    source = REGISTER_RULESETS + "\ndef broken(:\n"
    with fault(tmp_path, "syntaxerr", source):
        assert_failed_alone("syntaxerr", "SyntaxError", f"syntaxerr/__init__.py:{line_of(source, 'def broken')}")


def test_a_plugin_that_raises_in_a_hook(tmp_path):
    source = HEADER + """
def helper():
    raise RuntimeError("the ruleset server is down")

@hookimpl
def register_rulesets(register):
    helper()
"""
    with fault(tmp_path, "raiser", source):
        assert_failed_alone("raiser", "plugin 'raiser' raised in hook register_rulesets",
                            f"raiser/__init__.py:{line_of(source, 'raise RuntimeError')}", "RuntimeError: the ruleset server is down")


def test_a_plugin_with_an_invalid_ruleset_names_file_rule_and_field(tmp_path):
    bad = CAUSE.replace("when: [{fact} is true]", "when: [{fact} is true, no_such_fact >= 3]")
    with fault(tmp_path, "invalid", files={"facts.yaml": FACTS, "cause.yaml": bad, "recs.yaml": RECS}):
        info = assert_failed_alone("invalid", "plugin 'invalid' registers an invalid ruleset",
                                   "cause.yaml (plugin invalid), rule invalid.strong, field when",
                                   "unknown fact 'no_such_fact'")
        assert info.problems == [{"file": info.problems[0]["file"], "rule": "invalid.strong", "field": "when",
                                  "message": "unknown fact 'no_such_fact' in 'no_such_fact >= 3'",
                                  "plugin": "invalid"}]


def test_a_malformed_ruleset_file_is_reported_with_every_problem(tmp_path):
    bad = CAUSE.replace("strength: strong", "strength: huge").replace('sources: ["001"]\n', "", 2)
    with fault(tmp_path, "malformed", files={"facts.yaml": FACTS, "cause.yaml": bad}):
        info = assert_failed_alone("malformed", "rule malformed.strong, field strength", "field sources")


def test_a_misspelled_hook_fails_loudly_with_a_suggestion(tmp_path):
    source = HEADER + """
@hookimpl
def register_ruleset(register):
    register(Path(__file__).parent / "rulesets")
"""
    with fault(tmp_path, "typo", source):
        info = assert_failed_alone("typo", "plugin 'typo' implements unknown hook 'register_ruleset'",
                                   f"typo/__init__.py:{line_of(source, 'def register_ruleset(') - 1}",  # its @hookimpl
                                   "did you mean 'register_rulesets'?")
        assert info.hooks == []


def test_a_hook_with_the_wrong_argument_fails(tmp_path):
    source = HEADER + """
@hookimpl
def register_rulesets(add):
    add(Path(__file__).parent / "rulesets")
"""
    with fault(tmp_path, "wrongarg", source):
        assert_failed_alone("wrongarg", "does not match its specification", "add")


@pytest.mark.parametrize("call, message", [
    ('register("rulesets")', "is relative; register an absolute path"),
    ('register(Path(__file__).parent / "nowhere")', "does not exist"),
    ('register(Path(__file__).parent / "empty")', "no *.yaml ruleset files"),
    ('register(42)', "takes a file or folder path, got int"),
])
def test_bad_ruleset_registrations(tmp_path, call, message):
    source = HEADER + f"""
(Path(__file__).parent / "empty").mkdir(exist_ok=True)

@hookimpl
def register_rulesets(register):
    {call}
"""
    with fault(tmp_path, "badpath", source):
        assert_failed_alone("badpath", "plugin 'badpath', hook register_rulesets (", f"badpath/__init__.py:{line_of(source, call)}",
                            message)


def test_an_invalid_registered_fact_names_the_fact_and_field(tmp_path):
    source = HEADER + """
@hookimpl
def register_facts(register):
    register({"name": "nice_fact", "type": "bool", "label": "Nice", "question": "Nice fact?"})
    register({"name": "bad_fact", "type": "number", "values": ["a"], "label": "Bad", "question": "Bad fact?"})
"""
    with fault(tmp_path, "badfact", source, files={}):
        info = assert_failed_alone("badfact", "registers an invalid fact", "fact bad_fact, field values",
                                   "a number fact takes no values")
        assert "nice_fact" not in get_registry().catalogue.facts


def test_a_hook_that_returns_instead_of_registering_fails(tmp_path):
    source = HEADER + """
@hookimpl
def register_rulesets(register):
    return [Path(__file__).parent / "rulesets"]
"""
    with fault(tmp_path, "returner", source):
        assert_failed_alone("returner", "returned a value; hooks call register(...)")


def test_a_hook_function_without_the_marker_is_reported(tmp_path):
    source = HEADER + """
def register_rulesets(register):
    register(Path(__file__).parent / "rulesets")
"""
    with installed_plugin("unmarked", source_dir=make_plugin(tmp_path, "unmarked", source)):
        info = plugin("unmarked")
        assert info.status == "ok" and info.hooks == []
        assert any("not marked @hookimpl" in w for w in info.warnings)


def test_strict_mode_refuses_to_start_and_names_every_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("DECISION_CORE_STRICT", "1")
    with fault(tmp_path, "raiser2", HEADER + "@hookimpl\ndef register_rulesets(register):\n    1 / 0\n"):
        with pytest.raises(PluginError) as exc:
            get_registry()
        assert "DECISION_CORE_STRICT=1 refuses to start" in str(exc.value)
        assert "plugin 'raiser2' raised in hook register_rulesets" in str(exc.value)
        out = CliRunner().invoke(cli, ["evaluate", "-"], input="{}")
        assert out.exit_code == 1 and "raiser2" in out.output and "Traceback" not in out.output
        assert build_registry(strict=False).plugin("raiser2").status == "failed"


def test_default_mode_serves_without_the_failed_plugin_and_lists_it(tmp_path):
    with fault(tmp_path, "raiser3", HEADER + "@hookimpl\ndef register_rulesets(register):\n    1 / 0\n"):
        result = decision_core.evaluate({"good_fact": True}, engine="plain")
        assert result.cause_ids == ["good_cause"]
        table = CliRunner().invoke(cli, ["plugins"])
        assert table.exit_code == 0
        assert "raiser3" in table.output and "failed" in table.output and "ZeroDivisionError" in table.output
        assert CliRunner().invoke(cli, ["plugins", "--check"]).exit_code == 1
        listed = {p["name"]: p for p in json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)}
        assert listed["raiser3"]["status"] == "failed" and "ZeroDivisionError" in listed["raiser3"]["error"]
        assert listed["good"]["status"] == "ok" and listed["good"]["registered"]["causes"] == ["good_cause"]


# ------------------------------------------------------------ collisions


def test_a_plugin_claiming_a_core_cause_id_is_rejected_naming_both(tmp_path):
    core_cause = next(iter(get_registry().catalogue.causes))
    with fault(tmp_path, "usurper", cause=core_cause):
        assert_failed_alone("usurper", f"cause '{core_cause}' is already defined by", "(plugin decision_core)",
                            "plugin usurper defines it again")


def test_two_plugins_claiming_one_fact_name(tmp_path):
    with ExitStack() as stack:
        install(stack, tmp_path, "good")
        install(stack, tmp_path, "alpha", fact="shared_fact")
        install(stack, tmp_path, "beta", fact="shared_fact")
        assert plugin("alpha").status == "ok"
        assert_failed_alone("beta", "fact 'shared_fact' is already defined by", "(plugin alpha)",
                            "plugin beta defines it again")


def test_two_plugins_claiming_one_output_format_or_command(tmp_path):
    source = HEADER + """
import click

@hookimpl
def register_output_formats(register):
    register("same-format", "text/plain", "txt", str)

@hookimpl
def register_commands(register):
    register(click.Command("same-command"))
"""
    with ExitStack() as stack:
        install(stack, tmp_path, "good")
        install(stack, tmp_path, "first", source=source, files={})
        install(stack, tmp_path, "second", source=source, files={})
        assert plugin("first").status == "ok"
        assert_failed_alone("second", "output format 'same-format' is already registered by plugin first; "
                                      "plugin second registers it again",
                            "command 'same-command' is already registered by plugin first")
        assert get_registry().formats["same-format"].plugin == "first"


def test_a_plugin_command_cannot_shadow_a_core_command(tmp_path):
    source = HEADER + "import click\n\n@hookimpl\ndef register_commands(register):\n" \
                      "    register(click.Command('evaluate'))\n"
    with fault(tmp_path, "shadow", source, files={}):
        assert_failed_alone("shadow", "command 'evaluate' is a built-in command of decision-core")


def test_two_distributions_with_one_entry_point_name(tmp_path):
    root = make_plugin(tmp_path / "a", "twin_a")
    make_plugin(tmp_path / "b", "twin_b")
    with installed_plugin("twin", "twin_a", source_dir=root, distribution="dist-a"), \
            installed_plugin("twin", "twin_b", source_dir=tmp_path / "b", distribution="dist-b"):
        infos = [p for p in get_registry().plugins if p.name == "twin"]
        assert [i.status for i in infos] == ["ok", "failed"]
        assert "already taken by distribution dist-a" in infos[1].error and "dist-b" in infos[1].error


# --------------------------------------------------------------- slow imports

SLOW_PLUGINS = REPO / "tests" / "fixtures" / "plugins"


def _join_import_threads() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name.startswith("import plugin "):
            thread.join(30)  # let an abandoned import finish before the plugin is "uninstalled"


def test_each_plugin_is_logged_as_it_loads(monkeypatch, caplog):
    monkeypatch.setenv("SLOW_PLUGIN_SECONDS", "0.1")
    with caplog.at_level("INFO", logger="decision_core"), installed_plugin("slow_plugin", source_dir=SLOW_PLUGINS):
        registry = get_registry()
        assert registry.plugin("slow_plugin").status == "ok"
        assert "slow_plugin_fact" in registry.catalogue.facts
    assert "loading plugin slow_plugin (entry point slow_plugin = slow_plugin)" in caplog.text
    assert "plugin slow_plugin imported in" in caplog.text


def test_a_plugin_slower_than_the_budget_fails_named_and_start_up_goes_on(monkeypatch, caplog):
    import time

    monkeypatch.setenv("SLOW_PLUGIN_SECONDS", "3")
    monkeypatch.setenv("DECISION_CORE_PLUGIN_IMPORT_TIMEOUT", "0.3")
    with installed_plugin("slow_plugin", source_dir=SLOW_PLUGINS):
        started = time.monotonic()
        with caplog.at_level("INFO", logger="decision_core"):
            registry = get_registry()
        took = time.monotonic() - started
        info = registry.plugin("slow_plugin")
        assert info.status == "failed" and took < 2.5
        assert info.error.startswith("plugin 'slow_plugin' (entry point slow_plugin = slow_plugin")
        assert "did not finish importing within 0.3 s (DECISION_CORE_PLUGIN_IMPORT_TIMEOUT)" in info.error
        assert "slow_plugin_fact" not in registry.catalogue.facts
        assert "loading plugin slow_plugin" in caplog.text and info.error in caplog.text
        # strict mode refuses to start, naming it
        monkeypatch.setenv("DECISION_CORE_STRICT", "1")
        with pytest.raises(PluginError, match="plugin 'slow_plugin' .* did not finish importing within 0.3 s"):
            build_registry()
        _join_import_threads()


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_import_budget_is_named(monkeypatch, value):
    monkeypatch.setenv("DECISION_CORE_PLUGIN_IMPORT_TIMEOUT", value)
    with pytest.raises(PluginError, match="DECISION_CORE_PLUGIN_IMPORT_TIMEOUT"):
        build_registry()
