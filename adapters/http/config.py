"""Configuration of the HTTP adapter.

Sources, later ones winning: built-in defaults, an optional file named by
``DECISION_CORE_CONFIG`` (JSON, TOML or YAML, keys as below), environment
variables ``DECISION_CORE_<KEY>``, and the mapping given to ``create_app``.
Every value is validated; a bad value stops start-up with a message naming it.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from decision_core.intake import FACT_CODE_SYSTEM
from decision_core.catalogue.schema import flatten_messages
from decision_core.settings import SettingsError, parse_bool

ENV_PREFIX = "DECISION_CORE_"
CONFIG_FILE_ENV = "DECISION_CORE_CONFIG"
DEVELOPMENT = "development"
PRODUCTION = "production"
# Asymmetric algorithms only: the CDS Hooks spec forbids 'none' and shared-secret (HMAC) signatures.
ASYMMETRIC_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
DEFAULT_FACT_CODE_SYSTEM = FACT_CODE_SYSTEM


class ConfigError(ValueError):
    """The configuration is not valid; the message names every bad key."""


class _Words(fields.Field):
    """A list of strings, or one string of comma-separated words (environment form)."""

    default_error_messages = {"invalid": "Must be a list of strings or a comma-separated string."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return [w.strip() for w in value.split(",") if w.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(w, str) for w in value):
            return [w.strip() for w in value if w.strip()]
        raise self.make_error("invalid")


class _LowerWords(_Words):
    """Words, in lower case (names that are not case-sensitive)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return [w.lower() for w in super()._deserialize(value, attr, data, **kwargs)]


class _Paths(fields.Field):
    """A list of paths, or one string of paths separated by os.pathsep (environment form)."""

    default_error_messages = {"invalid": f"Must be a list of paths or a string of paths separated by '{os.pathsep}'."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in value):
            return [os.fspath(p) for p in value]
        raise self.make_error("invalid")


