"""Queries as of a moment on PostgreSQL: fold only the events that can change the answer.

The graph at ``T`` is the fold of every event at or before ``T``
(:func:`lineage_cli.store.postgres.fold.fold_events_until`). A query about a few artifacts
needs far less: an artifact's inputs depend only on its own records, its flow's declared
inputs and the aliases; its node (version, status, stale reason) on those and the same of
everything upstream of it. So :class:`AsOfView` finds the *region* an answer needs with one
recursive query (upstream: the inputs of every record up to ``T`` and of its flow's declared
inputs; downstream: the records naming an artifact, by a GIN index, and the records of flows
that declared it), fetches the region's records and flows in two more, and folds just those
with the one fold: each node whose upstream is in the region is the node of the whole fold.
An external input's timestamp is its first consumer's, so its consumers are folded too (and
left out of the answer). What needs every id (close matches for an unknown id, short names,
selectors, whole-graph queries) falls back to the whole fold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson

from lineage_cli.graph import LineageGraph, natural_id_candidates, require_known
from lineage_cli.model import LineageEdge, LineageNode
from lineage_cli.store.build import _Folder, _order
from lineage_cli.store.events import LogProblem
from lineage_cli.store.postgres.fold import feed

__all__ = ["AsOfView", "Fetch"]

Fetch = Callable[[str, Any], list[Any]]
"""Run one ``SELECT`` (``%s`` or ``%(name)s`` placeholders) and return its rows."""

Row = tuple[int, int, str]
"""``(tx, seq, body)`` of one event: folded in ``(tx, seq)`` order, as a build folds them."""

_COLUMNS = "tx::text, seq, body"
# The expressions of the indexes of schema version 4 (schema.py), spelt exactly as there.
_LINEAGE = "((body::jsonb) ->> 'lineage_id')"
_INPUTS = "((body::jsonb) -> 'inputs')"
_DESCRIBED = "strpos(body, 'artifact_described') > 0"


def _records(keyed: str, unkeyed: str) -> str:
    """The artifact ids of records up to the moment matching ``keyed`` on their ``record_keys`` row (``k``).

    ``lineage build`` fills ``record_keys`` for the records below ``keys_horizon``
    (:func:`lineage_cli.store.postgres.build._index_records`); the few past it (``e``) are
    matched by ``unkeyed`` on their body.
    """
    return (
        f"SELECT k.artifact_id FROM record_keys k WHERE {keyed} AND k.time <= %(moment)s"
        " UNION ALL SELECT e.artifact_id FROM events e WHERE e.tx >= %(keys)s::xid8"
        f" AND e.artifact_id IS NOT NULL AND {unkeyed} AND e.time <= %(moment)s"
    )


_CHILDREN = _records(  # the records naming r.name as an input
    "k.inputs @> ARRAY[r.name]", f"{_INPUTS.replace('body', 'e.body')} ? r.name"
)
_FLOW_RECORDS = _records(  # the records of the walk's flow r.flow
    "k.lineage_id = r.flow", "((e.body::jsonb) ->> 'lineage_id') = r.flow"
)
_ARRAY = "CASE WHEN jsonb_typeof({0}) = 'array' THEN {0} END"  # a malformed event's inputs read as none
_REACH = {
    # One step from a row of the walk: an artifact (``r.name``) or a flow (``r.flow``, its
    # lineage id). A flow is a row of its own so that its events are read once, however many of
    # its artifacts the walk meets. Upstream: an artifact's records up to the moment (not only
    # the latest) give their inputs and their flows, a flow its declared inputs. Downstream: the
    # records naming an artifact, and the flows that declared it; a flow gives its records. With
    # other names, a superset of the ancestors (descendants), itself closed that way.
    "upstream": f"""
        SELECT x.name, x.flow FROM events e
        CROSS JOIN LATERAL (SELECT e.body::jsonb AS j OFFSET 0) AS b
        CROSS JOIN LATERAL (SELECT jsonb_array_elements_text({_ARRAY.format("b.j -> 'inputs'")}), NULL
            UNION ALL SELECT NULL, b.j ->> 'lineage_id') AS x(name, flow)
        WHERE e.artifact_id = r.name AND e.time <= %(moment)s
        UNION ALL
        SELECT jsonb_array_elements_text({_ARRAY.format("(f.body::jsonb) -> 'inputs'")}), NULL FROM events f
        WHERE ((f.body::jsonb) ->> 'lineage_id') = r.flow AND f.artifact_id IS NULL
        AND f.time <= %(moment)s""",
    "downstream": f"""
        SELECT c.artifact_id, NULL FROM ({_CHILDREN}) AS c
        UNION ALL
        SELECT NULL, ((f.body::jsonb) ->> 'lineage_id') FROM events f
        WHERE f.artifact_id IS NULL AND {_INPUTS.replace("body", "f.body")} ? r.name AND f.time <= %(moment)s
        UNION ALL
        SELECT c.artifact_id, NULL FROM ({_FLOW_RECORDS}) AS c""",
}


def _rows(found: Iterable[Any]) -> list[Row]:
    return [(int(tx), int(seq), body) for tx, seq, body in found]


class AsOfView:
    """A :class:`~lineage_cli.graph.GraphView` of a PostgreSQL store's graph as it was at ``moment``.

    Nodes and edges come from the fold of the region asked about (see the module's note), so
    they are byte for byte those of the whole fold; ``whole`` gives the whole fold for what
    needs every id.
    """

    def __init__(
        self, fetch: Fetch, moment: datetime, *, name: str, origin: str, whole: Callable[[], LineageGraph]
    ) -> None:
        self._fetch = fetch
        self._moment = moment
        self._name = name  # names the events in a bad event's error
        self._origin = origin
        self._whole_of = whole
        self._whole: LineageGraph | None = None
        self._shared: _Folder | None = None  # the description events up to the moment, folded once
        self._described: list[Row] = []
        self._renamed: dict[str, str] = {}  # an alias -> the artifact it names, at the moment
        self._records: dict[str, list[Row]] = {}  # id -> its records up to the moment (all its names)
        self._flows: dict[str, list[Row]] = {}  # lineage id -> its flow events and declared inputs
        self._parents: dict[str, list[str] | None] = {}  # id -> its inputs at the moment (None: no record)
        self._children: dict[str, list[str]] = {}
        self._up: set[str] = set()  # ids whose whole upstream is in the region: exact nodes
        self._down: set[str] = set()  # ids whose whole downstream is in the region: exact inputs
        self._consumed: set[str] = set()  # external inputs whose consumers were fetched
        self._graph: LineageGraph | None = None
        self._keys: str | None = None  # record_keys holds every record below this horizon

    # -- probes ----------------------------------------------------------------------------

    def _keyed(self) -> str:
        """The store's ``keys_horizon``, read once (it only grows: a later one is still a bound)."""
        if self._keys is None:
            self._keys = str(self._fetch("SELECT keys_horizon::text FROM build_state WHERE id = 1", ())[0][0])
        return self._keys

    def _descriptions(self) -> _Folder:
        """A fold of the description events up to the moment (aliases), read once."""
        if self._shared is None:
            self._described = [
                row
                for row in _rows(
                    self._fetch(
                        f"SELECT {_COLUMNS} FROM events WHERE artifact_id IS NOT NULL AND {_DESCRIBED}"
                        " AND time <= %s",
                        (self._moment,),
                    )
                )
                if orjson.loads(row[2]).get("kind") == "artifact_described"
            ]
            folder = _Folder(self._moment)
            for _, seq, body in sorted(self._described):
                folder.add(seq, orjson.loads(body))  # a malformed one is reported by the region's fold
            self._renamed = folder.described.aliases.canonical()
            self._shared = folder
        return self._shared

    def _canonical(self, name: str) -> str:
        self._descriptions()
        return self._renamed.get(name, name)

    def _names(self, ids: Iterable[str]) -> list[str]:
        """Every name of each id's artifact (its aliases too), sorted."""
        groups = self._descriptions().described.aliases
        return sorted({n for i in ids for n in (i, *groups.aliases_of(i))})

    def _load(self, ids: Iterable[str]) -> None:
        """Fetch every record of ``ids`` (by all their names) up to the moment, and their flows' events.

        Two queries for any number of ids; the flows of older records come too (harmless: a
        flow decides only the status of the artifacts whose latest record it made).
        """
        wanted = sorted({i for i in ids if i not in self._records})
        if not wanted:
            return
        for artifact_id in wanted:
            self._records[artifact_id] = []
        flows: set[str] = set()
        for tx, seq, body, name, lineage_id in self._fetch(
            f"SELECT {_COLUMNS}, artifact_id, {_LINEAGE} FROM events WHERE artifact_id = ANY(%s)"
            " AND time <= %s",
            (self._names(wanted), self._moment),
        ):
            self._records[self._canonical(name)].append((int(tx), seq, body))
            if lineage_id is not None and lineage_id not in self._flows:
                flows.add(lineage_id)
        if flows:
            for lineage_id in flows:
                self._flows[lineage_id] = []
            for tx, seq, body, lineage_id in self._fetch(
                f"SELECT {_COLUMNS}, {_LINEAGE} FROM events WHERE {_LINEAGE} = ANY(%s)"
                " AND artifact_id IS NULL AND time <= %s",
                (sorted(flows), self._moment),
            ):
                self._flows[lineage_id].append((int(tx), seq, body))
        self._graph = None

    def _local(self, ids: Iterable[str]) -> None:
        """Each id's inputs at the moment (``None``: no record), from a fold of its records and flow."""
        wanted = sorted({i for i in ids if i not in self._parents})
        if not wanted:
            return
        self._load(wanted)
        folder = self._scratch([row for i in wanted for row in self._records[i]])
        for *_, event in folder.current.values():
            for _, seq, body in self._flows.get(event["lineage_id"], ()):
                folder.add(seq, orjson.loads(body))
        resolved = folder.resolved_inputs()
        for artifact_id in wanted:
            found = resolved.get(artifact_id)
            self._parents[artifact_id] = None if found is None else found[0]

    def _scratch(self, records: list[Row]) -> _Folder:
        """The records folded and merged under their aliases (the shared descriptions)."""
        folder = _Folder(self._moment)
        folder.described = self._descriptions().described
        for _, seq, body in sorted(records):
            event = orjson.loads(body)
            if event.get("kind") == "artifact_recorded":
                folder.add(seq, event)
        folder.renamed = folder.described.merge_records(folder.current, folder.older, _order)
        return folder

    def _recorded(self, artifact_id: str) -> bool:
        self._local([artifact_id])
        return self._parents[artifact_id] is not None

    def _candidates(self, ids: list[str]) -> set[str]:
        """Ids whose records up to the moment named one of ``ids``, or whose flow declared one."""
        names = self._names(ids)
        moment, keys = self._moment, self._keyed()
        found = {
            row[0]
            for row in self._fetch(
                _records(
                    "k.inputs && %(names)s::text[]", f"{_INPUTS.replace('body', 'e.body')} ?| %(names)s"
                ),
                {"names": names, "moment": moment, "keys": keys},
            )
        }
        flows = [
            row[0]
            for row in self._fetch(
                f"SELECT DISTINCT {_LINEAGE} FROM events WHERE artifact_id IS NULL AND {_INPUTS} ?| %s"
                " AND time <= %s",
                (names, moment),
            )
        ]
        if flows:
            found.update(
                row[0]
                for row in self._fetch(
                    _records(
                        "k.lineage_id = ANY(%(flows)s)",
                        f"{_LINEAGE.replace('body', 'e.body')} = ANY(%(flows)s)",
                    ),
                    {"flows": flows, "moment": moment, "keys": keys},
                )
            )
        return {self._canonical(c) for c in found}

    def _children_of(self, ids: list[str]) -> dict[str, list[str]]:
        """Each id's children at the moment: the candidates whose inputs then still name it."""
        wanted = [i for i in ids if i not in self._children]
        if wanted:
            candidates = self._candidates(wanted)
            self._local(candidates)
            asked = set(wanted)
            children: dict[str, set[str]] = {i: set() for i in wanted}
            for candidate in candidates:
                for source in self._parents[candidate] or ():
                    if source in asked:
                        children[source].add(candidate)
            self._children.update((i, sorted(found)) for i, found in children.items())
        return {i: self._children[i] for i in ids}

    # -- the region ------------------------------------------------------------------------

    def _reach(self, ids: Iterable[str], direction: str) -> set[str]:
        """A superset of the ids upstream (downstream) of ``ids``, closed that way: one recursive query."""
        self._descriptions()
        renamed = self._renamed
        pairs = [*renamed.items(), *((c, a) for a, c in renamed.items())]
        rows = self._fetch(
            'WITH RECURSIVE other(name, id) AS (SELECT n COLLATE "C", i COLLATE "C"'
            " FROM unnest(%(names)s::text[], %(ids)s::text[]) AS o(n, i)),"
            # flow has the expression indexes' collation, so `= r.flow` probes them.
            ' r(name, flow) AS (SELECT unnest(%(seeds)s::text[]) COLLATE "C", NULL::text UNION'
            f" SELECT n.name, n.flow FROM r CROSS JOIN LATERAL ({_REACH[direction]}"
            # A (NULL, NULL) row (a record with no flow, a null input) leads nowhere and is kept
            # once; filtering it out here would parse each record twice (the filter is pushed down).
            " UNION ALL SELECT id, NULL FROM other WHERE other.name = r.name) AS n(name, flow))"
            " SELECT name FROM r WHERE name IS NOT NULL",
            {
                "names": [a for a, _ in pairs],
                "ids": [b for _, b in pairs],
                "seeds": sorted(ids),
                "moment": self._moment,
                "keys": self._keyed(),
            },
        )
        return {self._canonical(row[0]) for row in rows}

    def _upstream(self, ids: Iterable[str]) -> None:
        """Add ``ids`` and everything upstream of them to the region (found in one query, then folded)."""
        frontier = {i for i in ids if i not in self._up}
        if frontier:
            frontier |= self._reach(frontier, "upstream") - self._up
        if frontier:
            self._graph = None
            self._up |= frontier
            self._load(frontier)

    def _downstream(self, artifact_id: str) -> None:
        """Add everything downstream of ``artifact_id`` to the region, with the events of each.

        Their inputs (so the children of each) are exact; a node's status needs its whole
        upstream, which :meth:`node` adds when asked.
        """
        if artifact_id in self._down:
            return
        reached = self._reach([artifact_id], "downstream") | {artifact_id}
        self._down |= reached  # closed downstream: every child of a reached id is reached
        self._graph = None
        self._load(reached)

    def graph(self) -> LineageGraph:
        """The fold of the region, with only the region's nodes and edges (see the module's note)."""
        if self._whole is not None:
            return self._whole
        if self._graph is None:
            self._graph, recorded = self._fold()
            external = sorted(i for i in self._up - self._consumed - recorded)
            if external:  # its timestamp is its first consumer's: fold them all
                self._consumed.update(external)
                self._load(c for found in self._children_of(external).values() for c in found)
                self._graph, _ = self._fold()
        return self._graph

    def _fold(self) -> tuple[LineageGraph, set[str]]:
        """The region's graph, and which ids in the fold have a record (the rest are external inputs)."""
        bad = _rows(self._fetch(f"SELECT {_COLUMNS} FROM events WHERE time IS NULL", ()))
        every = (self._described, bad, *self._records.values(), *self._flows.values())
        rows = sorted({row[1]: row for found in every for row in found}.values())
        folder = _Folder(self._moment)
        problems: list[LogProblem] = []
        events = ((seq, body) for _, seq, body in rows)
        feed(folder, events, self._name, skip_bad=False, report=problems.append)
        document = folder.finish(problems, 0).document(self._moment)
        region = self._up | self._down
        document["nodes"] = {a: node for a, node in document["nodes"].items() if a in region}
        document["edges"] = [e for e in document["edges"] if e["target"] in region]
        return LineageGraph.from_document(document, origin=self._origin), set(folder.current)

    def whole(self) -> LineageGraph:
        """The whole graph at the moment (the fold of every event up to it), read once."""
        if self._whole is None:
            self._whole = self._whole_of()
        return self._whole

    # -- GraphView -------------------------------------------------------------------------

    def __contains__(self, artifact_id: object) -> bool:
        if not isinstance(artifact_id, str):
            return False
        if self._whole is not None:
            return artifact_id in self._whole
        if self._canonical(artifact_id) != artifact_id:
            return False  # another name of an artifact: alias_of finds it
        return self._recorded(artifact_id) or bool(self._children_of([artifact_id])[artifact_id])

    def parents(self, artifact_id: str) -> tuple[str, ...]:
        """One-hop upstream artifacts at the moment, sorted."""
        self._upstream([artifact_id])
        return self.graph().parents(artifact_id)

    def children(self, artifact_id: str) -> tuple[str, ...]:
        """One-hop downstream artifacts at the moment, sorted."""
        self._downstream(artifact_id)
        return self.graph().children(artifact_id)

    def node(self, artifact_id: str) -> LineageNode | None:
        """The artifact's node at the moment, status and stale reason included."""
        self._upstream([artifact_id])
        return self.graph().node(artifact_id)

    def edge(self, source: str, target: str) -> LineageEdge | None:
        """The first edge from ``source`` to ``target`` at the moment."""
        self._upstream([target])
        return self.graph().edge(source, target)

    def require(self, artifact_id: str) -> str:
        """The id ``artifact_id`` names at the moment; else the error with close matches among every id."""
        return require_known(self, artifact_id, self.artifact_ids)

    def alias_of(self, name: str) -> str | None:
        """The artifact ``name`` is another name (or the natural URI) of at the moment, else ``None``."""
        if self._whole is not None:
            return self._whole.alias_of(name)
        for candidate in (name, *natural_id_candidates(name)):
            if candidate != name and candidate in self:
                return candidate
            target = self._canonical(candidate)
            if target != candidate and self._recorded(target):
                return target
        return None

    def artifact_ids(self) -> list[str]:
        """Every id at the moment: the whole fold."""
        return self.whole().artifact_ids()

    # -- selectors (lineage_cli.selection): answered from the whole graph -------------------

    def attribute_matches(self, key: str, pattern: str) -> list[str]:
        """Sorted ids whose attribute ``key`` matches the glob ``pattern``."""
        from lineage_cli.attributes import node_attributes
        from lineage_cli.names import glob_regex

        regex, whole = glob_regex(pattern), self.whole()
        found = set()
        for aid in whole.artifact_ids():
            node = whole.node(aid)
            if node is not None and any(k == key and regex.fullmatch(v) for k, v in node_attributes(node)):
                found.add(aid)
        return sorted(found)

    def type_matches(self, pattern: str) -> list[str]:
        """Sorted ids with an input edge whose transformation type matches the glob."""
        from lineage_cli.names import glob_regex

        regex = glob_regex(pattern)
        return sorted({e.target for e in self.whole().edges if regex.fullmatch(e.transformation_type.value)})

    def metadata_values(self, key: str) -> list[tuple[str, Any]]:
        """``(id, value)`` for every artifact whose metadata has ``key``."""
        whole = self.whole()
        return [
            (aid, node.metadata[key])
            for aid in whole.artifact_ids()
            if (node := whole.node(aid)) is not None and key in node.metadata
        ]
