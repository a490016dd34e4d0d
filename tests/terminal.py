"""Run the installed `lineage` on a pseudo-terminal of a chosen size, as a user at a terminal would."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
from dataclasses import dataclass

from tests.conftest import LINEAGE


@dataclass(frozen=True)
class TerminalRun:
    """What a terminal showed (stdout), what went to stderr, and the exit code."""

    code: int
    screen: str
    stderr: str


def run_on_terminal(
    *args: str, rows: int = 40, cols: int = 120, env: dict[str, str] | None = None
) -> TerminalRun:
    """Run ``lineage ARGS`` with stdin and stdout on a pty of ``rows`` x ``cols``; stderr piped."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS", "PAGER")}
    environment.update(env or {})
    process = subprocess.Popen(
        [str(LINEAGE), *args], stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=environment
    )
    os.close(slave)
    chunks: list[bytes] = []
    while select.select([master], [], [], 60)[0]:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    code = process.wait(timeout=60)
    screen = b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")
    return TerminalRun(code, screen, stderr)
