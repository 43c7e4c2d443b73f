"""The core's settings from the environment (decision_core.settings): one boolean parser, every
variable checked, a bad value named, parsed once per environment."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from decision_core import settings
from decision_core.cli.main import main as cli
from decision_core.installation import DecisionCore, fresh_default_core
from decision_core.plugins.registry import PluginError
from decision_core.record.settings import RecordSettings
from decision_core.settings import Settings, SettingsError, parse_bool


@pytest.mark.parametrize("word", ["1", "true", "TRUE", " yes ", "On"])
def test_yes_words(word):
    assert parse_bool(word, "X") is True


@pytest.mark.parametrize("word", ["0", "false", "No", " off", ""])
def test_no_words(word):
    assert parse_bool(word, "X") is False


@pytest.mark.parametrize("word", ["maybe", "2", "y", "enabled", "truee"])
def test_any_other_word_is_an_error_naming_the_variable(word):
    with pytest.raises(SettingsError, match=rf"^DECISION_CORE_STRICT='{word}': not a yes/no value; use one of "
                                            r"1, true, yes, on \(yes\) or 0, false, no, off \(no\)"):
        parse_bool(word, "DECISION_CORE_STRICT")


def test_nothing_set_gives_the_defaults():
    got = Settings.from_environment({"XDG_DATA_HOME": "/data"})
    assert (got.engine, got.strict, got.plugins, got.plugin_import_timeout, got.record) == (None, False, None, 30.0, None)
    assert (got.database_url, got.record_spool_dir, got.record_retention_days) == (None, None, None)
    assert str(got.data_dir) == "/data/decision-core"


def test_every_variable_is_read():
    got = Settings.from_environment({
        "DECISION_CORE_ENGINE": " Plain ", "DECISION_CORE_STRICT": "yes", "DECISION_CORE_PLUGINS": "a, b-c,,",
        "DECISION_CORE_PLUGIN_IMPORT_TIMEOUT": "0.5", "DECISION_CORE_RECORD": "off",
        "DECISION_CORE_DATABASE_URL": "sqlite:///x.db", "DECISION_CORE_RECORD_SPOOL_DIR": "/spool",
        "DECISION_CORE_RECORD_RETENTION_DAYS": "90"})
    assert got.engine == "plain" and got.strict is True and got.plugins == ("a", "b-c")
    assert got.plugin_import_timeout == 0.5 and got.record is False
    assert (got.database_url, got.record_spool_dir, got.record_retention_days) == ("sqlite:///x.db", "/spool", 90)
    assert Settings.from_environment({"DECISION_CORE_PLUGINS": ""}).plugins == ()  # none but the built-ins


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        Settings.from_environment({"DECISION_CORE_ENGINE": "drools", "DECISION_CORE_RECORD": "sometimes",
                                   "DECISION_CORE_PLUGIN_IMPORT_TIMEOUT": "soon",
                                   "DECISION_CORE_RECORD_RETENTION_DAYS": "0"})
    message = str(caught.value)
    for part in ("unknown engine 'drools'", "DECISION_CORE_RECORD='sometimes'",
                 "DECISION_CORE_PLUGIN_IMPORT_TIMEOUT='soon'", "DECISION_CORE_RECORD_RETENTION_DAYS='0'"):
        assert part in message


def test_parsed_once_and_again_when_the_environment_changes(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_ENGINE", "plain")
    first = settings.current()
    assert settings.current() is first and first.engine == "plain"
    monkeypatch.setenv("DECISION_CORE_ENGINE", "durable")
    assert settings.current().engine == "durable"


def test_a_bad_strict_flag_stops_loading_named(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_STRICT", "maybe")  # before, anything but 1/true/yes/on was silently "no"
    with pytest.raises(PluginError, match="DECISION_CORE_STRICT='maybe'"):
        DecisionCore.load()


def test_the_record_settings_read_the_same_parser():
    assert RecordSettings.from_environment(True, {"DECISION_CORE_RECORD": "No"}).enabled is False
    with pytest.raises(SettingsError, match="DECISION_CORE_RECORD='nope'"):
        RecordSettings.from_environment(True, {"DECISION_CORE_RECORD": "nope"})


def test_the_command_line_says_which_variable_is_bad(monkeypatch):
    monkeypatch.setenv("DECISION_CORE_RECORD_RETENTION_DAYS", "soon")
    with fresh_default_core():  # the failed default is forgotten after the block
        out = CliRunner().invoke(cli, ["evaluate", "-"], input="{}")
    assert out.exit_code == 1 and "DECISION_CORE_RECORD_RETENTION_DAYS='soon'" in out.output
    assert "Traceback" not in out.output


def test_the_http_configuration_reads_booleans_with_the_same_parser():
    from decision_core.adapters.http.config import load_config

    assert load_config({"RECORD": " ON "}, environ={})["RECORD"] is True
    assert load_config({"RECORD": ""}, environ={})["RECORD"] is False
