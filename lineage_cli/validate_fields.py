"""Field-by-field checks of a parsed lineage document: types, required and unknown fields, ids, times."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lineage_cli.errors import LineageError
from lineage_cli.findings import CODES, Finding, ValidationReport
from lineage_cli.model import ArtifactStatus, TransformationType, parse_timestamp

__all__ = [
    "Checker",
    "check_edge",
    "check_node",
    "check_top",
    "is_dict",
    "member",
    "node_path",
    "quote",
    "type_name",
]

# -- paths and small helpers ---------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def member(path: str, key: str) -> str:
    """``path`` extended by an object member, in JSONPath shorthand when the key allows it."""
    if _NAME.match(key):
        return f"{path}.{key}"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    quoted = "".join(ch if ch >= " " else f"\\u{ord(ch):04x}" for ch in quoted)
    return f"{path}['{quoted}']"


def _of(name: str, artifact_id: str) -> str:
    """How a message names one field of an artifact: "The `status` of artifact 'x'"."""
    return f"The `{name}` of artifact {quote(artifact_id)}"


def _field(name: str) -> str:
    """A field name for a message: in backquotes, or as a Python literal if it has odd characters."""
    return f"`{name}`" if name.isprintable() and "`" not in name else repr(name)


def node_path(artifact_id: str) -> str:
    """The JSONPath of one node."""
    return member("$.nodes", artifact_id)


def type_name(value: Any) -> str:
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


def quote(text: str, limit: int = 80) -> str:
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


class Checker:
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
        """Add one finding, with the severity its code has."""
        severity = CODES[code][0]
        self.report.findings.append(Finding(severity, code, path, message, artifact, edge))

    def expect(
        self, value: Any, want: Callable[[Any], bool], what: str, path: Text, subject: Text, **where: Any
    ) -> bool:
        """Add a ``wrong-type`` finding unless ``want(value)``; return whether it was fine."""
        if want(value):
            return True
        message = f"{_text(subject)} must be {what}, not {type_name(value)}."
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
                member(path, name),
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
        self.add(code, _text(path), f"{_text(subject)} is {quote(value)}, {why}", **where)

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


def is_dict(value: Any) -> bool:
    """Whether ``value`` is a JSON object."""
    return isinstance(value, dict)


def check_top(check: Checker, document: dict[str, Any]) -> None:
    """Check the document's top-level fields and its version."""
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
                f"The file's format version {quote(version)} is not supported; this lineage reads 1.x.",
            )
    if document.get("built_at") is not None:
        check.timestamp(document["built_at"], "$.built_at", "`built_at`")


def _check_metadata(check: Checker, metadata: Any, path: str, artifact_id: str) -> None:
    where: dict[str, Any] = {"artifact": artifact_id}
    if not check.expect(metadata, is_dict, "an object", path, lambda: _of("metadata", artifact_id), **where):
        return
    score = metadata.get("quality_score")
    if "quality_score" in metadata and not (_is_number(score) and 0 <= score <= 1):
        check.add(
            "bad-metadata",
            member(path, "quality_score"),
            f"{_of('metadata.quality_score', artifact_id)} is {score!r}, not a number from 0 to 1.",
            **where,
        )
    if "partition" in metadata and not isinstance(metadata["partition"], str):
        check.add(
            "bad-metadata",
            member(path, "partition"),
            f"{_of('metadata.partition', artifact_id)} must be a string, "
            f"not {type_name(metadata['partition'])}.",
            **where,
        )
    if "visualization" not in metadata:
        return
    vis = metadata["visualization"]
    vis_path = member(path, "visualization")
    if not isinstance(vis, dict):
        check.add(
            "bad-metadata",
            vis_path,
            f"{_of('metadata.visualization', artifact_id)} must be an object, not {type_name(vis)}.",
            **where,
        )
        return
    for key in ("node_label", "node_color", "group"):
        if key in vis and not isinstance(vis[key], str):
            check.add(
                "bad-metadata",
                member(vis_path, key),
                f"{_of('metadata.visualization.' + key, artifact_id)} must be a string, "
                f"not {type_name(vis[key])}.",
                **where,
            )


def check_node(check: Checker, artifact_id: str, node: Any) -> list[str]:
    """Check one node; return its usable input ids (strings, non-empty, deduplicated)."""
    path = node_path(artifact_id)
    where: dict[str, Any] = {"artifact": artifact_id}

    def subject() -> str:
        return f"Artifact {quote(artifact_id)}"

    if artifact_id == "":
        check.add("empty-id", path, "An artifact's id is the empty string, which names no artifact.", **where)
    if not check.expect(node, is_dict, "an object", path, subject, **where):
        return []
    check.fields(node, path, subject, _NODE_REQUIRED, _NODE_FIELDS, **where)
    for name in ("version", "transformation"):
        if name in node:
            check.expect(
                node[name],
                _is_str,
                "a string",
                lambda: member(path, name),  # noqa: B023  (used at once, inside this iteration)
                lambda: _of(name, artifact_id),  # noqa: B023
                **where,
            )
    status = node.get("status")
    if "status" in node and status not in _STATUSES:
        check.add(
            "unknown-status",
            member(path, "status"),
            f"{subject()} has unknown status {quote(str(status))}; use one of: {', '.join(_STATUSES)}.",
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
            member(path, "aliases"),
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
                f"{subject()} lists input {quote(input_id)} more than once.",
                **where,
            )
            continue
        seen.add(input_id)
        usable.append(input_id)
    return usable


def _check_provenance(check: Checker, prov: Any, path: str, artifact_id: str) -> None:
    where: dict[str, Any] = {"artifact": artifact_id}
    if not check.expect(prov, is_dict, "an object", path, lambda: _of("provenance", artifact_id), **where):
        return
    check.fields(prov, path, lambda: _of("provenance", artifact_id), _PROV_REQUIRED, _PROV_FIELDS, **where)
    for name in ("agent", "workflow", "stage"):
        if name in prov:
            check.expect(
                prov[name],
                _is_str,
                "a string",
                lambda: member(path, name),  # noqa: B023  (used at once, inside this iteration)
                lambda: _of(f"provenance.{name}", artifact_id),  # noqa: B023
                **where,
            )
    for name in ("tool", "environment"):
        if name in prov:
            check.expect(
                prov[name],
                _is_optional_str,
                "a string or null",
                lambda: member(path, name),  # noqa: B023  (used at once, inside this iteration)
                lambda: _of(f"provenance.{name}", artifact_id),  # noqa: B023
                **where,
            )
    if "timestamp" in prov:
        check.timestamp(
            prov["timestamp"],
            lambda: member(path, "timestamp"),
            lambda: _of("provenance.timestamp", artifact_id),
            **where,
        )


def check_edge(check: Checker, position: int, edge: Any) -> tuple[str, str] | None:
    """Check one edge; return its (source, target) when both are usable ids."""
    path = f"$.edges[{position}]"
    where: dict[str, Any] = {"edge": position}
    subject = f"Edge #{position}"
    if not check.expect(edge, is_dict, "an object", path, subject, **where):
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
            f"{subject} has unknown transformation type {quote(str(kind))}; use one of: {', '.join(_TYPES)}.",
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
            edge["metadata"], is_dict, "an object", f"{path}.metadata", f"{subject}'s metadata", **where
        )
    return (ends[0], ends[1]) if len(ends) == 2 else None
