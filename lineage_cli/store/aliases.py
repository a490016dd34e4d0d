"""Aliases in the fold: names declared to be one artifact (OpenLineage ``symlinks``) become one id."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["AliasGroups"]


class AliasGroups:
    """Union-find over artifact names, fed by ``artifact_described`` events during a fold.

    A dataset that carries a ``symlinks`` facet declares its own id and the ids of its
    symlink identifiers; every name linked, directly or through others, is one artifact.
    Its id is the shortest (then alphabetically first) of the names declared as a dataset's
    own id, so the choice depends on what was declared, never on the order it arrived in.

    Examples
    --------
    >>> groups = AliasGroups()
    >>> groups.declare("s3://w/wh/t", ["http://rest/t"])
    >>> groups.declare("s3://w/t", ["http://rest/t"])
    >>> dict(sorted(groups.canonical().items()))
    {'http://rest/t': 's3://w/t', 's3://w/wh/t': 's3://w/t'}
    >>> groups.aliases_of("s3://w/t")
    ['http://rest/t', 's3://w/wh/t']
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._own: set[str] = set()  # names declared as a dataset's own id
        self._members: dict[str, list[str]] | None = None

    def __bool__(self) -> bool:
        return bool(self._parent)

    def _root(self, name: str) -> str:
        parent = self._parent
        root = name
        while parent[root] != root:
            root = parent[root]
        while parent[name] != root:  # path compression, iteratively
            parent[name], name = root, parent[name]
        return root

    def declare(self, artifact_id: str, aliases: Iterable[str]) -> None:
        """``artifact_id`` (a dataset's own id) and ``aliases`` name one artifact."""
        parent = self._parent
        self._own.add(artifact_id)
        parent.setdefault(artifact_id, artifact_id)
        for alias in aliases:
            parent.setdefault(alias, alias)
            a, b = self._root(artifact_id), self._root(alias)
            if a != b:
                parent[max(a, b)] = min(a, b)  # any deterministic rule: roots are internal
        self._members = None

    def _groups(self) -> dict[str, list[str]]:
        if self._members is None:
            members: dict[str, list[str]] = {}
            for name in self._parent:
                members.setdefault(self._root(name), []).append(name)
            self._members = members
        return self._members

    def canonical(self) -> dict[str, str]:
        """Each name that is not its group's id -> the group's id (O(names))."""
        renamed: dict[str, str] = {}
        for names in self._groups().values():
            if len(names) < 2:
                continue
            own = [n for n in names if n in self._own] or names
            chosen = min(own, key=lambda n: (len(n), n))
            renamed.update((n, chosen) for n in names if n != chosen)
        return renamed

    def aliases_of(self, artifact_id: str) -> list[str]:
        """The other names of ``artifact_id``'s group, sorted (empty when it has none)."""
        if artifact_id not in self._parent:
            return []
        names = self._groups()[self._root(artifact_id)]
        return sorted(n for n in names if n != artifact_id)
