"""Artifact ids for OpenLineage datasets: ``namespace/name``, readable and reversible."""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import quote, unquote

__all__ = [
    "AGENT_PRODUCER_PREFIX",
    "ARTIFACT_FACET",
    "DEFAULT_NAMESPACE",
    "agent_for_producer",
    "artifact_id_of",
    "dataset_artifact_id",
    "id_for_uri",
    "producer_for_agent",
    "split_artifact_id",
]

AGENT_PRODUCER_PREFIX: Final = "urn:lineage-cli:agent:"
"""An agent name that is not a URI is exported as this prefix + the percent-encoded name."""

ARTIFACT_FACET: Final = "lineageArtifact"
"""Dataset facet whose ``artifactId`` overrides ``namespace/name`` (written for ids without ``/``)."""

DEFAULT_NAMESPACE: Final = "lineage"
"""The dataset namespace used on export for an artifact id that has no ``/`` in it."""

# An OpenLineage namespace in URI form: scheme://authority, the authority free of "/" and "%".
# Such a namespace is written as is; the first "/" after it starts the dataset name.
_URI_NAMESPACE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^/%]*)/(.*)", re.DOTALL)


_ESCAPES: Final = {"%": "%25", "/": "%2F", ":": "%3A"}
_UNESCAPES: Final = {code: char for char, code in _ESCAPES.items()}
_ESCAPED: Final = re.compile("|".join(_UNESCAPES))


def _escape(namespace: str) -> str:
    # Without ":" and "/" the prefix can never look like scheme://authority, so splitting
    # knows it was escaped.
    return "".join(_ESCAPES.get(char, char) for char in namespace)


def _unescape(prefix: str) -> str:
    return _ESCAPED.sub(lambda match: _UNESCAPES[match.group(0)], prefix)


def dataset_artifact_id(namespace: str, name: str) -> str:
    """The artifact id of an OpenLineage dataset: ``namespace + "/" + name`` (one ``/``).

    This is the dataset's URI in OpenLineage's naming convention (``s3://bucket`` and
    ``raw/events.parquet`` give ``s3://bucket/raw/events.parquet``; ``postgres://db:5432``
    and ``shop.public.orders`` give ``postgres://db:5432/shop.public.orders``). So that the id
    can always be split back, a namespace that is not of the form ``scheme://authority`` has
    its ``%``, ``/`` and ``:`` percent-encoded (``%25``, ``%2F``, ``%3A``); common namespaces
    (``bigquery``, ``file``, ``s3://bucket``, ``kafka://host:9092``) never need it. A name
    that begins with ``/`` (a path: ``hdfs://host`` and ``/user/t``) is not given a second
    ``/``, so the id is the dataset's URI, ``hdfs://host/user/t``.

    Examples
    --------
    >>> dataset_artifact_id("s3://bucket", "raw/events.parquet")
    's3://bucket/raw/events.parquet'
    >>> dataset_artifact_id("bigquery", "proj.ds.table")
    'bigquery/proj.ds.table'
    >>> dataset_artifact_id("team/a", "t")
    'team%2Fa/t'
    >>> dataset_artifact_id("hdfs://host", "/user/hive/warehouse/t2")
    'hdfs://host/user/hive/warehouse/t2'
    >>> dataset_artifact_id("file", "/tmp/x.csv")
    'file/tmp/x.csv'
    """
    slash = "" if name.startswith("/") else "/"
    if _URI_NAMESPACE.fullmatch(namespace + "/"):
        return f"{namespace}{slash}{name}"
    return f"{_escape(namespace)}{slash}{name}"


def split_artifact_id(artifact_id: str) -> tuple[str, str] | None:
    """The ``(namespace, name)`` an artifact id came from, or ``None`` when it has no ``/``.

    The inverse of :func:`dataset_artifact_id` (``dataset_artifact_id(*split_artifact_id(i)) == i``);
    a name that began with ``/`` comes back without it.

    Examples
    --------
    >>> split_artifact_id("postgres://db:5432/shop.public.orders")
    ('postgres://db:5432', 'shop.public.orders')
    >>> split_artifact_id("team%2Fa/t")
    ('team/a', 't')
    >>> split_artifact_id("report") is None
    True
    """
    match = _URI_NAMESPACE.fullmatch(artifact_id)
    if match:
        return match.group(1), match.group(2)
    prefix, slash, name = artifact_id.partition("/")
    if not slash:
        return None
    return _unescape(prefix), name


def artifact_id_of(dataset: dict[str, Any]) -> str:
    """The artifact id of a dataset of an OpenLineage event (namespace and name already checked).

    The ``lineageArtifact`` facet, which ``lineage export --format openlineage`` writes
    for ids that are not ``namespace/name``, wins; otherwise :func:`dataset_artifact_id`.

    Examples
    --------
    >>> artifact_id_of({"namespace": "file", "name": "a.csv"})
    'file/a.csv'
    >>> artifact_id_of({"namespace": "lineage", "name": "report",
    ...                 "facets": {"lineageArtifact": {"artifactId": "report"}}})
    'report'
    """
    facets = dataset.get("facets")
    facet = facets.get(ARTIFACT_FACET) if isinstance(facets, dict) else None
    if isinstance(facet, dict) and isinstance(facet.get("artifactId"), str) and facet["artifactId"]:
        return str(facet["artifactId"])
    return dataset_artifact_id(dataset["namespace"], dataset["name"])


_URI: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(?://(?=/))?(.+)", re.DOTALL)


def id_for_uri(uri: str) -> str | None:
    """The artifact id a dataset's natural URI stands for, when it differs from the id.

    OpenLineage's naming spec forms a dataset's URI as ``scheme:[//authority]path``: for
    ``scheme://authority`` namespaces that is the id itself; for bare namespaces it is
    ``file:///tmp/x.csv`` (or ``file:/tmp/x.csv``) for ``file/tmp/x.csv`` and
    ``bigquery:proj.ds.t`` for ``bigquery/proj.ds.t``.

    Examples
    --------
    >>> id_for_uri("file:///tmp/x.csv"), id_for_uri("file:/tmp/x.csv"), id_for_uri("bigquery:p.d.t")
    ('file/tmp/x.csv', 'file/tmp/x.csv', 'bigquery/p.d.t')
    >>> id_for_uri("s3://bucket/key") is None
    True
    """
    match = _URI.fullmatch(uri)
    if match is None or match.group(2).startswith("//"):
        return None
    return dataset_artifact_id(match.group(1), match.group(2))


def producer_for_agent(agent: str) -> str:
    """The OpenLineage ``producer`` (a URI) for an agent: a URI as is, any other name wrapped.

    Examples
    --------
    >>> producer_for_agent("etl bot")
    'urn:lineage-cli:agent:etl%20bot'
    >>> producer_for_agent("https://github.com/OpenLineage/OpenLineage/tree/1.0/client/python")
    'https://github.com/OpenLineage/OpenLineage/tree/1.0/client/python'
    """
    if ("://" in agent or agent.startswith("urn:")) and not agent.startswith(AGENT_PRODUCER_PREFIX):
        return agent
    return AGENT_PRODUCER_PREFIX + quote(agent or "unknown", safe="")


def agent_for_producer(producer: str) -> str:
    """The agent an OpenLineage ``producer`` stands for; the inverse of :func:`producer_for_agent`.

    Examples
    --------
    >>> agent_for_producer(producer_for_agent("etl bot"))
    'etl bot'
    """
    if producer.startswith(AGENT_PRODUCER_PREFIX):
        return unquote(producer.removeprefix(AGENT_PRODUCER_PREFIX))
    return producer
