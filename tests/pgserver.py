"""A throwaway PostgreSQL cluster for the tests: Debian's server, run as user ``postgres``, on a Unix socket.

``initdb`` refuses to run as root, so as root the server runs as ``postgres`` (``runuser``).
Settings live in ``postgresql.conf`` (``pg_ctl -o`` options are lost on a restart). Without
PostgreSQL the tests that need it skip and say why; with ``CI`` set they fail instead.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
_databases = itertools.count(1)


def _bin(name: str) -> str | None:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def unavailable(reason: str) -> None:
    """Skip with the reason, or fail when running in CI (where PostgreSQL must be there)."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL tests need a local server: {reason} (apt-get install postgresql)")


@dataclass
class Cluster:
    """A running cluster: its data directory, its socket directory, and how to reach it."""

    root: Path
    data: Path
    socket: Path
    as_user: list[str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, check=check, timeout=120
        )

    def url(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@/{database}?host={self.socket}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        psql = _bin("psql")
        assert psql
        done = self.run(psql, "-h", str(self.socket), "-d", database, "-U", "postgres", "-Atqc", statement)
        return done.stdout

    def new_database(self) -> str:
        name = f"lineage_test_{os.getpid()}_{next(_databases)}"
        self.sql(f"CREATE DATABASE {name}")
        return name

    def start(self) -> None:
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl
        self.run(pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl
        self.run(pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop", check=False)


def start_cluster(*, durable: bool = False) -> Cluster:
    """initdb, settings in postgresql.conf (fsync off unless ``durable``), start; or skip/fail saying why."""
    initdb = _bin("initdb")
    if initdb is None or _bin("pg_ctl") is None:
        unavailable("initdb and pg_ctl were not found")
    assert initdb
    root = Path(tempfile.mkdtemp(prefix="lineage-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            unavailable("running as root needs runuser to start the server as user postgres")
        as_user = [str(runuser), "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    root.chmod(0o755)
    data, socket = root / "data", root / "socket"
    cluster = Cluster(root, data, socket, as_user)
    cluster.run("mkdir", "-p", str(socket))
    done = cluster.run(
        initdb, "--no-sync", "-A", "trust", "-U", "postgres", "--locale=C", "-E", "UTF8", "-D", str(data),
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        unavailable(f"initdb failed: {done.stderr.strip()[:300]}")
    settings = f"listen_addresses = ''\nunix_socket_directories = '{socket}'\nmax_connections = 100\n"
    if not durable:
        # fsync off: an operating-system crash could lose data, a server crash cannot. Commits stay
        # synchronous, so the hard-stop tests see every acknowledged event after the restart.
        settings += "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(settings)
    # These roles log in with a password (the security tests); everyone else is trusted.
    hba = data / "pg_hba.conf"
    hba.write_text("local all pw_writer,pw_reader scram-sha-256\n" + hba.read_text())
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        unavailable(f"the server did not start: {exc.stderr.strip()[:300]}")
    return cluster


@contextlib.contextmanager
def running_cluster(*, durable: bool = False) -> Iterator[Cluster]:
    cluster = start_cluster(durable=durable)
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.root, ignore_errors=True)


@contextlib.contextmanager
def running_standby(primary: Cluster) -> Iterator[Cluster]:
    """A streaming-replication standby of ``primary`` (``pg_basebackup -R``), on its own socket.

    The standby is a real read replica: it replays the primary's WAL and refuses every write.
    """
    basebackup = _bin("pg_basebackup")
    if basebackup is None:
        unavailable("pg_basebackup was not found")
    assert basebackup
    root = Path(tempfile.mkdtemp(prefix="lineage-pg-standby-"))
    if primary.as_user:
        shutil.chown(root, "postgres")
    root.chmod(0o755)
    standby = Cluster(root, root / "data", root / "socket", primary.as_user)
    standby.run("mkdir", "-p", str(standby.socket))
    done = standby.run(
        basebackup, "-h", str(primary.socket), "-U", "postgres", "-D", str(standby.data), "-R",
        "-X", "stream", "--no-sync", "--checkpoint=fast", check=False,
    )  # fmt: skip
    # --checkpoint=fast: by default pg_basebackup waits for a spread checkpoint, minutes on a
    # cluster the other tests have written to.
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"pg_basebackup failed: {done.stderr.strip()[:300]}")
    # The copied settings name the primary's socket directory; the last setting in the file wins.
    with open(standby.data / "postgresql.conf", "a") as conf:
        conf.write(f"unix_socket_directories = '{standby.socket}'\nhot_standby = on\n")
    try:
        standby.start()
    except subprocess.CalledProcessError as exc:
        unavailable(f"the standby did not start: {exc.stderr.strip()[:300]}")
    try:
        yield standby
    finally:
        standby.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
