"""A real, throw-away PostgreSQL server for tests: initdb + pg_ctl in a temp dir, on a free port of
127.0.0.1, with password authentication, stopped and deleted on exit even when the test fails.

Postgres refuses to run as root, and CI runs tests as root: there the server runs as the `postgres`
system user (`runuser`), in a directory of /tmp that user owns (pytest's tmp_path is root-only)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest


def _server_bin() -> Path:
    """$PIE_PG_BIN, else the newest of Debian's /usr/lib/postgresql/<major>/bin (15 on bookworm)."""
    if "PIE_PG_BIN" in os.environ:
        return Path(os.environ["PIE_PG_BIN"])
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else -1
    )
    return versions[-1] if versions else Path("/usr/lib/postgresql/15/bin")


BIN = _server_bin()
SERVICE_USER = "postgres"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    db: str

    def dagster_env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its connection from."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> list[str]:
    """The command prefix that runs a Postgres binary as a user it accepts (never root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no {SERVICE_USER!r} user to run PostgreSQL as")
    if shutil.which("runuser") is None:
        pytest.skip("running as root and `runuser` is absent: PostgreSQL cannot be started as another user")
    return ["runuser", "-u", SERVICE_USER, "--"]


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    if done.returncode != 0:
        tail = log.read_text()[-2000:] if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            + (f"\nserver log:\n{tail}" if tail else "")
        )


def _wait_until_ready(port: int, log: Path) -> None:
    """pg_ctl -w returns once the postmaster says so; pg_isready confirms TCP connections are accepted."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while subprocess.run([str(BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"PostgreSQL on 127.0.0.1:{port} not ready after {START_TIMEOUT_S} s:\n"
                + (log.read_text()[-2000:] if log.exists() else "(no log)")
            )
        time.sleep(0.2)


def _stop(prefix: list[str], data: Path) -> None:
    """A fast shutdown; if that fails, SIGKILL the postmaster this module started (its pid file)."""
    stopped = subprocess.run(
        [*prefix, str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30", "stop"],
        capture_output=True,
        text=True,
    )
    pid_file = data / "postmaster.pid"
    if stopped.returncode != 0 and pid_file.exists():
        with suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


@contextmanager
def postgres_server(db: str = "dagster", user: str = "dagster") -> Iterator[PostgresServer]:
    """Yields a running server holding an empty database `db`, owned by superuser `user`."""
    for binary in ("initdb", "pg_ctl", "pg_isready", "createdb"):
        if not (BIN / binary).is_file():
            pytest.skip(
                f"PostgreSQL binaries not found ({BIN / binary} is absent; "
                "install Debian's `postgresql` or set PIE_PG_BIN)"
            )
    prefix = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="pie-pg-"))
    data, log, secret = root / "data", root / "server.log", root / "password"
    password = os.urandom(12).hex()
    secret.write_text(password + "\n")
    if prefix:
        owner = pwd.getpwnam(SERVICE_USER)
        for path in (root, secret):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    started = False
    try:
        _run(
            [
                *prefix,
                str(BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                f"--pwfile={secret}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions",
            ],
            "initdb",
        )
        port = _free_port()
        # Only TCP on 127.0.0.1; the Unix socket in our own directory, not the system's /var/run.
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = True
        _run(
            [
                *prefix,
                str(BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "start",
            ],
            "pg_ctl start",
            log,
        )
        _wait_until_ready(port, log)
        env = {**os.environ, "PGPASSWORD": password}
        created = subprocess.run(
            [str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, db],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
        if created.returncode != 0:
            raise RuntimeError(f"createdb {db} failed: {created.stderr.strip()}")
        yield PostgresServer("127.0.0.1", port, user, password, db)
    finally:
        if started:
            _stop(prefix, data)
        shutil.rmtree(root, ignore_errors=True)
