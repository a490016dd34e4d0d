"""What OpenLineage dataset facets mean for lineage: symlinks (aliases) and column lineage (column edges)."""

from __future__ import annotations

from typing import Any, Final

from lineage_cli.interop.naming import dataset_artifact_id

__all__ = ["COLUMN_SEPARATOR", "column_edges", "symlink_aliases"]

COLUMN_SEPARATOR: Final = "#"
"""Joins a dataset's id and a column name into a column id: ``s3://lake/orders#amount``."""


def _facet(dataset: dict[str, Any], name: str) -> dict[str, Any] | None:
    facets = dataset.get("facets")
    facet = facets.get(name) if isinstance(facets, dict) else None
    return facet if isinstance(facet, dict) else None


def _named(item: Any) -> bool:
    return isinstance(item, dict) and all(
        isinstance(item.get(k), str) and item[k] for k in ("namespace", "name")
    )


def symlink_aliases(dataset: dict[str, Any], own_id: str) -> list[str]:
    """The ids of a dataset's ``symlinks`` identifiers (other names of the same table), sorted.

    Examples
    --------
    >>> d = {"facets": {"symlinks": {"identifiers": [
    ...     {"namespace": "hive://m:9083", "name": "default.t2", "type": "TABLE"}]}}}
    >>> symlink_aliases(d, "hdfs://m/user/hive/warehouse/t2")
    ['hive://m:9083/default.t2']
    """
    facet = _facet(dataset, "symlinks")
    identifiers = facet.get("identifiers") if facet else None
    if not isinstance(identifiers, list):
        return []
    names = {dataset_artifact_id(i["namespace"], i["name"]) for i in identifiers if _named(i)}
    names.discard(own_id)
    return sorted(names)


def _transformation(item: dict[str, Any], field: dict[str, Any]) -> str | None:
    # Spec 1-2: each input field lists its transformations (type DIRECT/INDIRECT, subtype
    # IDENTITY, TRANSFORMATION, AGGREGATION, JOIN...); before it, one transformationType per field.
    kinds = []
    transformations = item.get("transformations")
    if isinstance(transformations, list):
        for t in transformations:
            if isinstance(t, dict) and isinstance(t.get("type"), str):
                subtype = t.get("subtype")
                kinds.append(f"{t['type']}/{subtype}" if isinstance(subtype, str) and subtype else t["type"])
    if kinds:
        return ",".join(sorted(set(kinds)))
    legacy = field.get("transformationType")
    return legacy if isinstance(legacy, str) and legacy else None


def column_edges(dataset: dict[str, Any]) -> dict[str, list[dict[str, str | None]]]:
    """A dataset's ``columnLineage`` facet as column edges: output column -> its sources.

    Each source is ``{"source": "DATASET_ID#COLUMN", "type": ...}``; ``type`` is the
    transformation when the facet gives one (``DIRECT/IDENTITY``, ``INDIRECT/FILTER``... or
    the older per-field ``transformationType``), else ``None``. Columns and sources come out
    sorted, so the same facet always gives the same edges.

    Examples
    --------
    >>> facet = {"fields": {"total": {"inputFields": [
    ...     {"namespace": "s3://b", "name": "orders", "field": "amount",
    ...      "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}]}]}}}
    >>> column_edges({"facets": {"columnLineage": facet}})
    {'total': [{'source': 's3://b/orders#amount', 'type': 'DIRECT/AGGREGATION'}]}
    """
    facet = _facet(dataset, "columnLineage")
    fields = facet.get("fields") if facet else None
    if not isinstance(fields, dict):
        return {}
    edges: dict[str, list[dict[str, str | None]]] = {}
    for column, field in sorted(fields.items()):
        items = field.get("inputFields") if isinstance(field, dict) else None
        if not isinstance(items, list):
            continue
        sources: dict[str, set[str]] = {}
        for item in items:
            if _named(item) and isinstance(item.get("field"), str) and item["field"]:
                source = (
                    dataset_artifact_id(item["namespace"], item["name"]) + COLUMN_SEPARATOR + item["field"]
                )
                kind = _transformation(item, field)
                sources.setdefault(source, set()).update(kind.split(",") if kind else ())
        if sources:
            edges[column] = [
                {"source": source, "type": ",".join(sorted(kinds)) or None}
                for source, kinds in sorted(sources.items())
            ]
    return edges
