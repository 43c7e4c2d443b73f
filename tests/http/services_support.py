"""Real Redis and nginx for the scale tests, started by the tests as unprivileged subprocesses.

Each runs in a temporary folder on a free port: redis-server without persistence
(``--save '' --appendonly no``), nginx with a generated configuration (``daemon off;``,
pid, logs and temporary files in the folder) balancing round-robin over the given
servers. Locally a test skips when a binary is missing; under CI (CI set) that is a
failure, as .ci/run installs both (scripts/install-system-packages).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from http_support import free_port


def need_binary(name: str, *extra_dirs: str) -> str:
    """The path of a system binary; skip without it locally, fail under CI."""
    path = shutil.which(name) or next((os.path.join(d, name) for d in extra_dirs
                                       if os.access(os.path.join(d, name), os.X_OK)), None)
    if path:
        return path
    reason = f"{name} is not installed (Debian package: {name})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must have it (bash scripts/install-system-packages)")
    pytest.skip(reason)


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, log_path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log_path.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s:\n{log_path.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class RedisServer:
    """redis-server on 127.0.0.1, a free port, no persistence; can be stopped and started again on the same port."""

    def __init__(self, workdir: Path):
        self.binary = need_binary("redis-server")
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        log_path = self.workdir / "redis.log"
        with open(log_path, "ab") as log_file:
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir), "--protected-mode", "yes"],
                stdout=log_file, stderr=subprocess.STDOUT, cwd=self.workdir)
        _wait_for_port(self.port, self.proc, "redis-server", log_path)
        return self

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None


NGINX_CONF = """
daemon off;
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream decision_core {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://decision_core;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host "";
            proxy_set_header X-Forwarded-Port "";
            proxy_set_header X-Forwarded-Prefix "";
            # a request is answered by the instance it was sent to: no retry on the other
            proxy_next_upstream off;
        }}
    }}
}}
"""


class Nginx:
    """nginx as a round-robin load balancer over ``upstreams`` (host:port), unprivileged, in ``workdir``."""

    def __init__(self, workdir: Path, upstreams: list[str], port: int | None = None):
        self.binary = need_binary("nginx", "/usr/sbin")
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"        server {u};" for u in upstreams)
        self.conf = workdir / "nginx.conf"
        # as root, nginx's workers would run as 'nobody', who cannot enter pytest's private folders
        user = "user root;" if os.geteuid() == 0 else ""
        self.conf.write_text(NGINX_CONF.format(tmp=workdir, servers=servers, port=self.port, user=user))
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        log_path = self.workdir / "stderr.log"
        with open(log_path, "ab") as log_file:
            # -p, -e: prefix and first error log, so nothing is read or written under /etc or /var
            self.proc = subprocess.Popen([self.binary, "-p", str(self.workdir), "-e", str(self.workdir / "error.log"),
                                          "-c", str(self.conf)],
                                         stdout=log_file, stderr=subprocess.STDOUT, cwd=self.workdir)
        _wait_for_port(self.port, self.proc, "nginx", log_path)
        return self

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None
