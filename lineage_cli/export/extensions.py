"""The export format a file name asks for: ``-o lineage.png`` writes a PNG, never Mermaid text."""

from __future__ import annotations

from pathlib import PurePath
from typing import Final

from lineage_cli.errors import UsageError
from lineage_cli.export import FORMATS

__all__ = ["DEFAULT_FORMAT", "EXTENSIONS", "choose_format"]

DEFAULT_FORMAT: Final = "mermaid"
"""The format when neither ``--format`` nor the file's extension names one."""

EXTENSIONS: Final[dict[str, tuple[str, ...]]] = {
    ".png": ("png",),
    ".svg": ("svg",),
    ".dot": ("dot",),
    ".gv": ("dot",),
    ".mmd": ("mermaid",),
    ".mermaid": ("mermaid",),
    ".json": ("json", "prov-json"),
    ".ndjson": ("openlineage",),
    ".jsonl": ("openlineage",),
    ".html": ("html",),
    ".htm": ("html",),
}
"""Extension -> the formats it may hold, the one it implies first. A format the exporter registry
does not have (``html`` before it is added) is skipped, so the extension then implies nothing."""


def choose_format(output: str | None, requested: str | None) -> str:
    """The format to write: ``requested`` if given, else the one ``output``'s extension implies.

    Raises
    ------
    UsageError
        When ``requested`` contradicts the extension (``-o x.png --format mermaid``).

    Examples
    --------
    >>> choose_format("lineage.png", None), choose_format("x.GV", None), choose_format(None, None)
    ('png', 'dot', 'mermaid')
    >>> choose_format("prov.json", "prov-json")
    'prov-json'
    >>> choose_format("lineage.png", "mermaid")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UsageError: --format mermaid contradicts the file name lineage.png, ...
    """
    suffix = PurePath(output).suffix.lower() if output and output != "-" else ""
    allowed = tuple(fmt for fmt in EXTENSIONS.get(suffix, ()) if fmt in FORMATS)
    if requested is None:
        return allowed[0] if allowed else DEFAULT_FORMAT
    if allowed and requested not in allowed:
        raise UsageError(
            f"--format {requested} contradicts the file name {output}, whose {suffix} extension means "
            f"{' or '.join(allowed)}: drop --format, or name the file for {requested}."
        )
    return requested
