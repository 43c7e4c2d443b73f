"""Configuration: defaults, a file, environment variables and create_app's mapping, validated."""
from __future__ import annotations

import json

import pytest

from decision_core.adapters.http.config import ConfigError, load_config


def test_defaults_are_production_and_closed():
    config = load_config(environ={})
    assert config["ENV"] == "production"
    assert config["API_KEYS"] == [] and config["CDS_TRUSTED_ISSUERS"] == {}
    assert config["MAX_CONTENT_LENGTH"] == 256 * 1024
    assert config["CORS_ORIGINS"] == [] and config["BENCHMARK_ECHO"] is False
    assert config["CDS_JWT_ALGORITHMS"] == ["ES256", "ES384", "RS384"]


def test_environment_values_are_parsed():
    environ = {
        "DECISION_CORE_ENV": "development",
        "DECISION_CORE_API_KEYS": "k1, k2,,",
        "DECISION_CORE_MAX_CONTENT_LENGTH": "1024",
        "DECISION_CORE_BENCHMARK_ECHO": "yes",
        "DECISION_CORE_CDS_TRUSTED_ISSUERS": json.dumps({"https://ehr": "/keys.json"}),
        "DECISION_CORE_CATALOGUE_DIRS": "/a:/b",
        "DECISION_CORE_PLUGINS": "not ours: ignored",
    }
    config = load_config(environ=environ)
    assert config["ENV"] == "development" and config["API_KEYS"] == ["k1", "k2"]
    assert config["MAX_CONTENT_LENGTH"] == 1024 and config["BENCHMARK_ECHO"] is True
    assert config["CDS_TRUSTED_ISSUERS"] == {"https://ehr": "/keys.json"}
    assert config["CATALOGUE_DIRS"] == ["/a", "/b"]


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"API_KEYS": ["from-file"], "REPORT_TTL_SECONDS": 60}'),
    (".toml", 'API_KEYS = ["from-file"]\nREPORT_TTL_SECONDS = 60\n'),
    (".yaml", "API_KEYS: [from-file]\nREPORT_TTL_SECONDS: 60\n"),
])
def test_file_then_environment_then_mapping(tmp_path, suffix, text):
    path = tmp_path / f"config{suffix}"
    path.write_text(text)
    environ = {"DECISION_CORE_CONFIG": str(path)}
    assert load_config(environ=environ)["API_KEYS"] == ["from-file"]
    environ["DECISION_CORE_API_KEYS"] = "from-env"
    assert load_config(environ=environ)["API_KEYS"] == ["from-env"]
    assert load_config({"API_KEYS": ["from-code"]}, environ=environ)["API_KEYS"] == ["from-code"]
    assert load_config(environ=environ)["REPORT_TTL_SECONDS"] == 60


def test_every_bad_value_is_named_with_where_it_came_from(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"API_KEY": "typo", "ENV": "staging"}')
    environ = {"DECISION_CORE_CONFIG": str(path), "DECISION_CORE_MAX_CONTENT_LENGTH": "big",
               "DECISION_CORE_CDS_JWT_ALGORITHMS": "ES384,HS256,none"}
    with pytest.raises(ConfigError) as err:
        load_config({"PUBLIC_BASE_URL": "not a url"}, environ=environ)
    message = str(err.value)
    assert f"{path}: API_KEY: unknown configuration key" in message
    assert f"{path}: ENV: Must be one of: production, development." in message
    assert "DECISION_CORE_MAX_CONTENT_LENGTH: Not a valid integer." in message
    assert "HS256, none" in message
    assert "PUBLIC_BASE_URL: Not a valid URL." in message


def test_unreadable_files_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(environ={"DECISION_CORE_CONFIG": str(tmp_path / "missing.json")})
    (tmp_path / "bad.toml").write_text("API_KEYS = [")
    with pytest.raises(ConfigError, match="not valid toml"):
        load_config(environ={"DECISION_CORE_CONFIG": str(tmp_path / "bad.toml")})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config({"API_KEYS_FILE": str(tmp_path / "no-keys")}, environ={})


def test_create_app_refuses_a_bad_configuration(make_app):
    with pytest.raises(ConfigError, match="REPORT_STORE_SIZE"):
        make_app(REPORT_STORE_SIZE=0)


def test_every_configuration_key_is_documented():
    from http_support import REPO_ROOT

    from decision_core.adapters.http.config import KEYS

    doc = (REPO_ROOT / "docs" / "http.md").read_text(encoding="utf-8")
    missing = [key for key in KEYS if f"| `{key}` |" not in doc]
    assert not missing, f"docs/http.md does not document: {', '.join(missing)}"
