"""Validate a lineage file: every structural, reference, timestamp and graph problem, as findings."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from lineage_cli.errors import LineageError
from lineage_cli.lineagefile import STDIN, gc_paused, read_bytes
from lineage_cli.model import ArtifactStatus, TransformationType, parse_timestamp

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

Severity = Literal["error", "warning"]

CODES: dict[str, tuple[Severity, str]] = {
    "malformed-json": ("error", "The file is empty or not JSON (reported with its line and column)."),
    "wrong-type": ("error", "A field has the wrong JSON type (for example `inputs` is not a list)."),
    "missing-field": ("error", "A required field is missing."),
    "unknown-field": (
        "error",
        "A field the format does not define (a typo?); free-form data goes in `metadata`.",
    ),
    "duplicate-key": ("error", "A key appears twice in one object, such as two records for one artifact id."),
    "unsupported-version": ("error", "The file's `version` is not 1.x."),
    "empty-id": ("error", "An artifact id, input or edge endpoint is the empty string."),
    "unknown-status": ("error", "A node's `status` is not one of the five statuses."),
    "unknown-edge-type": ("error", "An edge's `type` is not one of the six transformation types."),
    "bad-timestamp": ("error", "A timestamp is not an RFC 3339 date-time."),
    "naive-timestamp": ("error", "A timestamp has no timezone, so it is ambiguous."),
    "bad-metadata": ("error", "`quality_score`, `partition` or `visualization` in `metadata` is malformed."),
    "dangling-input": ("error", "A node lists an input that is not an artifact in the file."),
    "dangling-edge": ("error", "An edge's source or target is not an artifact in the file."),
    "duplicate-edge": ("error", "Two edges join the same source and target."),
    "cycle": ("error", "The graph has a cycle (one is printed); lineage must be acyclic."),
    "duplicate-input": ("warning", "A node lists the same input twice."),
    "input-without-edge": (
        "warning",
        "A node lists an input with no edge for it; an implicit `derived` edge is assumed.",
    ),
    "edge-not-in-inputs": (
        "warning",
        "An edge's source is missing from its target's `inputs`; it is added when loading.",
    ),
}
"""Every finding code: its severity and what it means (the README's table is checked against it)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a lineage file.

    ``path`` is a JSONPath to the offending value (``$.nodes['a/b'].inputs[0]``, ``$.edges[3]``);
    ``artifact`` and ``edge`` repeat the artifact id and edge index it concerns, when any;
    ``line`` and ``column`` are set for malformed JSON.

    Examples
    --------
    >>> f = Finding("error", "cycle", "$.edges[1]", "The graph has a cycle: a -> b -> a.", edge=1)
    >>> f.location
    '$.edges[1]'
    """

    severity: Severity
    code: str
    path: str
    message: str
    artifact: str | None = None
    edge: int | None = None
    line: int | None = None
    column: int | None = None

    @property
    def location(self) -> str:
        """Where the problem is: the line and column for malformed JSON, else the JSONPath."""
        if self.line is not None:
            return f"line {self.line}, column {self.column}"
        return self.path

    def to_dict(self) -> dict[str, Any]:
        """The finding as a JSON object (every key present, ``null`` when not applicable)."""
        return {
            "severity": self.severity,
            "code": self.code,
            "path": self.path,
            "artifact": self.artifact,
            "edge": self.edge,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(slots=True)
class ValidationReport:
    """The findings for one lineage file, in document order, plus what was checked.

    Examples
    --------
    >>> report = validate_document({"version": "1.0", "nodes": {}, "edges": []})
    >>> report.errors, report.warnings, report.ok()
    (0, 0, True)
    """

    source: str
    findings: list[Finding] = field(default_factory=list)
    artifacts: int = 0
    edges: int = 0

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(1 for f in self.findings if f.severity == "warning")

    def ok(self, strict: bool = False) -> bool:
        """Whether the file passes: no errors, and with ``strict`` no warnings either."""
        return self.errors == 0 and not (strict and self.warnings)

    def to_dict(self, strict: bool = False) -> dict[str, Any]:
        """The report as a JSON object (the shape is documented in the README)."""
        return {
            "file": self.source,
            "valid": self.ok(strict),
            "artifacts": self.artifacts,
            "edges": self.edges,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
        }


# -- paths and small helpers ---------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _member(path: str, key: str) -> str:
    """``path`` extended by an object member, in JSONPath shorthand when the key allows it."""
    if _NAME.match(key):
        return f"{path}.{key}"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    quoted = "".join(ch if ch >= " " else f"\\u{ord(ch):04x}" for ch in quoted)
    return f"{path}['{quoted}']"


def _of(name: str, artifact_id: str) -> str:
    """How a message names one field of an artifact: "The `status` of artifact 'x'"."""
    return f"The `{name}` of artifact {_quote(artifact_id)}"


def _field(name: str) -> str:
    """A field name for a message: in backquotes, or as a Python literal if it has odd characters."""
    return f"`{name}`" if name.isprintable() and "`" not in name else repr(name)


def _node_path(artifact_id: str) -> str:
    return _member("$.nodes", artifact_id)


def _type_name(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _quote(text: str, limit: int = 80) -> str:
    """``repr`` of a value, shortened so one finding stays one line."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


# RFC 3339 date-time, as the JSON Schema's pattern has it: upper-case T and Z only, which is
# what Python's datetime.fromisoformat (and so the loader) reads.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})?\Z",
    re.ASCII,
)


