"""Read and check the files of a dbt project: manifest.json (schema v7 to v12), run_results, catalog."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from lineage_cli.errors import LineageFileError
from lineage_cli.lineagefile import gc_paused

__all__ = ["MANIFEST_VERSIONS", "DbtProject", "read_dbt_project"]

MANIFEST_VERSIONS: Final = range(7, 13)
"""The manifest schema versions read: v7 (dbt 1.3) to v12 (dbt 1.8 and later)."""
_RUN_RESULTS_VERSIONS: Final = range(4, 7)
_SCHEMA_URL: Final = re.compile(r"/(manifest|run-results|catalog)/v(\d+)\.json$")
# Commands whose run_results.json describes compilation, not a build: their "success" built nothing.
_NOT_BUILDS: Final = frozenset({"compile", "generate", "docs", "show", "parse", "list", "ls"})


@dataclass(slots=True)
class DbtProject:
    """The parsed dbt artifacts of one import: the manifest and, when given, run results and catalog."""

    manifest_name: str
    manifest: dict[str, Any]
    run_results_name: str | None = None
    run_results: dict[str, Any] | None = None
    catalog: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def _load_json(path: Path, what: str) -> dict[str, Any]:
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LineageFileError(
            name, "no such file.", hint=f"Pass the {what} dbt writes to its target/ directory."
        ) from None
    except IsADirectoryError:
        raise LineageFileError(name, "is a directory.", hint=f"Pass the {what} file itself.") from None
    except OSError as exc:
        raise LineageFileError(name, f"cannot be read ({exc.strerror})") from None
    try:
        with gc_paused():  # a manifest is hundreds of thousands of containers, none garbage
            document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LineageFileError(
            name, f"not valid JSON ({exc.msg.split(':', 1)[0]}).", hint=f"Pass the {what} dbt wrote."
        ) from None
    if not isinstance(document, dict):
        raise LineageFileError(name, f"expected a JSON object (a dbt {what}).")
    return document


def _schema_version(document: dict[str, Any], name: str, kind: str, accepted: range) -> int:
    """The ``N`` of ``metadata.dbt_schema_version``; a clear error unless a ``kind`` in ``accepted``."""
    metadata = document.get("metadata")
    url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    match = _SCHEMA_URL.search(url) if isinstance(url, str) else None
    wanted = f"dbt {kind} schema v{accepted[0]} to v{accepted[-1]}"
    if match is None or match.group(1) != kind:
        raise LineageFileError(
            name,
            f"not a dbt {kind}: `metadata.dbt_schema_version` is {url!r}.",
            hint=f"Pass the {kind}.json dbt writes to target/ ({wanted}).",
        )
    version = int(match.group(2))
    if version not in accepted:
        raise LineageFileError(
            name,
            f"dbt {kind} schema v{version} is not supported; lineage reads {wanted}.",
            hint="Regenerate it with a dbt that writes one of those (dbt 1.3 or later), "
            "or upgrade lineage if it is newer.",
        )
    return version


def _older_run(manifest: dict[str, Any], results: dict[str, Any], name: str) -> list[str]:
    """A warning when run_results.json is from an earlier dbt command than manifest.json."""
    ran, parsed = _dict(results.get("metadata")), _dict(manifest.get("metadata"))
    if ran.get("invocation_id") == parsed.get("invocation_id"):
        return []
    ran_at, parsed_at = str(ran.get("generated_at", "")), str(parsed.get("generated_at", ""))
    if not ran_at or not parsed_at or ran_at >= parsed_at:
        return []
    return [
        f"{name}: from an earlier dbt command ({ran_at}) than the manifest ({parsed_at}); its statuses "
        "are applied to the manifest's definitions, so import after every dbt run to keep them apart"
    ]


def read_dbt_project(
    path: str | os.PathLike[str],
    *,
    run_results: str | os.PathLike[str] | None = None,
    catalog: str | os.PathLike[str] | None = None,
) -> DbtProject:
    """Read and check the dbt artifacts at ``path`` (a ``target/`` directory or a ``manifest.json``).

    A directory's own ``run_results.json`` and ``catalog.json`` are read when present;
    ``run_results`` and ``catalog`` name them explicitly instead.

    Raises
    ------
    LineageFileError
        When a file is missing, is not JSON, or is not a dbt artifact of a supported schema.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "manifest.json").write_text('{"metadata": {"dbt_schema_version": '
    ...     '"https://schemas.getdbt.com/dbt/manifest/v13.json"}}')
    >>> read_dbt_project(tmp)
    Traceback (most recent call last):
    ...
    lineage_cli.errors.LineageFileError: ...manifest.json: dbt manifest schema v13 is not supported; ...
    """
    target = Path(path)
    manifest_path = target / "manifest.json" if target.is_dir() else target
    if target.is_dir():
        if run_results is None and (target / "run_results.json").is_file():
            run_results = target / "run_results.json"
        if catalog is None and (target / "catalog.json").is_file():
            catalog = target / "catalog.json"
    manifest = _load_json(manifest_path, "manifest.json")
    _schema_version(manifest, str(manifest_path), "manifest", MANIFEST_VERSIONS)
    project = DbtProject(str(manifest_path), manifest)
    if run_results is not None:
        results = _load_json(Path(run_results), "run_results.json")
        _schema_version(results, str(run_results), "run-results", _RUN_RESULTS_VERSIONS)
        which = results.get("args", {}).get("which") if isinstance(results.get("args"), dict) else None
        if which in _NOT_BUILDS:
            project.warnings.append(
                f"{run_results}: written by `dbt {which}`, which builds nothing; its statuses are not applied"
            )
        else:
            project.run_results, project.run_results_name = results, str(run_results)
            project.warnings += _older_run(manifest, results, str(run_results))
    if catalog is not None:
        project.catalog = _load_json(Path(catalog), "catalog.json")
        _schema_version(project.catalog, str(catalog), "catalog", range(1, 2))
    return project


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