class _Flag(fields.Field):
    """A boolean, or one of the words of the core's one boolean parser (decision_core.settings)."""

    default_error_messages = {"invalid": "Must be a boolean (true/false, 1/0, yes/no, on/off)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (bool, str)):
            try:
                return parse_bool(value)
            except SettingsError:
                pass
        raise self.make_error("invalid")


class _JsonMapping(fields.Field):
    """A mapping of strings to strings, or its JSON text (environment form)."""

    default_error_messages = {"invalid": "Must be a mapping of strings to strings, or its JSON text."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError:
                raise self.make_error("invalid") from None
        if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return dict(value)
        raise self.make_error("invalid")


def _asymmetric_only(algorithms: list[str]) -> None:
    bad = [a for a in algorithms if a not in ASYMMETRIC_ALGORITHMS]
    if bad:
        raise ValidationError(f"not allowed: {', '.join(bad)} (choose from {', '.join(ASYMMETRIC_ALGORITHMS)})")
    if not algorithms:
        raise ValidationError("name at least one algorithm")


# The X-Forwarded-* headers a proxy may vouch for (werkzeug's ProxyFix); by default the two the nginx
# configuration of docs/http.md sets. Host, port and prefix would move the JWT audience and the links.
FORWARDED = ("for", "proto", "host", "port", "prefix")
DEFAULT_FORWARDED = ("for", "proto")


def _forwarded_only(names: list[str]) -> None:
    bad = [n for n in names if n not in FORWARDED]
    if bad:
        raise ValidationError(f"not an X-Forwarded-* header: {', '.join(bad)} (choose from {', '.join(FORWARDED)})")


def _positive(**kw) -> fields.Integer:
    return fields.Integer(strict=False, validate=validate.Range(min=1), **kw)


class HttpConfigSchema(Schema):
    """Every configuration key, its type and default."""

    class Meta:
        unknown = RAISE

    ENV = fields.String(load_default=PRODUCTION, validate=validate.OneOf([PRODUCTION, DEVELOPMENT]),
                        metadata={"description": "development switches authentication off; anything else is production."})
    API_KEYS = _Words(load_default=list, metadata={"description": "Keys accepted by the REST API (X-API-Key or Bearer)."})
    API_KEYS_FILE = fields.String(load_default=None, allow_none=True,
                                  metadata={"description": "A file with one API key per line (blank lines and # comments ignored)."})
    MAX_CONTENT_LENGTH = _positive(load_default=256 * 1024, metadata={"description": "Largest request body in bytes."})
    CORS_ORIGINS = _Words(load_default=list, metadata={"description": "Origins allowed by CORS ('*' for any); empty: CORS off."})
    CORS_MAX_AGE = _positive(load_default=600)
    PUBLIC_BASE_URL = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"},
                                 metadata={"description": "The server's external base URL, for links and the CDS Hooks JWT audience."})
    TRUSTED_HOSTS = _Words(load_default=None, allow_none=True, metadata={
        "description": "The only Host names requests may carry (Flask's TRUSTED_HOSTS; others get 400). Without "
                       "PUBLIC_BASE_URL, links and the JWT audience come from the Host, so production needs one of the two."})
    TRUST_PROXY = fields.Integer(strict=False, load_default=0, validate=validate.Range(min=0, max=5),
                                 metadata={"description": "How many reverse proxies set X-Forwarded-* headers."})
    FORWARDED_HEADERS = _LowerWords(load_default=lambda: list(DEFAULT_FORWARDED), validate=_forwarded_only, metadata={
        "description": "The X-Forwarded-* headers trusted from those proxies (for, proto, host, port, prefix): only "
                       "the ones the proxy sets or clears, since a client may send any of them."})
    ENGINE = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["durable", "plain"]))
    CATALOGUE_DIRS = _Paths(load_default=list, metadata={
        "description": "Serve exactly these ruleset folders instead of the installed plugins' catalogue."})
    CDS_TRUSTED_ISSUERS = _JsonMapping(load_default=dict, metadata={
        "description": "JWT issuer -> JWKS file path or https URL of its public keys."})
    CDS_JWT_ALGORITHMS = _Words(load_default=lambda: ["ES256", "ES384", "RS384"], validate=_asymmetric_only)
    CDS_JWT_LEEWAY = fields.Integer(strict=False, load_default=30, validate=validate.Range(min=0, max=300))
    CDS_JWT_MAX_LIFETIME = _positive(load_default=3600, metadata={"description": "Reject JWTs valid for longer (exp - iat), in seconds."})
    CDS_JWKS_CACHE_SECONDS = _positive(load_default=300)
    CDS_FHIR_SERVERS = _Words(load_default=list, metadata={
        "description": "FHIR base URLs the CDS service may fetch missing prefetch from (with the client's token); "
                       "empty: any https server."})
    CDS_FACT_CODE_SYSTEM = fields.String(load_default=DEFAULT_FACT_CODE_SYSTEM, validate=validate.Length(min=1))
    CDS_QUESTIONNAIRE = fields.String(load_default=None, allow_none=True,
                                      metadata={"description": "Canonical URL of the intake Questionnaire (filters prefetch)."})
    CDS_SOURCE_LABEL = fields.String(load_default="Hamstring decision support", validate=validate.Length(min=1, max=80))
    CDS_SOURCE_URL = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"})
    REPORT_FORMAT = fields.String(load_default="html", validate=validate.Length(min=1))
    REPORT_TTL_SECONDS = _positive(load_default=900)
    CLINIC_PROFILE = fields.String(load_default=None, allow_none=True, metadata={
        "description": "The clinic profile YAML for reports (name, phone, emergency number, logo, time zone, "
                       "language, default doses)."})
    REPORT_STORE_SIZE = _positive(load_default=500)
    STATE_DB = fields.String(load_default=None, allow_none=True, metadata={
        "description": "SQLite file shared by worker processes for report links and JWT ids (set by `serve`)."})
    REDIS_URL = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^(redis|rediss|unix)://\S+$", error="Must be a redis://, rediss:// or unix:// URL."), metadata={
        "description": "Redis shared by several servers for report links and JWT ids (redis://host:6379/0); "
                       "unset: one machine (memory, or STATE_DB)."})
    # the record (decision_core.record, docs/record.md)
    RECORD = _Flag(load_default=None, allow_none=True, metadata={
        "description": "Keep a record of every evaluation (on by default under `serve`; off in create_app)."})
    DATABASE_URL = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^(sqlite|postgresql)(\+\w+)?://\S*$", error="Must be a sqlite:/// or postgresql:// URL."), metadata={
        "description": "The record's database: sqlite:///path or postgresql://user@host/db (default: "
                       "~/.local/share/decision-core/record.sqlite3). The password is never logged."})
    RECORD_SPOOL_DIR = fields.String(load_default=None, allow_none=True, metadata={
        "description": "Where records wait while the database is away (default: record-spool beside the SQLite "
                       "file, or under ~/.local/share/decision-core)."})
    RECORD_RETENTION_DAYS = fields.Integer(strict=False, load_default=None, allow_none=True,
                                           validate=validate.Range(min=1), metadata={
        "description": "Records older than this many days are purged (default: kept until erased)."})
    ADMIN_KEYS = _Words(load_default=list, metadata={
        "description": "Keys for reading the record, analytics and erasure (never the evaluation keys)."})
    REDIS_TIMEOUT = fields.Float(load_default=0.25, validate=validate.Range(min=0.01, max=10), metadata={
        "description": "Seconds every Redis call may wait to connect, and to read each answer; a Redis that does "
                       "not answer in time is not waited on again until it answers a background ping."})
    BENCHMARK_ECHO = _Flag(load_default=False, metadata={"description": "Expose POST /v1/echo (benchmarks only)."})
    LOG_REQUESTS = _Flag(load_default=True)
    LOG_FORMAT = fields.String(load_default="json", validate=validate.OneOf(["json", "text"]), metadata={
        "description": "How `serve` writes logs: json (one JSON object per line) or text (control characters "
                       "escaped); either way no input can start a line."})


