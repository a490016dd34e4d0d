"""Read the shapes OpenLineage events come in: NDJSON, a JSON array, one or more pretty-printed events."""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from lineage_cli.lineagefile import gc_paused

__all__ = ["BadShape", "read_records"]

Record = tuple[int, Any]
"""``(line, value)``: a decoded JSON value, or the :class:`orjson.JSONDecodeError` of a bad NDJSON line."""

_DECODER: Final = json.JSONDecoder()
_WHITESPACE: Final = " \t\r\n"


class BadShape(ValueError):
    """The file as a whole is not a shape events come in (one sentence naming its shape)."""


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _values(text: str, start: int, *, array: bool) -> list[Record]:
    """The JSON values from ``start`` on: a stream of values, or the elements of an array."""
    values: list[Record] = []
    position, end = start, len(text)
    while True:
        while position < end and text[position] in _WHITESPACE:
            position += 1
        if position >= end:
            if array:
                raise BadShape(f"a JSON array that is not closed (no `]` after line {_line_of(text, end)})")
            return values
        if array and text[position] == "]":
            rest = text[position + 1 :].strip()
            if rest:
                line = _line_of(text, position + 1 + text[position + 1 :].index(rest[0]))
                raise BadShape(f"a JSON array followed by more text at line {line}")
            return values
        try:
            value, after = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            what = "an element of a JSON array" if array else "a JSON value"
            raise BadShape(
                f"{what} that is not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
            ) from None
        values.append((_line_of(text, position), value))
        position = after
        if array:
            while position < end and text[position] in _WHITESPACE:
                position += 1
            if position < end and text[position] == ",":
                position += 1
            elif position < end and text[position] != "]":
                line, column = _line_of(text, position), position - text.rfind("\n", 0, position)
                raise BadShape(f"a JSON array missing a `,` at line {line}, column {column}")


def _whole(data: bytes) -> list[Record]:
    """Records of a file that is not NDJSON: a JSON array, or pretty-printed events one after another."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadShape(f"not UTF-8 text (byte {exc.start}), so not JSON") from None
    start = len(text) - len(text.lstrip())
    if text.startswith("[", start):
        return _values(text, start + 1, array=True)
    return _values(text, start, array=False)


def _describe_start(data: bytes) -> str:
    head = data.lstrip()[:20].decode("utf-8", "replace").split("\n", 1)[0]
    return f"text starting {head!r}"


def read_records(data: bytes) -> tuple[list[Record], int]:
    r"""The JSON records of an event file, each with its line, and how many there are.

    NDJSON (one event a line, what the client's file transport writes) is read line by line,
    so a bad line is reported on its own. A file whose first record is not one line of JSON is
    read whole: a JSON array of events (pretty-printed or not), or one or more pretty-printed
    events. Anything else raises :class:`BadShape` with one sentence naming what the file is.

    Examples
    --------
    >>> read_records(b'{"a": 1}\n{oops\n')[0][0]
    (1, {'a': 1})
    >>> read_records(b'[\n  {"a": 1},\n  {"b": 2}\n]\n')
    ([(2, {'a': 1}), (3, {'b': 2})], 2)
    >>> read_records(b'name,time\nx,1\n')
    Traceback (most recent call last):
    ...
    lineage_cli.interop.openlineage_read.BadShape: not JSON (text starting 'name,time')
    """
    first = data.lstrip()[:1]
    if not first:
        return [], 0
    if first not in (b"{", b"["):
        if first in b'"-0123456789tfn':
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
            else:
                raise BadShape(f"one JSON {type(value).__name__}, not an event, a list of events or NDJSON")
        raise BadShape(f"not JSON ({_describe_start(data)})")
    parsed: list[Record] = []
    records = 0
    with gc_paused():  # parsing allocates many containers and none are garbage
        if first == b"{":
            for number, line in enumerate(data.split(b"\n"), start=1):
                if not line.strip():
                    continue
                records += 1
                try:
                    parsed.append((number, orjson.loads(line)))
                except orjson.JSONDecodeError as exc:
                    if records == 1:  # not NDJSON: read the file whole
                        break
                    parsed.append((number, exc))
            else:
                return parsed, records
        whole = _whole(data)
    return whole, len(whole)
