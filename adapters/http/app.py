"""The Flask application factory."""
from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask import Flask, current_app, g, request
from marshmallow import Schema

from decision_core.installation import DecisionCore

from .backend import Backend
from .config import DEVELOPMENT, FORWARDED, load_config
from .errors import log_exception_safely, loggable_path, register_error_handlers
from decision_core.fhir.intake import FactMapper
from .record_hooks import build_recorder
from .schemas import report_query_schema, report_request_schema
from .security import ApiKeyAuth, CdsJwtAuth
from .store import StateStore, create_store

log = logging.getLogger("decision_core.adapters.http")

EXTENSION = "decision_core"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass
class AppState:
    """Everything the views share, built once per app (and so once per worker process)."""

    config: dict[str, Any]
    backend: Backend
    store: StateStore
    api_auth: ApiKeyAuth
    cds_auth: CdsJwtAuth
    mapper: FactMapper
    report_query: Schema
    stored_report_query: Schema
    clinic: Any = None  # the clinic profile reports are made for (adapters.reports.clinic.ClinicProfile)
    report_request: type[Schema] | None = None  # POST /v1/reports' envelope, with this server's languages
    recorder: Any = None  # decision_core.record.recorder.Recorder when the record is kept (RECORD on)
    admin_auth: ApiKeyAuth | None = None  # ADMIN_KEYS: the record, analytics, erasure
    _spec: dict[str, Any] | None = None
    _spec_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def development(self) -> bool:
        return self.config["ENV"] == DEVELOPMENT

    def spec(self, app: Flask) -> dict[str, Any]:
        if self._spec is None:
            from .openapi import build_spec

            with self._spec_lock:
                if self._spec is None:
                    self._spec = build_spec(app)
        return self._spec

    def public_url(self, path: str) -> str:
        """An absolute URL for a path on this server (PUBLIC_BASE_URL, else the request's host)."""
        base = self.config["PUBLIC_BASE_URL"] or request.url_root
        return base.rstrip("/") + path


class _Flask(Flask):
    def log_exception(self, exc_info) -> None:
        log_exception_safely(self, exc_info)


def state() -> AppState:
    return current_app.extensions[EXTENSION]


def report_languages(core: DecisionCore | None = None) -> list[str]:
    try:
        from decision_core.i18n.translations import available_languages
    except ImportError:  # translations not installed: English only
        return ["en"]
    return available_languages(core)


def _clinic_profile(cfg: Mapping[str, Any], core: DecisionCore | None):
    if not cfg["CLINIC_PROFILE"]:
        return None
    from decision_core.adapters.reports.clinic import ClinicProfileError, load_clinic_profile

    from .config import ConfigError

    try:
        return load_clinic_profile(cfg["CLINIC_PROFILE"], core)
    except ClinicProfileError as exc:
        raise ConfigError(f"invalid configuration:\n  CLINIC_PROFILE: {exc}") from None


