"""``decision-core serve``: the HTTP adapter under gunicorn, a production WSGI server.

The application is built once in gunicorn's master (``--preload``, the default):
rulesets are loaded and the engine warmed up before the first worker is forked,
and a broken configuration or catalogue stops start-up with a clear message.
Each worker is a process of its own, running one request at a time (the
durable-rules engine allows one session per process); throughput comes from
workers, not threads. The workers are gunicorn's gevent workers, unpatched, with
deadlines on the request head and body (:mod:`.worker`): a slow client holds a
greenlet, never a worker. Worker processes share short-lived state (report links,
JWT ids) through an SQLite file in a private temporary folder removed on exit,
or, with ``REDIS_URL``, through Redis, shared with the other servers too.
"""
from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
from typing import Any, Callable

import click

log = logging.getLogger("decision_core.adapters.http")

# The request path without the query string: queries may hold more than we want in a log. Every atom
# is escaped and a stored report's id redacted by the logger class (logs.gunicorn_logger_class).
HEADER_TIMEOUT = 10  # seconds a connection has to send a request head (or to start one, when kept alive)
BODY_TIMEOUT = 30  # seconds it then has to send the body (262,144 bytes: 8.7 KB/s)
WORKER_CONNECTIONS = 1000  # open connections per worker; more wait in the listen queue
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms id=%({x-request-id}o)s'


def default_workers() -> int:
    """One worker per CPU, plus one.

    An evaluation is CPU-bound and a worker runs one at a time, but each worker
    also spends part of every request in socket I/O (accepting, reading the
    body, writing the result). The extra worker keeps every core busy through
    those waits; measured in docs/http.md (2 cores: 3 workers against 2).
    """
    return (os.cpu_count() or 1) + 1


def _gunicorn_app(load: Callable[[], Any], options: dict[str, Any]):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                    self.cfg.set(key, value)

        def load(self):
            return load()

    return Server()


def gunicorn_options(bind: tuple[str, ...], workers: int, timeout: int, preload: bool, access_log: bool,
                     log_level: str, log_format: str = "json", *, header_timeout: float = HEADER_TIMEOUT,
                     body_timeout: float = BODY_TIMEOUT, max_body: int = 256 * 1024,
                     worker_connections: int = WORKER_CONNECTIONS, keep_alive: bool = False) -> dict[str, Any]:
    from .logs import gunicorn_logger_class
    from .worker import worker_class

    options: dict[str, Any] = {
        "bind": list(bind),
        "workers": workers,
        "worker_class": worker_class(header_timeout, body_timeout, max_body, keep_alive),
        "worker_connections": worker_connections,
        "timeout": timeout,
        "graceful_timeout": min(timeout, 30),
        # must be non-zero: gunicorn then reads every request head under the worker's header deadline
        "keepalive": 5,
        "preload_app": preload,
        "loglevel": log_level,
        "errorlog": "-",
        "logger_class": gunicorn_logger_class(log_format),
        "proc_name": "decision-core",
        # gunicorn 24+ opens a control socket at one fixed path per user; several servers would clash
        "control_socket_disable": True,
    }
    if access_log:
        options.update(accesslog="-", access_log_format=ACCESS_LOG_FORMAT)
    return options


def _cannot_start(why: str, log_format: str):
    """Stop start-up with a message: a log record (one JSON line in JSON mode), or click's error in text."""
    if log_format == "json":
        log.critical("cannot start: %s", why)
        raise SystemExit(1)
    raise click.ClickException(f"cannot start: {why}")


@click.command()
@click.option("--bind", "-b", multiple=True, default=("127.0.0.1:8000",), show_default=True,
              help="Address to listen on (HOST:PORT or unix:PATH); repeat for several.")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: the number of CPUs plus one).")
@click.option("--threads", type=click.IntRange(1, 64), default=None, hidden=True,
              help="Ignored (kept for old command lines): every connection has a greenlet of its own.")
@click.option("--header-timeout", type=click.FloatRange(0.5, 600), default=HEADER_TIMEOUT, show_default=True,
              help="Seconds a connection has to send a whole request head (and, kept alive, to start the next); "
                   "then it is closed.")
