"""Short names for artifacts: an exact id, an alias, a unique suffix on a separator, or a glob.

Every command that takes an artifact id resolves it here, so ``core__patient`` names
``model.the_tuva_project.core__patient`` wherever an id is accepted. Resolution tries, in order:

1. the exact id;
2. an alias (:func:`lookup_alias`: OpenLineage symlinks and natural URIs);
3. a suffix that starts right after a separator (``.``, ``/``, ``__``, ``:``, ``#``) and
   names exactly one artifact;
4. a glob (``*`` within a ``/``-separated segment, ``**`` across them, ``?`` one character).

A view may answer suffixes and globs itself (:class:`NameLookup`, which the store's SQLite
index implements with indexed range scans); otherwise the ids are scanned in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

from lineage_cli.errors import InputError, UnknownArtifactError
from lineage_cli.graph import GraphView, suggest_ids

__all__ = [
    "SEPARATORS",
    "AmbiguousNameError",
    "NameLookup",
    "glob_regex",
    "has_separator_before",
    "is_glob",
    "lookup_alias",
    "match_glob",
    "match_suffix",
    "resolve",
    "resolve_all",
    "short_labels",
    "sql_glob",
    "suffixes",
]

SEPARATORS: tuple[str, ...] = ("__", ".", "/", ":", "#")
"""Where a short name may start: right after one of these (longest first)."""

_SHOWN = 8
"""Most candidates an ambiguity error lists."""


class AmbiguousNameError(InputError):
    """A short name that matches several artifacts; carries the candidates.

    Examples
    --------
    >>> print(AmbiguousNameError("orders", ["raw.orders", "stg.orders"]))
    'orders' matches 2 artifacts: 'raw.orders', 'stg.orders'. Use a longer suffix or the full id.
    """

    def __init__(self, name: str, candidates: Sequence[str]) -> None:
        self.name = name
        self.candidates = list(candidates)
        shown = ", ".join(repr(c) for c in self.candidates[:_SHOWN])
        more = f" and {len(self.candidates) - _SHOWN} more" if len(self.candidates) > _SHOWN else ""
        super().__init__(
            f"{name!r} matches {len(self.candidates)} artifacts: {shown}{more}.",
            hint="Use a longer suffix or the full id.",
        )


@runtime_checkable
class NameLookup(Protocol):
    """Fast paths a view may offer for names (the SQLite index does; memory scans otherwise)."""

    def ids_with_suffix(self, suffix: str) -> list[str]:
        """Sorted ids that end with ``suffix`` (a separator before it is checked by the caller)."""
        ...

    def ids_like(self, pattern: str) -> list[str]:
        """Sorted ids matching the SQL ``GLOB`` ``pattern`` (a superset, filtered by the caller)."""
        ...

    def nearby_ids(self, name: str) -> list[str]:
        """Ids sharing a long prefix or suffix with ``name``: candidates for close matches."""
        ...


def lookup_alias(view: GraphView, name: str) -> str | None:
    """The artifact id ``name`` is an alias (or the natural URI) of, or ``None``.

    Aliases come from OpenLineage ``symlinks`` facets; every view answers them with
    :meth:`~lineage_cli.graph.GraphView.alias_of`, so every command accepts them.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> lookup_alias(LineageGraph.from_pairs([("a", "b")]), "a") is None
    True
    """
    return view.alias_of(name)


def is_glob(name: str) -> bool:
    """Whether ``name`` has a wildcard (``*`` or ``?``).

    Examples
    --------
    >>> is_glob("model.tuva.*"), is_glob("core__patient")
    (True, False)
    """
    return "*" in name or "?" in name


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a glob: ``**`` any text, ``*`` any text but ``/``, ``?`` one char.

    Examples
    --------
    >>> bool(glob_regex("s3://lake/*").fullmatch("s3://lake/a/b"))
    False
    >>> bool(glob_regex("s3://lake/**").fullmatch("s3://lake/a/b"))
    True
    """
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append(".")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts), re.DOTALL)


def sql_glob(pattern: str) -> str:
    """A SQL ``GLOB`` pattern matching a superset of the glob (SQL's ``*`` crosses ``/``).

    SQL's own special characters are bracketed, so an id's ``[`` is literal.

    Examples
    --------
    >>> sql_glob("model.[x].**")
    'model.[[]x].*'
    """
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append("*")
            index += 2
            continue
        out.append(char if char in "*?" else "[[]" if char == "[" else char)
        index += 1
    return "".join(out)


def has_separator_before(artifact_id: str, suffix: str) -> bool:
    """Whether ``suffix`` ends ``artifact_id`` right after a separator (or starts with one).

    Examples
    --------
    >>> has_separator_before("model.tuva.core__patient", "patient")
    True
    >>> has_separator_before("model.tuva.core__patient", "atient")
    False
    """
    if not artifact_id.endswith(suffix) or len(suffix) >= len(artifact_id):
        return False
    head = artifact_id[: len(artifact_id) - len(suffix)]
    return head.endswith(SEPARATORS) or suffix.startswith(SEPARATORS)


def suffixes(artifact_id: str) -> list[str]:
    """The short names of an id: each tail that starts after a separator, shortest first.

    Examples
    --------
    >>> suffixes("model.tuva.core__patient")
    ['patient', 'core__patient', 'tuva.core__patient']
    """
    found = {
        artifact_id[index:]
        for index in range(1, len(artifact_id))
        if artifact_id[index].isalnum() and artifact_id.endswith(SEPARATORS, 0, index)
    }
    return sorted(found, key=len)