def create_app(config: Mapping[str, Any] | None = None, *, backend: Backend | None = None,
               core: DecisionCore | None = None) -> Flask:
    """Build the HTTP application.

    ``config``: keys as in :mod:`decision_core.adapters.http.config` (they override
    the file and the environment). ``backend``: what to serve; by default ``core``'s
    catalogue (an installation, :class:`decision_core.installation.DecisionCore`; default: the
    process default), or ``CATALOGUE_DIRS``, loaded now, before any request.
    """
    cfg = load_config(config)
    if backend is None:
        backend = (Backend.from_directories(cfg["CATALOGUE_DIRS"], cfg["ENGINE"], core=core) if cfg["CATALOGUE_DIRS"]
                   else Backend.from_registry(cfg["ENGINE"], core))
    # Warm up: the engine's rules are loaded and one evaluation has run before the first request.
    backend.evaluator.evaluate({})

    app = _Flask(__name__, static_folder=None)
    app.config.update(cfg)
    app.json.sort_keys = False
    if cfg["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # only the headers the deployment names: a client may send any X-Forwarded-* the proxy passes on
        hops, trusted = cfg["TRUST_PROXY"], cfg["FORWARDED_HEADERS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, **{f"x_{name}": hops if name in trusted else 0 for name in FORWARDED})

    development = cfg["ENV"] == DEVELOPMENT
    store = create_store(cfg)
    if cfg["REDIS_URL"]:
        problem = store.check()  # before any request: a ping, at most REDIS_TIMEOUT
        if problem:  # not fatal: the routes that need it answer 503 until Redis is reachable
            log.warning("the shared state store is not reachable yet (%s); /healthz says degraded", problem)
        else:
            log.info("report links and JWT ids are shared through %s", store.where)
    format_names = sorted(backend.formats)
    app.extensions[EXTENSION] = AppState(
        config=cfg,
        backend=backend,
        store=store,
        api_auth=ApiKeyAuth(cfg["API_KEYS"], enabled=not development),
        cds_auth=CdsJwtAuth(cfg["CDS_TRUSTED_ISSUERS"], cfg["CDS_JWT_ALGORITHMS"], cfg["CDS_JWT_LEEWAY"],
                            cfg["CDS_JWT_MAX_LIFETIME"], cfg["CDS_JWKS_CACHE_SECONDS"], store, enabled=not development),
        mapper=FactMapper(backend.catalogue, cfg["CDS_FACT_CODE_SYSTEM"], cfg["CDS_QUESTIONNAIRE"]),
        report_query=report_query_schema(format_names, required=True),
        stored_report_query=report_query_schema(format_names, required=False, media_types=[
            f.media_type.split(";")[0].strip() for f in backend.formats.values()]),
        clinic=_clinic_profile(cfg, backend.core),
        report_request=report_request_schema(report_languages(backend.core), list(backend.catalogue.recommendations)),
        recorder=build_recorder(cfg),
        admin_auth=ApiKeyAuth(cfg["ADMIN_KEYS"], enabled=not development),
    )
    if development:
        log.warning("development mode: authentication is OFF (set DECISION_CORE_ENV=production to require it)")
    else:
        if not cfg["API_KEYS"]:
            log.warning("no API keys configured: the REST API refuses every call (set DECISION_CORE_API_KEYS)")
        if not cfg["CDS_TRUSTED_ISSUERS"]:
            log.warning("no trusted CDS clients configured: CDS Hooks calls are refused "
                        "(set DECISION_CORE_CDS_TRUSTED_ISSUERS)")

    register_error_handlers(app)
    _register_request_hooks(app, cfg["LOG_REQUESTS"])

    from . import api, cds, interview, meta, practitioner, records

    app.register_blueprint(api.bp)
    app.register_blueprint(interview.bp)
    app.register_blueprint(cds.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(practitioner.bp)
    if app.extensions[EXTENSION].recorder is not None:  # the record's routes exist only where it is kept
        app.register_blueprint(records.bp)
    if cfg["BENCHMARK_ECHO"]:
        api.enable_echo(app)
    if cfg["CORS_ORIGINS"]:
        from flask_cors import CORS

        CORS(app, origins=cfg["CORS_ORIGINS"], max_age=cfg["CORS_MAX_AGE"],
             allow_headers=["Content-Type", "Authorization", "X-API-Key", REQUEST_ID_HEADER],
             expose_headers=[REQUEST_ID_HEADER, "WWW-Authenticate"], methods=["GET", "POST", "DELETE", "OPTIONS"])
    return app


def _register_request_hooks(app: Flask, log_requests: bool) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _finish(response):
        rid = getattr(g, "request_id", None)
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        if log_requests and log.isEnabledFor(logging.INFO):
            # method, path and status only: bodies and query strings may hold patient data
            elapsed = (time.perf_counter() - g.started) * 1000 if "started" in g else 0.0
            path = loggable_path()
            log.info("%s %s %s %.1fms id=%s", request.method, path, response.status_code, elapsed, rid,
                     extra={"request_id": rid, "event": {"method": request.method, "path": path, "status": response.status_code,
                                      "ms": round(elapsed, 1)}})
        return response
