"""Output helpers: data to stdout (rich on a tty, plain when piped, or JSON); messages to stderr."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson
import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = [
    "buffer_stdout",
    "console",
    "error",
    "info",
    "is_terminal",
    "paged",
    "print_ids",
    "print_json",
    "table",
    "warn",
    "warn_unbuilt",
]


def buffer_stdout() -> None:
    """Give stdout a buffer when Python runs unbuffered (``PYTHONUNBUFFERED``, ``python -u``).

    Unbuffered, ``sys.stdout.buffer`` is a bare ``FileIO`` whose ``write`` may write only part
    of a large document and return the count, which nobody checks: the rest was lost silently
    and a reader that went away (``| head``) went unnoticed, exit 0 instead of 141. A
    ``BufferedWriter`` writes everything or raises. Our commands flush after their output, so
    nothing is held back.
    """
    stream = sys.stdout
    if isinstance(getattr(stream, "buffer", None), io.FileIO):
        raw = io.FileIO(stream.fileno(), "wb", closefd=False)
        buffered = io.BufferedWriter(raw)
        sys.stdout = io.TextIOWrapper(
            buffered, encoding=stream.encoding, errors=stream.errors, line_buffering=stream.isatty()
        )


def is_terminal() -> bool:
    """Whether stdout is a terminal (rich output) rather than a pipe or file (plain output)."""
    return sys.stdout.isatty()


def console() -> Console:
    """A rich console on stdout; rich is imported only when output goes to a terminal."""
    from rich.console import Console

    return Console(highlight=False)


PAGER_ENV = "LINEAGE_PAGER"
"""The pager for output longer than the terminal (default: ``$PAGER``, else ``less -FRX``); empty: cut."""


@contextmanager
def paged(what: str = "") -> Iterator[Console]:
    """A console whose output goes through a pager, or is cut with a count, when taller than the terminal.

    Only for terminal output: piped output is never cut. The pager is ``$LINEAGE_PAGER``, else
    ``$PAGER``, else ``less -FRX``; with no pager (empty, missing, or stdin not a terminal) the
    output is cut to the screen's height and stderr says how many lines are hidden and how to
    see them all (``what`` names the command's ``--json`` or pipe form).
    """
    out = console()
    with out.capture() as captured:
        yield out
    import shlex
    import shutil
    import subprocess

    text = captured.get()
    lines = text.splitlines(keepends=True)
    height = max(shutil.get_terminal_size().lines - 2, 5)
    if len(lines) <= height:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    chosen = os.environ.get(PAGER_ENV, os.environ.get("PAGER", "less -FRX"))
    command = shlex.split(chosen) if chosen else []
    if command and shutil.which(command[0]) and sys.stdin.isatty():
        sys.stdout.flush()
        subprocess.run(command, input=text.encode(), check=False)
        return
    sys.stdout.write("".join(lines[:height]))
    sys.stdout.flush()
    hidden = len(lines) - height
    info(
        f"… {hidden:,} more lines not shown; pipe the output ({what or 'the command'} | less) to see it all."
    )


def table(*columns: str, **options: Any) -> Table:
    """A borderless rich table whose cells fold, never truncate (``options`` go to ``Table``)."""
    from rich.table import Table

    result = Table(show_edge=False, pad_edge=False, **options)
    for column in columns:
        # Fold, never truncate: a cut-off artifact id cannot be copied into the next command.
        result.add_column(column, overflow="fold")
    return result


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def print_json(document: Any) -> None:
    """Print exactly one JSON document to stdout, keys in insertion order, indented."""
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2, default=_default)
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.flush()


def print_ids(ids: Iterable[str]) -> None:
    """Print artifact ids one per line (already sorted by the core), for `| xargs`.

    An id may legally contain a line break, which one-per-line output cannot show: such ids
    are printed as they are, and stderr says so and points to ``--json``, which is exact.
    """
    out = sys.stdout
    broken = 0
    for artifact_id in ids:
        if "\n" in artifact_id or "\r" in artifact_id:
            broken += 1
        out.write(artifact_id + "\n")
    out.flush()
    if broken:
        warn(
            f"{broken} artifact id(s) in this answer contain a line break, so they span several "
            "lines here; use --json for exact ids."
        )


def warn(message: str) -> None:
    """Print a warning to stderr."""
    typer.echo(f"warning: {message}", err=True)


def warn_unbuilt(count: int) -> None:
    """Say once that the answer misses events not built yet (see ``store.freshness``)."""
    events = "event is" if count == 1 else "events are"
    warn(f"{count:,} {events} not built yet, so this answer is from the last build; run `lineage build`.")


def info(message: str) -> None:
    """Print a progress or status message to stderr."""
    typer.echo(message, err=True)


def error(message: str) -> None:
    """Print an error sentence to stderr."""
    typer.echo(f"error: {message}", err=True)
