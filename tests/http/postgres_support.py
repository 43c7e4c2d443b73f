"""A real PostgreSQL (Debian's ``postgresql`` package) for the record's tests: a throw-away cluster
made with initdb in a temporary folder, started and stopped with pg_ctl on 127.0.0.1 and a free
port, trust authentication, unprivileged: as root (CI), initdb and pg_ctl run as ``nobody`` through
runuser, since PostgreSQL refuses to run as root. Locally a test skips when the binaries are missing;
under CI (CI set) that is a failure, as .ci/run installs them (scripts/install-system-packages)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from http_support import free_port

PG_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


def _binary(name: str) -> str:
    path = shutil.which(name) or next((os.path.join(d, name) for d in PG_DIRS if os.access(os.path.join(d, name), os.X_OK)), None)
    if path:
        return path
    reason = f"{name} is not installed (Debian package: postgresql)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must have it (bash scripts/install-system-packages)")
    pytest.skip(reason)


class Postgres:
    def __init__(self):
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        self.root = os.geteuid() == 0
        if self.root and not shutil.which("runuser"):
            pytest.fail("running as root needs runuser (util-linux) to start PostgreSQL as nobody")
        # /tmp itself, so that nobody can reach it (pytest's tmp_path is private to root)
        self.workdir = Path(tempfile.mkdtemp(prefix="decision-core-pg-"))
        self.data = self.workdir / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if self.root:
            os.chmod(self.workdir, 0o755)
            shutil.chown(self.workdir, "nobody")
        self._run([self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])

    def _run(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self.root:
            command = ["runuser", "-u", "nobody", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, cwd=self.workdir, timeout=60)

    def start(self) -> "Postgres":
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run([self.pg_ctl, "start", "-w", "-D", str(self.data), "-l", str(self.workdir / "pg.log"), "-o", options])
        return self

    def stop(self) -> None:
        self._run([self.pg_ctl, "stop", "-w", "-m", "fast", "-D", str(self.data)], check=False)

    def _postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        """SIGSTOP the server and every backend: it answers nothing, and clients wait on it."""
        import psutil

        main = psutil.Process(self._postmaster_pid())
        for proc in [main, *main.children(recursive=True)]:
            proc.suspend()

    def thaw(self) -> None:
        import psutil

        main = psutil.Process(self._postmaster_pid())
        for proc in [main, *main.children(recursive=True)]:
            proc.resume()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def wait_ready(self, timeout: float = 20) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url.replace("postgresql://", "postgresql://", 1), connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
