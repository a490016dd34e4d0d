"""Run `lineage serve` as a user does (the installed command, a free loopback port) for the tests."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import orjson

from tests.conftest import LINEAGE

START_TIMEOUT = 60.0
"""Seconds a server may take to start on a loaded machine."""

_URL = re.compile(r"http://(\[[^\]]+\]|[^:/\s]+):(\d+)/")


@dataclass
class Server:
    """A running `lineage serve`: where it listens, its process, and its stderr once stopped."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    store: Path
    """The store directory (for a PostgreSQL store, its URL as given)."""
    stderr: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a fresh connection: status, headers (lower-case names), body."""
        connection = http.client.HTTPConnection(self.host.strip("[]"), self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def post(
        self, document: Any, *, token: str | None = None, gzipped: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """POST a JSON document (or raw bytes) to /api/v1/lineage; the status and the JSON answer."""
        body = document if isinstance(document, bytes) else orjson.dumps(document)
        headers = {"Content-Type": "application/json"}
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        status, _, answer = self.request("POST", "/api/v1/lineage", body, headers)
        return status, orjson.loads(answer)

    def get(self, name: str, **params: Any) -> tuple[int, bytes]:
        """GET /api/v1/NAME?params: the status and the raw body."""
        query = urlencode(params, doseq=True)
        status, _, answer = self.request("GET", f"/api/v1/{name}" + (f"?{query}" if query else ""))
        return status, answer

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Stop the server (gracefully by default); its exit status. Its stderr is kept in ``stderr``."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=timeout)
        self.stderr = "\n".join(self.lines) + "\n" + err.decode(errors="replace")
        return self.process.returncode


def start(store: Path | str, *args: str, env: dict[str, str] | None = None) -> Server:
    """Start `lineage serve --store STORE --port 0 ARGS` and wait for the line naming its port."""
    environment = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        [str(LINEAGE), "serve", "--store", str(store), "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    lines: list[str] = []
    buffered = b""
    while time.monotonic() < deadline:
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        chunk = os.read(process.stderr.fileno(), 65536)
        if not chunk:
            break
        buffered += chunk
        *complete, buffered = buffered.split(b"\n")
        for raw in complete:
            line = raw.decode(errors="replace")
            lines.append(line)
            match = _URL.search(line)
            if match:
                selector.close()
                given = cast(Path, store)  # a URL stays a string: Path() would fold its "//"
                return Server(match.group(1), int(match.group(2)), process, given, lines=lines)
    selector.close()
    process.kill()
    _, rest = process.communicate()
    raise AssertionError("lineage serve did not start:\n" + "\n".join(lines) + rest.decode(errors="replace"))


@contextmanager
def running(store: Path | str, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server for the duration of a ``with`` block; it must stop cleanly and never print a traceback."""
    server = start(store, *args, env=env)
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.stderr, server.stderr


def log_events(store: Path) -> list[dict[str, Any]]:
    """Every event in the store's log, in order."""
    path = store / "events.jsonl"
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def run_event(run: str, state: str = "COMPLETE", *, minute: int = 0, inputs: int = 1) -> dict[str, Any]:
    """A small valid OpenLineage RunEvent writing ``out/RUN`` from ``inputs`` input datasets."""
    return {
        "eventType": state,
        "eventTime": f"2026-03-01T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z",
        "producer": "https://example.com/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run},
        "job": {"namespace": "tests", "name": f"job-{run}"},
        "inputs": [{"namespace": "in", "name": f"{run}-{i}"} for i in range(inputs)],
        "outputs": [{"namespace": "out", "name": run}],
    }