Text = str | Callable[[], str]
"""A message part, or a function that builds it: most values are fine, so most text is never built."""


def _text(text: Text) -> str:
    return text if isinstance(text, str) else text()


def _timestamp_problem(value: str) -> tuple[str, str] | None:
    """The finding code and the end of its message for a bad timestamp, or ``None`` if it is fine."""
    match = _RFC3339.match(value)
    if match is None:
        return "bad-timestamp", "which is not an RFC 3339 date-time; write it like 2026-01-31T12:00:00Z."
    if match.group("zone") is None:
        return "naive-timestamp", "which has no timezone, so it is ambiguous; add Z for UTC or an offset."
    try:
        parse_timestamp(value)
    except LineageError:
        return "bad-timestamp", "which is not a real date and time."
    return None


class _Checker:
    """Collects findings while walking one parsed document."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.good_times: set[str] = set()  # timestamps already checked: files repeat them a lot

    def add(
        self,
        code: str,
        path: str,
        message: str,
        *,
        artifact: str | None = None,
        edge: int | None = None,
    ) -> None:
        severity = CODES[code][0]
        self.report.findings.append(Finding(severity, code, path, message, artifact, edge))

    def expect(
        self, value: Any, want: Callable[[Any], bool], what: str, path: Text, subject: Text, **where: Any
    ) -> bool:
        """Add a ``wrong-type`` finding unless ``want(value)``; return whether it was fine."""
        if want(value):
            return True
        message = f"{_text(subject)} must be {what}, not {_type_name(value)}."
        self.add("wrong-type", _text(path), message, **where)
        return False

    def fields(
        self,
        obj: dict[str, Any],
        path: str,
        subject: Text,
        required: frozenset[str],
        known: frozenset[str],
        **where: Any,
    ) -> None:
        """Report required fields that are missing and fields the format does not define."""
        keys = obj.keys()
        if required <= keys and keys <= known:
            return
        # Report in a fixed order (set order depends on the hash seed).
        for name in sorted(required - keys):
            self.add("missing-field", path, f"{_text(subject)} has no `{name}` field.", **where)
        for name in [key for key in obj if key not in known]:
            self.add(
                "unknown-field",
                _member(path, name),
                f"{_text(subject)} has a field {_field(name)} that the format does not define; "
                "move free-form data into `metadata`.",
                **where,
            )

    def timestamp(self, value: Any, path: Text, subject: Text, **where: Any) -> None:
        """Check an RFC 3339 date-time with a timezone."""
        if not self.expect(value, _is_str, "an RFC 3339 timestamp string", path, subject, **where):
            return
        if value in self.good_times:
            return
        problem = _timestamp_problem(value)
        if problem is None:
            self.good_times.add(value)
            return
        code, why = problem
        self.add(code, _text(path), f"{_text(subject)} is {_quote(value)}, {why}", **where)

    def artifact_id(self, value: Any, path: Text, subject: Text, **where: Any) -> bool:
        """Check that an id is a non-empty string; return whether it is usable."""
        if isinstance(value, str) and value:
            return True
        if self.expect(value, _is_str, "an artifact id string", path, subject, **where):
            message = f"{_text(subject)} is the empty string, which names no artifact."
            self.add("empty-id", _text(path), message, **where)
        return False


_STATUSES = [s.value for s in ArtifactStatus]
_TYPES = [t.value for t in TransformationType]
_TOP_FIELDS = frozenset(("$schema", "version", "built_at", "nodes", "edges"))
_TOP_REQUIRED = frozenset(("version", "nodes", "edges"))
_NODE_FIELDS = frozenset(
    ("version", "status", "provenance", "inputs", "transformation", "metadata", "aliases", "columns")
)
_NODE_REQUIRED = frozenset(("version", "status", "provenance", "inputs", "transformation"))
_PROV_FIELDS = frozenset(("agent", "workflow", "stage", "timestamp", "tool", "environment"))
_PROV_REQUIRED = frozenset(("agent", "workflow", "stage", "timestamp"))
_EDGE_FIELDS = frozenset(("source", "target", "type", "description", "metadata"))
_EDGE_REQUIRED = frozenset(("source", "target", "type"))


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _check_top(check: _Checker, document: dict[str, Any]) -> None:
    check.fields(document, "$", "The lineage file", _TOP_REQUIRED, _TOP_FIELDS)
    if "$schema" in document:
        check.expect(document["$schema"], _is_str, "a string", "$['$schema']", "`$schema`")
    version = document.get("version")
    if "version" in document and check.expect(version, _is_str, "a string", "$.version", "`version`"):
        assert isinstance(version, str)
        if not re.fullmatch(r"1(\.[0-9]+)?", version):
            check.add(
                "unsupported-version",
                "$.version",
                f"The file's format version {_quote(version)} is not supported; this lineage reads 1.x.",
            )
    if document.get("built_at") is not None:
        check.timestamp(document["built_at"], "$.built_at", "`built_at`")


def _check_metadata(check: _Checker, metadata: Any, path: str, artifact_id: str) -> None:
    where: dict[str, Any] = {"artifact": artifact_id}
    if not check.expect(metadata, _is_dict, "an object", path, lambda: _of("metadata", artifact_id), **where):
        return
    score = metadata.get("quality_score")
    if "quality_score" in metadata and not (_is_number(score) and 0 <= score <= 1):
        check.add(
            "bad-metadata",
            _member(path, "quality_score"),
            f"{_of('metadata.quality_score', artifact_id)} is {score!r}, not a number from 0 to 1.",
            **where,
        )
    if "partition" in metadata and not isinstance(metadata["partition"], str):
        check.add(
            "bad-metadata",
            _member(path, "partition"),
            f"{_of('metadata.partition', artifact_id)} must be a string, "
            f"not {_type_name(metadata['partition'])}.",
            **where,
        )
    if "visualization" not in metadata:
        return
    vis = metadata["visualization"]
    vis_path = _member(path, "visualization")
    if not isinstance(vis, dict):
        check.add(
            "bad-metadata",
            vis_path,
            f"{_of('metadata.visualization', artifact_id)} must be an object, not {_type_name(vis)}.",
            **where,
        )
        return
    for key in ("node_label", "node_color", "group"):
        if key in vis and not isinstance(vis[key], str):
            check.add(
                "bad-metadata",
                _member(vis_path, key),
                f"{_of('metadata.visualization.' + key, artifact_id)} must be a string, "
                f"not {_type_name(vis[key])}.",
                **where,
            )


def _check_node(check: _Checker, artifact_id: str, node: Any) -> list[str]:
    """Check one node; return its usable input ids (strings, non-empty, deduplicated)."""
    path = _node_path(artifact_id)
    where: dict[str, Any] = {"artifact": artifact_id}

    def subject() -> str:
        return f"Artifact {_quote(artifact_id)}"

    if artifact_id == "":
        check.add("empty-id", path, "An artifact's id is the empty string, which names no artifact.", **where)
    if not check.expect(node, _is_dict, "an object", path, subject, **where):
        return []
    check.fields(node, path, subject, _NODE_REQUIRED, _NODE_FIELDS, **where)
    for name in ("version", "transformation"):
        if name in node:
            check.expect(
                node[name],
                _is_str,
                "a string",
                lambda: _member(path, name),  # noqa: B023  (used at once, inside this iteration)
                lambda: _of(name, artifact_id),  # noqa: B023
                **where,
            )
    status = node.get("status")
    if "status" in node and status not in _STATUSES:
        check.add(
            "unknown-status",
            _member(path, "status"),
            f"{subject()} has unknown status {_quote(str(status))}; use one of: {', '.join(_STATUSES)}.",
            **where,
        )
    if "provenance" in node:
        _check_provenance(check, node["provenance"], f"{path}.provenance", artifact_id)
    if "metadata" in node:
        _check_metadata(check, node["metadata"], f"{path}.metadata", artifact_id)
    if "aliases" in node:
        check.expect(
            node["aliases"],
            lambda v: (
                isinstance(v, list) and all(isinstance(a, str) and a for a in v) and len(set(v)) == len(v)
            ),
            "a list of distinct ids",
            _member(path, "aliases"),
            lambda: _of("aliases", artifact_id),
            **where,
        )
    inputs = node.get("inputs", [])
    inputs_path = f"{path}.inputs"
    if not check.expect(
        inputs,
        lambda v: isinstance(v, list),
        "a list",
        inputs_path,
        lambda: _of("inputs", artifact_id),
        **where,
    ):
        return []
    usable: list[str] = []
    seen: set[str] = set()
    for position, input_id in enumerate(inputs):
        if not check.artifact_id(
            input_id,
            lambda: f"{inputs_path}[{position}]",  # noqa: B023  (used at once, inside this iteration)
            lambda: _of(f"inputs[{position}]", artifact_id),  # noqa: B023
            **where,
        ):
            continue
        if input_id in seen:
            check.add(
                "duplicate-input",
                f"{inputs_path}[{position}]",
                f"{subject()} lists input {_quote(input_id)} more than once.",
                **where,
            )
            continue
        seen.add(input_id)
        usable.append(input_id)
    return usable


def _check_provenance(check: _Checker, prov: Any, path: str, artifact_id: str) -> None:
    where: dict[str, Any] = {"artifact": artifact_id}
    if not check.expect(prov, _is_dict, "an object", path, lambda: _of("provenance", artifact_id), **where):
        return
    check.fields(prov, path, lambda: _of("provenance", artifact_id), _PROV_REQUIRED, _PROV_FIELDS, **where)
    for name in ("agent", "workflow", "stage"):
        if name in prov:
            check.expect(
                prov[name],
                _is_str,
                "a string",
                lambda: _member(path, name),  # noqa: B023  (used at once, inside this iteration)
                lambda: _of(f"provenance.{name}", artifact_id),  # noqa: B023
                **where,
            )
    for name in ("tool", "environment"):
        if name in prov:
            check.expect(
                prov[name],
                _is_optional_str,
                "a string or null",
                lambda: _member(path, name),  # noqa: B023  (used at once, inside this iteration)
                lambda: _of(f"provenance.{name}", artifact_id),  # noqa: B023
                **where,
            )
    if "timestamp" in prov:
        check.timestamp(
            prov["timestamp"],
            lambda: _member(path, "timestamp"),
            lambda: _of("provenance.timestamp", artifact_id),
            **where,
        )


def _check_edge(check: _Checker, position: int, edge: Any) -> tuple[str, str] | None:
    """Check one edge; return its (source, target) when both are usable ids."""
    path = f"$.edges[{position}]"
    where: dict[str, Any] = {"edge": position}
    subject = f"Edge #{position}"
    if not check.expect(edge, _is_dict, "an object", path, subject, **where):
        return None
    check.fields(edge, path, subject, _EDGE_REQUIRED, _EDGE_FIELDS, **where)
    ends: list[str] = []
    for name in ("source", "target"):
        if name in edge and check.artifact_id(edge[name], f"{path}.{name}", f"{subject}'s {name}", **where):
            ends.append(edge[name])
    kind = edge.get("type")
    if "type" in edge and kind not in _TYPES:
        check.add(
            "unknown-edge-type",
            f"{path}.type",
            f"{subject} has unknown transformation type {_quote(str(kind))}; "
            f"use one of: {', '.join(_TYPES)}.",
            **where,
        )
    if "description" in edge:
        check.expect(
            edge["description"],
            _is_str,
            "a string",
            f"{path}.description",
            f"{subject}'s description",
            **where,
        )
    if "metadata" in edge:
        check.expect(
            edge["metadata"], _is_dict, "an object", f"{path}.metadata", f"{subject}'s metadata", **where
        )
    return (ends[0], ends[1]) if len(ends) == 2 else None


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
    check: _Checker,
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
                    f"Edge #{position}'s {role} {_quote(end)} is not an artifact in this file.",
                    **where,
                )
        pair = (source, target)
        if pair in first_edge:
            check.add(
                "duplicate-edge",
                path,
                f"Edge #{position} repeats edge #{first_edge[pair]} "
                f"from {_quote(source)} to {_quote(target)}.",
                **where,
            )
            continue
        first_edge[pair] = position
        listed = input_sets.get(target)
        if listed is not None and source not in listed:
            check.add(
                "edge-not-in-inputs",
                path,
                f"Edge #{position} comes from {_quote(source)}, which {_quote(target)} does not list "
                "in its inputs; loading adds it.",
                **where,
            )
    for artifact_id, inputs in node_ids.items():
        path = _node_path(artifact_id)
        for position, input_id in enumerate(inputs):
            if input_id not in node_ids:
                check.add(
                    "dangling-input",
                    f"{path}.inputs[{position}]",
                    f"Artifact {_quote(artifact_id)} lists input {_quote(input_id)}, "
                    "which is not an artifact in this file.",
                    artifact=artifact_id,
                )
            elif (input_id, artifact_id) not in first_edge:
                check.add(
                    "input-without-edge",
                    f"{path}.inputs[{position}]",
                    f"Artifact {_quote(artifact_id)} lists input {_quote(input_id)} with no edge for it; "
                    "an implicit `derived` edge is assumed.",
                    artifact=artifact_id,
                )
    _check_cycles(check, node_ids, first_edge)


def _check_cycles(
    check: _Checker, node_ids: dict[str, list[str]], first_edge: dict[tuple[str, str], int]
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
        path = f"{_node_path(closing[1])}.inputs[{node_ids[closing[1]].index(closing[0])}]"
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
                yield _member(path, key)
            pending.extend((_member(path, k), v) for k, v in reversed(value.items()))
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
    check = _Checker(report)
    if not isinstance(document, dict):
        check.add("wrong-type", "$", f"The lineage file must hold a JSON object, not {_type_name(document)}.")
        return report
    _check_top(check, document)
    nodes = document.get("nodes", {})
    raw_edges = document.get("edges", [])
    node_ids: dict[str, list[str]] = {}
    if check.expect(nodes, _is_dict, "an object keyed by artifact id", "$.nodes", "`nodes`"):
        for artifact_id, node in nodes.items():
            node_ids[artifact_id] = _check_node(check, artifact_id, node)
        report.artifacts = len(nodes)
    edges: list[tuple[int, str, str]] = []
    if check.expect(raw_edges, lambda v: isinstance(v, list), "a list", "$.edges", "`edges`"):
        for position, edge in enumerate(raw_edges):
            ends = _check_edge(check, position, edge)
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