@click.option("--body-timeout", type=click.FloatRange(0.5, 600), default=BODY_TIMEOUT, show_default=True,
              help="Seconds a request has to send its whole body once its head is in; then 408 and closed.")
@click.option("--worker-connections", type=click.IntRange(1, 100_000), default=WORKER_CONNECTIONS,
              show_default=True, help="Open connections per worker; more wait in the listen queue.")
@click.option("--keep-alive/--no-keep-alive", default=False, show_default=True,
              help="Keep connections open between requests (more throughput for clients that reuse them; "
                   "closed, requests spread evenly over the workers: a shorter tail, docs/http.md).")
@click.option("--timeout", type=click.IntRange(5, 600), default=30, show_default=True,
              help="Seconds before a silent worker is restarted.")
@click.option("--preload/--no-preload", default=True, show_default=True,
              help="Build the app (load rulesets) once in the master before forking workers.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file (JSON, TOML or YAML); same as DECISION_CORE_CONFIG.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="gunicorn's access log on stderr (paths only, never query strings or bodies).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
def serve(bind, workers, threads, header_timeout, body_timeout, worker_connections, keep_alive, timeout, preload,
          config_file, access_log, log_level):
    """Serve the REST API, OpenAPI document and CDS Hooks services over HTTP (gunicorn)."""
    from decision_core.catalogue.loading import RulesetError
    from decision_core.plugins.registry import PluginError

    from decision_core import startup_log

    from .config import CONFIG_FILE_ENV, ConfigError, load_config
    from .logs import configure_logging

    # --config names the file for this server only: read here, with the environment, into the
    # configuration every worker's app is built from (nothing written to os.environ)
    environ = {**os.environ, CONFIG_FILE_ENV: config_file} if config_file else os.environ
    logging.getLogger("decision_core").setLevel(log_level.upper())
    try:
        config = load_config(environ=environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(config["LOG_FORMAT"])
    startup_log.release()  # plugin loading's records, held since the command line found this command
    state_dir = None
    overrides: dict[str, Any] = {}
    if config["RECORD"] is None:  # the record is kept by default when serving (DECISION_CORE_RECORD=off: not)
        overrides["RECORD"] = True
    if not config["STATE_DB"] and not config["REDIS_URL"]:
        state_dir = tempfile.mkdtemp(prefix="decision-core-")  # mode 0700: only this user can read it
        overrides["STATE_DB"] = os.path.join(state_dir, "state.sqlite")

    def build():
        from . import create_app

        return create_app({**config, **overrides})  # as loaded above, the file's keys included

    master_pid = os.getpid()
    try:
        app = None
        if preload:
            try:
                app = build()
            except (ConfigError, RulesetError, PluginError, ValueError) as exc:
                _cannot_start(str(exc), config["LOG_FORMAT"])
            except Exception as exc:  # e.g. the rule engine cannot load: say what, without a traceback
                _cannot_start(f"{type(exc).__name__}: {exc}", config["LOG_FORMAT"])
            # What the master built lives as long as the workers: out of the cyclic GC's sight, a
            # worker's full collection stays short (measured 32 ms -> 0.4 ms in docs/http.md) and
            # does not touch, and so copy, the pages shared with the master.
            gc.collect()
            gc.freeze()
        if threads is not None:
            log.warning("--threads is ignored: each connection is served by a greenlet of its own")
        options = gunicorn_options(bind, workers or default_workers(), timeout, preload, access_log, log_level,
                                   config["LOG_FORMAT"], header_timeout=header_timeout, body_timeout=body_timeout,
                                   max_body=config["MAX_CONTENT_LENGTH"], worker_connections=worker_connections,
                                   keep_alive=keep_alive)
        log.info("decision-core serving on %s with %d worker(s) (%s mode); API page at /docs", ", ".join(bind),
                 options["workers"], config["ENV"])
        _gunicorn_app((lambda: app) if app is not None else build, options).run()
    finally:
        # gunicorn's workers are forked from inside run() and unwind through here when they exit:
        # only the master removes the shared state.
        if state_dir and os.getpid() == master_pid:
            shutil.rmtree(state_dir, ignore_errors=True)


def _mark_serve() -> None:
    from decision_core import startup_log

    startup_log.sets_up_logging(serve)  # it releases plugin loading's held records once its logging is set up


_mark_serve()
