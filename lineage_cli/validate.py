"""Validate a lineage file: every structural, reference, timestamp and graph problem, as findings.

The finding codes and report types are in :mod:`lineage_cli.findings`, the field-by-field
checks in :mod:`lineage_cli.validate_fields`; this module checks references and cycles and is
the entry point.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson

from lineage_cli.findings import CODES, Finding, Severity, ValidationReport
from lineage_cli.lineagefile import STDIN, gc_paused, read_bytes
from lineage_cli.validate_fields import (
    Checker,
    check_edge,
    check_node,
    check_top,
    is_dict,
    member,
    node_path,
    quote,
    type_name,
)

__all__ = [
    "CODES",
    "Finding",
    "Severity",
    "ValidationReport",
    "find_cycle",
    "reports_to_dict",
    "validate_bytes",
    "validate_document",
    "validate_file",
    "validate_paths",
]


def find_cycle(successors: Callable[[str], Sequence[str]], nodes: Sequence[str]) -> list[str] | None:
    """Return one cycle as ``[a, b, ..., a]``, or ``None`` when the graph is acyclic.

    An iterative depth-first search with one iterator per stack frame (the approach of
    CPython's ``graphlib``), so a 100,000-deep chain needs no recursion. ``nodes`` are
    tried as roots in the given order and ``successors`` should be sorted, which makes
    the cycle found deterministic.

    Examples
    --------
    >>> succ = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    >>> find_cycle(lambda n: succ.get(n, []), ["d", "a", "b", "c"])
    ['a', 'b', 'c', 'a']
    >>> find_cycle(lambda n: [], ["a"]) is None
    True
    """
    seen: set[str] = set()
    on_stack: dict[str, int] = {}
    stack: list[str] = []
    iterators: list[Iterator[str]] = []
    for root in nodes:
        if root in seen:
            continue
        node = root
        while True:
            if node in seen:
                if node in on_stack:
                    return [*stack[on_stack[node] :], node]
            else:
                seen.add(node)
                on_stack[node] = len(stack)
                stack.append(node)
                iterators.append(iter(successors(node)))
            # Descend into the next unexplored successor, popping finished frames.
            while stack:
                following = next(iterators[-1], None)
                if following is not None:
                    node = following
                    break
                del on_stack[stack.pop()]
                iterators.pop()
            else:
                break
    return None


def _check_graph(
    check: Checker,
    node_ids: dict[str, list[str]],
    edges: list[tuple[int, str, str]],
) -> None:
    """Reference, duplicate, consistency and cycle checks over the usable ids."""
    first_edge: dict[tuple[str, str], int] = {}
    input_sets = {artifact_id: set(inputs) for artifact_id, inputs in node_ids.items()}
    for position, source, target in edges:
        path = f"$.edges[{position}]"
        where: dict[str, Any] = {"edge": position}
        for role, end in (("source", source), ("target", target)):
            if end not in node_ids:
                check.add(
                    "dangling-edge",
                    f"{path}.{role}",
                    f"Edge #{position}'s {role} {quote(end)} is not an artifact in this file.",
                    **where,
                )
        pair = (source, target)
        if pair in first_edge:
            check.add(
                "duplicate-edge",
                path,
                f"Edge #{position} repeats edge #{first_edge[pair]} from {quote(source)} to {quote(target)}.",
                **where,
            )
            continue
        first_edge[pair] = position
        listed = input_sets.get(target)
        if listed is not None and source not in listed:
            check.add(
                "edge-not-in-inputs",
                path,
                f"Edge #{position} comes from {quote(source)}, which {quote(target)} does not list "
                "in its inputs; loading adds it.",
                **where,
            )
    for artifact_id, inputs in node_ids.items():
        path = node_path(artifact_id)
        for position, input_id in enumerate(inputs):
            if input_id not in node_ids:
                check.add(
                    "dangling-input",
                    f"{path}.inputs[{position}]",
                    f"Artifact {quote(artifact_id)} lists input {quote(input_id)}, "
                    "which is not an artifact in this file.",
                    artifact=artifact_id,
                )
            elif (input_id, artifact_id) not in first_edge:
                check.add(
                    "input-without-edge",
                    f"{path}.inputs[{position}]",
                    f"Artifact {quote(artifact_id)} lists input {quote(input_id)} with no edge for it; "
                    "an implicit `derived` edge is assumed.",
                    artifact=artifact_id,
                )
    _check_cycles(check, node_ids, first_edge)


def _check_cycles(
    check: Checker, node_ids: dict[str, list[str]], first_edge: dict[tuple[str, str], int]
) -> None:
    # The graph the loader builds: explicit edges plus every node's inputs.
    children: dict[str, set[str]] = {}
    for source, target in first_edge:
        children.setdefault(source, set()).add(target)
    for artifact_id, inputs in node_ids.items():
        for input_id in inputs:
            children.setdefault(input_id, set()).add(artifact_id)
    ordered = {key: sorted(value) for key, value in children.items()}
    cycle = find_cycle(lambda n: ordered.get(n, []), sorted(ordered))
    if cycle is None:
        return
    closing = (cycle[-2], cycle[-1])
    position = first_edge.get(closing)
    if position is not None:
        path = f"$.edges[{position}]"
    else:
        path = f"{node_path(closing[1])}.inputs[{node_ids[closing[1]].index(closing[0])}]"
    check.report.findings.append(
        Finding(
            "error",
            "cycle",
            path,
            "The graph has a cycle: "
            + " -> ".join(a if a.isprintable() else repr(a) for a in cycle)
            + "; lineage must be acyclic, so remove one of "
            "these edges.",
            artifact=cycle[0],
            edge=position,
        )
    )


# -- duplicate keys: JSON parsers keep the last value silently ---------------------


class _PairsDict(dict[str, Any]):
    """A dict that remembers which keys appeared more than once in the JSON text."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        counted: set[str] = set()
        self.duplicates: list[str] = []
        for key, _ in pairs:
            if key in counted and key not in self.duplicates:
                self.duplicates.append(key)
            counted.add(key)


def _duplicate_keys(data: bytes) -> Iterator[str]:
    """JSONPaths of every object member that appears twice (an iterative walk)."""
    found = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj = dict(pairs)
        if len(obj) == len(pairs):  # the common case stays a plain, cheap dict
            return obj
        found = True
        return _PairsDict(pairs)

    try:
        tree = json.loads(data, object_pairs_hook=hook)
    except (ValueError, RecursionError):  # orjson accepted it; nothing more to learn here
        return
    if not found:
        return
    pending: list[tuple[str, Any]] = [("$", tree)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                yield member(path, key)
            pending.extend((member(path, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))


# -- entry points ----------------------------------------------------------------------


def validate_document(document: Any, source: str = "<document>") -> ValidationReport:
    """Validate a parsed lineage document and return every finding.

    The raw document is checked, not a decoded graph, so one bad node does not hide the others.

    Parameters
    ----------
    document:
        The parsed JSON value.
    source:
        The file name to report.

    Examples
    --------
    >>> doc = {"version": "1.0", "nodes": {"b": {"version": "1", "status": "fresh",
    ...        "provenance": {"agent": "x", "workflow": "w", "stage": "s",
    ...                       "timestamp": "2026-01-01T00:00:00"},
    ...        "inputs": ["a"], "transformation": "t"}}, "edges": []}
    >>> for f in validate_document(doc).findings:
    ...     print(f.severity, f.code, f.location)
    error naive-timestamp $.nodes.b.provenance.timestamp
    error dangling-input $.nodes.b.inputs[0]
    """
    report = ValidationReport(source)
    check = Checker(report)
    if not isinstance(document, dict):
        check.add("wrong-type", "$", f"The lineage file must hold a JSON object, not {type_name(document)}.")
        return report
    check_top(check, document)
    nodes = document.get("nodes", {})
    raw_edges = document.get("edges", [])
    node_ids: dict[str, list[str]] = {}
    if check.expect(nodes, is_dict, "an object keyed by artifact id", "$.nodes", "`nodes`"):
        for artifact_id, node in nodes.items():
            node_ids[artifact_id] = check_node(check, artifact_id, node)
        report.artifacts = len(nodes)
    edges: list[tuple[int, str, str]] = []
    if check.expect(raw_edges, lambda v: isinstance(v, list), "a list", "$.edges", "`edges`"):
        for position, edge in enumerate(raw_edges):
            ends = check_edge(check, position, edge)
            if ends is not None:
                edges.append((position, *ends))
        report.edges = len(raw_edges)
    _check_graph(check, node_ids, edges)
    return report


def validate_bytes(data: bytes, source: str = "<bytes>") -> ValidationReport:
    r"""Parse and validate the bytes of a lineage file; malformed JSON is a finding, not an exception.

    Examples
    --------
    >>> f = validate_bytes(b'{"nodes": {},\n "edges": [}', "g.json").findings[0]
    >>> f.code, f.line, f.column
    ('malformed-json', 2, 12)
    """
    # Parsing and checking allocate many small objects and free none: the cyclic
    # collector would rescan them all again and again.
    with gc_paused():
        return _validate_bytes(data, source)


def _validate_bytes(data: bytes, source: str) -> ValidationReport:
    try:
        document = orjson.loads(data) if data.strip() else None
    except orjson.JSONDecodeError as exc:
        report = ValidationReport(source)
        report.findings.append(
            Finding(
                "error",
                "malformed-json",
                "$",
                f"The file is not valid JSON ({exc.msg}); fix it or regenerate it with `lineage build`.",
                line=exc.lineno,
                column=exc.colno,
            )
        )
        return report
    if document is None:
        report = ValidationReport(source)
        report.findings.append(
            Finding(
                "error",
                "malformed-json",
                "$",
                "The file is empty; a lineage file is a JSON object.",
                line=1,
                column=1,
            )
        )
        return report
    report = validate_document(document, source)
    duplicates = [
        Finding(
            "error",
            "duplicate-key",
            path,
            f"The key at {path} appears more than once in its object; only the last one would be read.",
        )
        for path in _duplicate_keys(data)
    ]
    report.findings[:0] = duplicates
    return report


def validate_file(path: str | os.PathLike[str]) -> ValidationReport:
    """Read and validate a lineage file (``-`` is standard input).

    Raises
    ------
    LineageFileError
        When the file is missing or unreadable (a malformed file is a finding instead).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> _ = p.write_text('{"version": "1.0", "nodes": {}, "edges": []}')
    >>> validate_file(p).ok(strict=True)
    True
    """
    return validate_paths([path])[0]


def validate_paths(paths: Sequence[str | os.PathLike[str]]) -> list[ValidationReport]:
    """Validate several lineage files; every file is read before any is checked.

    Raises
    ------
    LineageFileError
        When a file is missing or unreadable, so nothing is reported for a half-done run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> _ = p.write_text("[]")
    >>> [r.findings[0].code for r in validate_paths([p])]
    ['wrong-type']
    """
    contents = [("<stdin>" if str(p) == STDIN else str(p), read_bytes(p)) for p in paths]
    return [validate_bytes(data, name) for name, data in contents]


def reports_to_dict(reports: Sequence[ValidationReport], strict: bool = False) -> dict[str, Any]:
    """The ``lineage validate --json`` document for several reports (its shape is in the README).

    Examples
    --------
    >>> reports_to_dict([validate_document({"version": "1.0", "nodes": {}, "edges": []}, "g.json")])["valid"]
    True
    """
    return {
        "valid": all(r.ok(strict) for r in reports),
        "strict": strict,
        "errors": sum(r.errors for r in reports),
        "warnings": sum(r.warnings for r in reports),
        "files": [r.to_dict(strict) for r in reports],
    }
