"""Read and write lineage files (the JSON interchange format), with errors that name the position."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import orjson

from lineage_cli.errors import InputError, LineageFileError
from lineage_cli.graph import LineageGraph, gc_paused

__all__ = [
    "STDIN",
    "dumps_graph",
    "gc_paused",
    "load_graph",
    "loads_graph",
    "read_bytes",
    "read_document",
    "save_graph",
]

STDIN = "-"
"""The file name that means standard input."""


def _display_name(path: str | os.PathLike[str]) -> str:
    return "<stdin>" if str(path) == STDIN else str(path)


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and parse a lineage file (``-`` is standard input) into a JSON object.

    Raises
    ------
    LineageFileError
        When the file is missing, unreadable, not JSON (with line and column), or not an object.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> _ = p.write_text('{"nodes": {}, "edges": []}')
    >>> read_document(p)["edges"]
    []
    """
    return parse_document(read_bytes(path), _display_name(path))


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a lineage file's bytes (``-`` is standard input).

    Raises
    ------
    LineageFileError
        When the file is missing, a directory, or unreadable.

    Examples
    --------
    >>> read_bytes("no/such/lineage.json")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.LineageFileError: no/such/lineage.json: no such file. ...
    """
    name = _display_name(path)
    try:
        return sys.stdin.buffer.read() if str(path) == STDIN else Path(path).read_bytes()
    except FileNotFoundError:
        raise LineageFileError(
            name,
            "no such file.",
            hint=(
                "Pass --graph FILE, set LINEAGE_GRAPH, "
                "or run `lineage build` to create the store's lineage.json."
            ),
        ) from None
    except IsADirectoryError:
        raise LineageFileError(name, "is a directory, not a lineage file.") from None
    except OSError as exc:
        raise LineageFileError(name, f"cannot be read ({exc.strerror}).") from None


def parse_document(data: bytes, name: str) -> dict[str, Any]:
    """Parse lineage-file bytes; ``name`` is used in error messages.

    Examples
    --------
    >>> parse_document(b'{"nodes": {}, "edges": []}', "x.json")
    {'nodes': {}, 'edges': []}
    >>> parse_document(b"[]", "x.json")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.LineageFileError: x.json: the top level must be a JSON object with `nodes` and `edges`.
    """
    if not data.strip():
        raise LineageFileError(name, "the file is empty.", hint="Expected a lineage JSON document.")
    try:
        with gc_paused():
            document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LineageFileError(
            name,
            f"not valid JSON ({exc.msg}).",
            line=exc.lineno,
            column=exc.colno,
            hint="Fix the file or regenerate it with `lineage build`.",
        ) from None
    if not isinstance(document, dict):
        raise LineageFileError(name, "the top level must be a JSON object with `nodes` and `edges`.")
    return document


def loads_graph(data: bytes, name: str = "<bytes>") -> LineageGraph:
    """Parse lineage-file bytes into a :class:`LineageGraph`.

    Examples
    --------
    >>> len(loads_graph(b'{"nodes": {}, "edges": []}'))
    0
    """
    document = parse_document(data, name)
    try:
        return LineageGraph.from_document(document, name)
    except LineageFileError:
        raise
    except InputError as exc:
        raise LineageFileError(name, exc.message, hint=exc.hint) from None


def load_graph(path: str | os.PathLike[str]) -> LineageGraph:
    """Load a lineage file (``-`` is standard input).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> _ = p.write_text('{"nodes": {}, "edges": []}')
    >>> load_graph(p).version
    '1.0'
    """
    document = read_document(path)
    try:
        return LineageGraph.from_document(document, _display_name(path))
    except LineageFileError:
        raise
    except InputError as exc:
        raise LineageFileError(_display_name(path), exc.message, hint=exc.hint) from None


def dumps_graph(graph: LineageGraph, *, indent: bool = True) -> bytes:
    """Serialize a graph in the lineage file format (deterministic bytes, trailing newline).

    Examples
    --------
    >>> dumps_graph(LineageGraph()).startswith(b"{")
    True
    """
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(graph.to_document(), option=option) + b"\n"


def save_graph(graph: LineageGraph, path: str | os.PathLike[str]) -> None:
    """Write a graph atomically (temp file, fsync, ``os.replace``); ``-`` writes to stdout.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lineage.json"
    >>> save_graph(LineageGraph.from_pairs([("a", "b")]), path)
    >>> load_graph(path) == LineageGraph.from_pairs([("a", "b")])
    True
    """
    data = dumps_graph(graph)
    if str(path) == STDIN:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        from lineage_cli.store.atomic import write_atomic  # tempfile: only writers pay for it

        write_atomic(path, data)