KEYS = tuple(HttpConfigSchema().fields)


def _read_file(path: str) -> dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{CONFIG_FILE_ENV}={path}: cannot read the file ({exc})") from exc
    try:
        if p.suffix == ".toml":
            data = tomllib.loads(text)
        elif p.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{CONFIG_FILE_ENV}={path}: not valid {p.suffix.lstrip('.') or 'JSON'} ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE_ENV}={path}: must be a mapping of configuration keys")
    return data


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge and validate the configuration; raise ConfigError naming every bad key."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    origin: dict[str, str] = {}
    file_path = environ.get(CONFIG_FILE_ENV)
    if file_path:
        for key, value in _read_file(file_path).items():
            raw[key], origin[key] = value, f"{file_path}: {key}"
    for key in KEYS:
        if ENV_PREFIX + key in environ:
            raw[key], origin[key] = environ[ENV_PREFIX + key], ENV_PREFIX + key
    for key, value in (overrides or {}).items():
        raw[key], origin[key] = value, key
    try:
        config = HttpConfigSchema().load(raw)
    except ValidationError as exc:
        problems = [f"{origin.get(k.split('.')[0], k)}: {'unknown configuration key' if m == 'Unknown field.' else m}"
                    for k, m in flatten_messages(exc.messages)]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
    if config["API_KEYS_FILE"]:
        config["API_KEYS"] = config["API_KEYS"] + _read_keys(config["API_KEYS_FILE"])
    if (config["ENV"] != DEVELOPMENT and config["CDS_TRUSTED_ISSUERS"] and not config["PUBLIC_BASE_URL"]
            and not config["TRUSTED_HOSTS"]):
        # the JWT audience would be the Host header's: a token minted for evil.example, sent with
        # Host: evil.example, would be accepted
        name = origin.get("PUBLIC_BASE_URL", ENV_PREFIX + "PUBLIC_BASE_URL")
        raise ConfigError(f"invalid configuration:\n  {name}: required in production when "
                          f"{origin['CDS_TRUSTED_ISSUERS']} is set (the CDS Hooks JWT audience must not come from "
                          f"the request's Host header); or list the server's host names in {ENV_PREFIX}TRUSTED_HOSTS")
    return config


def _read_keys(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"API_KEYS_FILE={path}: cannot read the file ({exc})") from exc
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
