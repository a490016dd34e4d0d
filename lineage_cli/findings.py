"""What validation finds: the finding codes with their severities, one finding, and one file's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CODES", "Finding", "Severity", "ValidationReport"]

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
    >>> report = ValidationReport("lineage.json")
    >>> report.findings.append(Finding("warning", "duplicate-input", "$.nodes.b.inputs[1]", "..."))
    >>> report.errors, report.warnings, report.ok(), report.ok(strict=True)
    (0, 1, True, False)
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
