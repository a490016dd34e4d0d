"""``artifact_described`` events in the fold: aliases (OpenLineage ``symlinks``) and metadata to merge.

Names declared to be one artifact become one id; metadata declared about an artifact (an
OpenLineage DatasetEvent) is merged into its node when newer than its record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

__all__ = ["AliasGroups", "Descriptions"]

Record = tuple[datetime, int, int, dict[str, Any]]
"""One record of an artifact in the fold: (time, position in the log, record number, event)."""


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


class Descriptions:
    """What the fold's ``artifact_described`` events said, and how it changes the fold's records.

    Examples
    --------
    >>> from lineage_cli.model import parse_timestamp
    >>> d = Descriptions()
    >>> d.add(parse_timestamp("2026-01-02"), {"artifact_id": "s3://w/t", "aliases": ["hive://m/t"],
    ...                                       "metadata": {"owner": "ann"}})
    >>> d.metadata_since("s3://w/t", parse_timestamp("2026-01-01")), bool(d)
    ({'owner': 'ann'}, True)
    """

    def __init__(self) -> None:
        self.aliases = AliasGroups()
        self._metadata: dict[str, list[tuple[datetime, str, dict[str, Any]]]] = {}

    def __bool__(self) -> bool:
        return bool(self.aliases) or bool(self._metadata)

    def add(self, moment: datetime, event: dict[str, Any]) -> str | None:
        """Fold one ``artifact_described`` event; return a problem sentence if it is malformed."""
        aliases = event.get("aliases") or []
        if type(aliases) is not list or not all(type(a) is str for a in aliases):
            return "`aliases` must be a list of artifact ids"
        metadata = event.get("metadata")
        if metadata is not None and type(metadata) is not dict:
            return "`metadata` must be an object"
        if aliases:
            self.aliases.declare(event["artifact_id"], aliases)
        if metadata:
            updates = self._metadata.setdefault(event["artifact_id"], [])
            updates.append((moment, event.get("event_id") or "", metadata))
        return None

    def merge_records(
        self,
        current: dict[str, Record],
        older: dict[str, list[Record]],
        order: Callable[[Record], Any],
    ) -> dict[str, str]:
        """Give each artifact known by an alias the records of all its names, in place (O(records)).

        Returns the renaming: each alias -> the artifact it names.
        """
        if not self.aliases:
            return {}
        renamed = self.aliases.canonical()
        # An artifact takes the place of the first of its names the fold met, so the order does
        # not depend on which name a build had already merged (incremental builds agree).
        places = list(dict.fromkeys(renamed.get(name, name) for name in current))
        for name in [n for n in current if n in renamed]:
            target = renamed[name]
            records = [*older.pop(name, ()), current.pop(name)]
            if target in current:
                records += [*older.pop(target, ()), current[target]]
            records.sort(key=order)
            records = [(r[0], r[1], number, r[3]) for number, r in enumerate(records, start=1)]
            current[target] = records[-1]
            if len(records) > 1:
                older[target] = records[:-1]
        # Every artifact with other names numbers its records by their order, whether or not an
        # alias was recorded in this fold: an incremental build (seeded with merged records) and
        # one full build then number them alike.
        for target in sorted(set(renamed.values())):
            if target in current and target in older:
                records = sorted([*older[target], current[target]], key=order)
                records = [(r[0], r[1], number, r[3]) for number, r in enumerate(records, start=1)]
                current[target] = records[-1]
                older[target] = records[:-1]
        placed = {name: current[name] for name in places}
        current.clear()
        current.update(placed)
        for name in [n for n in self._metadata if n in renamed]:
            self._metadata.setdefault(renamed[name], []).extend(self._metadata.pop(name))
        return renamed

    def metadata_since(self, artifact_id: str, since: datetime) -> dict[str, Any] | None:
        """The metadata declared about ``artifact_id`` at or after ``since`` (later wins)."""
        updates = self._metadata.get(artifact_id)
        if not updates:
            return None
        merged: dict[str, Any] = {}
        for moment, _, metadata in sorted(updates, key=lambda u: (u[0], u[1])):
            if moment >= since:
                merged.update(metadata)
        return merged

    @staticmethod
    def renamed_columns(columns: dict[str, Any], renamed: dict[str, str]) -> dict[str, Any]:
        """Column edges whose source datasets are named by an alias, renamed to the artifact's id."""
        result: dict[str, Any] = {}
        for column, sources in columns.items():
            if type(sources) is not list:
                result[column] = sources
                continue
            moved = []
            for source in sources:
                name = source.get("source") if type(source) is dict else None
                if type(name) is str:
                    dataset, sep, field_name = name.rpartition("#")
                    if sep and dataset in renamed:
                        source = {**source, "source": f"{renamed[dataset]}#{field_name}"}
                moved.append(source)
            result[column] = moved
        return result