def match_suffix(view: GraphView, suffix: str) -> list[str]:
    """Sorted ids of ``view`` that end with ``suffix`` right after a separator.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> match_suffix(LineageGraph.from_pairs([("raw.orders", "stg.orders")]), "orders")
    ['raw.orders', 'stg.orders']
    """
    if not suffix:
        return []
    ids = view.ids_with_suffix(suffix) if isinstance(view, NameLookup) else view.artifact_ids()
    return sorted(aid for aid in ids if has_separator_before(aid, suffix))


def match_glob(view: GraphView, pattern: str) -> list[str]:
    """Sorted ids of ``view`` matching the glob ``pattern``; else those with a short name matching it.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw.orders", "stg.orders"), ("stg.orders", "m.rpt_orders")])
    >>> match_glob(g, "stg.*"), match_glob(g, "rpt_*")
    (['stg.orders'], ['m.rpt_orders'])
    """
    regex = glob_regex(pattern)
    lookup = view if isinstance(view, NameLookup) else None
    ids = lookup.ids_like(sql_glob(pattern)) if lookup else view.artifact_ids()
    found = [aid for aid in ids if regex.fullmatch(aid)]
    if found or pattern.startswith("*"):
        return found
    # No whole id matches: the glob may be a short name's (`stg_*` for `model.tuva.stg_x`).
    ids = lookup.ids_like("*" + sql_glob(pattern)) if lookup else ids
    return [aid for aid in ids if any(regex.fullmatch(tail) for tail in suffixes(aid))]


def close_matches(view: GraphView, name: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` ids close to ``name``: as whole ids, or as short names (``core__patients``).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> close_matches(LineageGraph.from_pairs([("m.t.core__patient", "m.t.x")]), "core__patients")
    ['m.t.core__patient']
    """
    pool = view.nearby_ids(name) if isinstance(view, NameLookup) else view.artifact_ids()
    by_short: dict[str, set[str]] = {}
    for aid in pool:
        by_short.setdefault(aid, set()).add(aid)
        for tail in suffixes(aid):
            by_short.setdefault(tail, set()).add(aid)
    found: list[str] = []
    for short in suggest_ids(name, by_short, limit=limit * 2):
        for aid in sorted(by_short[short], key=lambda aid: (aid != short, aid)):  # the id itself first
            if aid not in found:
                found.append(aid)
    return found[:limit]


def resolve(view: GraphView, name: str) -> str:
    """The one artifact id ``name`` stands for: exact id, alias, unique suffix, or a one-id glob.

    Raises
    ------
    AmbiguousNameError
        When the suffix or glob matches several artifacts (the candidates are listed).
    UnknownArtifactError
        When nothing matches, with close matches.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw.orders", "stg.orders"), ("stg.orders", "mart.revenue")])
    >>> resolve(g, "revenue"), resolve(g, "stg.orders"), resolve(g, "mart.*")
    ('mart.revenue', 'stg.orders', 'mart.revenue')
    >>> resolve(g, "orders")
    Traceback (most recent call last):
    ...
    lineage_cli.names.AmbiguousNameError: 'orders' matches 2 artifacts: ...
    """
    if name in view:
        return name
    aliased = lookup_alias(view, name)
    if aliased is not None:
        return aliased
    found = match_glob(view, name) if is_glob(name) else match_suffix(view, name)
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousNameError(name, found)
    raise UnknownArtifactError(name, close_matches(view, name))


def resolve_all(view: GraphView, names: Iterable[str]) -> list[str]:
    """:func:`resolve` each name, in order.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> resolve_all(LineageGraph.from_pairs([("a.x", "b.y")]), ["x", "y"])
    ['a.x', 'b.y']
    """
    return [resolve(view, name) for name in names]


def _extension(artifact_id: str, tail: str) -> bool:
    """Whether ``tail`` is only a file name's extension (``csv`` of ``raw/orders.csv``): no label."""
    if "/" not in artifact_id:
        return False
    name = artifact_id.rsplit("/", 1)[1]
    return "." in name and tail == name.rsplit(".", 1)[1]


def short_labels(ids: Sequence[str]) -> dict[str, str]:
    """For each id, its shortest suffix (on a separator) that no other id in ``ids`` shares.

    An id with no unique shorter suffix keeps its whole self; a file's extension alone is never
    a label (``orders.csv``, not ``csv``). So a label is also a short name that :func:`resolve`
    accepts, when ``ids`` is the whole graph.

    Examples
    --------
    >>> short_labels(["model.t.core__patient", "model.t.stg__patient", "seed.t.codes"]).values()
    dict_values(['core__patient', 'stg__patient', 'codes'])
    """
    tails = {aid: [tail for tail in suffixes(aid) if not _extension(aid, tail)] for aid in ids}
    taken: dict[str, int] = {}
    for aid, options in tails.items():
        for tail in {aid, *options}:
            taken[tail] = taken.get(tail, 0) + 1
    labels: dict[str, str] = {}
    for aid, options in tails.items():
        labels[aid] = next((tail for tail in options if taken[tail] == 1 and tail not in tails), aid)
    return labels
