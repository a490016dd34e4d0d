"""The lineage graph: artifacts and edges with parent and child indexes, decoded lazily from JSON."""

from __future__ import annotations

import difflib
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from lineage_cli.errors import InputError, UnknownArtifactError
from lineage_cli.graphdoc import (
    bad_node,
    edge_from_document,
    edge_to_document,
    in_file,
    natural_id_candidates,
    node_from_document,
    node_to_document,
)
from lineage_cli.model import (
    LineageEdge,
    LineageNode,
    ProvenanceRecord,
    TransformationType,
    format_timestamp,
    parse_timestamp,
)

__all__ = [
    "FORMAT_VERSION",
    "GraphView",
    "LineageGraph",
    "edge_from_document",
    "edge_to_document",
    "gc_paused",
    "group_pairs",
    "natural_id_candidates",
    "node_from_document",
    "node_to_document",
    "require_known",
    "suggest_ids",
]

FORMAT_VERSION = "1.0"
"""The lineage file format version this library writes."""

IMPLICIT_EDGE_DESCRIPTION = "implicit: listed in the target's inputs"
_EDGE_TYPES = frozenset(t.value for t in TransformationType)


class GraphView(Protocol):
    """What every query needs from a graph: membership, one-hop neighbours and nodes.

    Both the in-memory :class:`LineageGraph` and the store's on-disk index implement it,
    so a query reads only what it visits. ``parents`` and ``children`` return sorted,
    duplicate-free sequences, which makes every traversal deterministic.
    """

    def __contains__(self, artifact_id: object) -> bool:
        """Whether the id names an artifact or an edge endpoint."""
        ...

    def parents(self, artifact_id: str) -> Sequence[str]:
        """One-hop upstream artifacts (sorted)."""
        ...

    def children(self, artifact_id: str) -> Sequence[str]:
        """One-hop downstream artifacts (sorted)."""
        ...

    def node(self, artifact_id: str) -> LineageNode | None:
        """The artifact's record, or ``None`` when it is only an edge endpoint."""
        ...

    def edge(self, source: str, target: str) -> LineageEdge | None:
        """The first edge from ``source`` to ``target``, or ``None``."""
        ...

    def require(self, artifact_id: str) -> str:
        """The id ``artifact_id`` names (itself, or the artifact it is an alias of).

        Raises :class:`UnknownArtifactError` when it names none.
        """
        ...

    def alias_of(self, name: str) -> str | None:
        """The artifact id ``name`` is an alias (or the natural URI) of, or ``None``."""
        ...

    def artifact_ids(self) -> Sequence[str]:
        """Every known id (nodes and edge endpoints), sorted.

        Only whole-graph queries (``cross_workflow_links``) call it; walks never do.
        """
        ...


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Parsing a large file or indexing its edges allocates millions of containers and none are
    garbage; a collection pass in the middle costs up to half the time.

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def suggest_ids(artifact_id: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Return up to ``limit`` known ids close to ``artifact_id``, best first.

    Ids equal after case-folding and dropping punctuation come first; then
    difflib's ratio over candidates of similar length (so a million ids stay cheap).

    Examples
    --------
    >>> suggest_ids("raw_data", ["raw-data", "report", "clean-data"])
    ['raw-data']
    """

    def squash(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    wanted = squash(artifact_id)
    exact: list[str] = []
    near: list[str] = []
    for candidate in candidates:
        if candidate == artifact_id:
            continue
        if squash(candidate) == wanted:
            exact.append(candidate)
        elif abs(len(candidate) - len(artifact_id)) <= max(3, len(artifact_id) // 3):
            near.append(candidate)
    exact.sort()
    if len(exact) >= limit:
        return exact[:limit]
    close = difflib.get_close_matches(artifact_id, sorted(near), n=limit - len(exact), cutoff=0.6)
    return exact + close


class _NodeMap(MutableMapping[str, LineageNode]):
    """Artifact id -> node, decoding each raw JSON node the first time it is read.

    A query on a large file touches a few nodes; decoding all of them up front would
    cost more than parsing the file.
    """

    __slots__ = ("_items", "origin")

    def __init__(self, items: dict[str, Any], origin: str | None = None) -> None:
        self._items = items
        self.origin = origin
        """The lineage file the raw nodes came from, named in their errors."""

    def __getitem__(self, artifact_id: str) -> LineageNode:
        value = self._items[artifact_id]
        if type(value) is not LineageNode:
            try:
                value = node_from_document(artifact_id, value)
            except InputError as exc:
                raise in_file(self.origin, exc) from None
            self._items[artifact_id] = value
        return value

    def __setitem__(self, artifact_id: str, node: LineageNode) -> None:
        self._items[artifact_id] = node

    def __delitem__(self, artifact_id: str) -> None:
        del self._items[artifact_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, artifact_id: object) -> bool:
        return artifact_id in self._items

    def raw_inputs(self, artifact_id: str) -> Sequence[str]:
        """The node's input ids without decoding the rest of it."""
        value = self._items[artifact_id]
        if type(value) is LineageNode:
            return value.inputs
        if not isinstance(value, dict):
            self[artifact_id]  # raises the precise error
        inputs = value.get("inputs", [])
        # Ids are sorted and used as keys later: a number or null among them must fail here.
        if not isinstance(inputs, list) or not all(type(i) is str for i in inputs):
            raise in_file(self.origin, bad_node(artifact_id, "`inputs` must be a list of artifact ids"))
        return inputs


def require_known(view: GraphView, artifact_id: str, candidates: Callable[[], Iterable[str]]) -> str:
    """The id ``artifact_id`` names in ``view`` (itself, or the artifact it is an alias of).

    The shared body of every view's ``require``: views differ only in where close matches
    come from (``candidates`` is called only for an unknown id).

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw_data", "report")])
    >>> require_known(g, "report", g.artifact_ids)
    'report'
    >>> require_known(g, "raw-data", g.artifact_ids)
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UnknownArtifactError: Unknown artifact 'raw-data'. ...
    """
    if artifact_id in view:
        return artifact_id
    target = view.alias_of(artifact_id)
    if target is not None:
        return target
    raise UnknownArtifactError(artifact_id, suggest_ids(artifact_id, candidates()))


def group_pairs(pairs: Iterable[tuple[str, str]], into: dict[str, Any]) -> None:
    """Append each value to its key's list in ``into``: the hot loop of building an index.

    Examples
    --------
    >>> index: dict[str, Any] = {}
    >>> group_pairs([("a", "b"), ("a", "c"), ("d", "b")], index)
    >>> index
    {'a': ['b', 'c'], 'd': ['b']}
    """
    with gc_paused():
        for key, value in pairs:
            found = into.get(key)
            if found is None:
                into[key] = [value]
            else:
                found.append(value)


class LineageGraph:
    """Artifacts (nodes) and the edges between them, indexed by parents and children.

    Node ``inputs`` and edges are kept in agreement: an input with no edge gets an
    implicit ``derived`` edge, and an edge adds its source to the target's inputs.
    Indexes are built on first use, in O(V + E), and neighbour lists are sorted.

    Examples
    --------
    >>> from lineage_cli.model import parse_timestamp
    >>> g = LineageGraph()
    >>> t = parse_timestamp("2026-01-01")
    >>> for aid, inputs in [("raw", []), ("clean", ["raw"]), ("report", ["clean"])]:
    ...     g.add_node(LineageNode(aid, "1", ProvenanceRecord("bot", "wf", "s", t), inputs, ""))
    >>> g.parents("report")
    ('clean',)
    >>> [(e.source, e.target) for e in g.edges]
    [('raw', 'clean'), ('clean', 'report')]
    """

    def __init__(
        self,
        nodes: Iterable[LineageNode] = (),
        edges: Iterable[LineageEdge] = (),
        *,
        version: str = FORMAT_VERSION,
        built_at: datetime | None = None,
        schema: str | None = None,
    ) -> None:
        self.version = version
        self.built_at = built_at
        self.schema = schema
        """The file's ``$schema`` reference, kept so that load then save loses nothing."""
        self.nodes: _NodeMap = _NodeMap({n.artifact_id: n for n in nodes})
        self._raw_edges: list[Any] = []
        self._explicit: list[LineageEdge] | None = list(edges)
        self._edges_cache: list[LineageEdge] | None = None
        self._parents: dict[str, Any] | None = None
        self._children: dict[str, Any] | None = None
        self._first_edge: dict[tuple[str, str], int] | None = None
        self._aliases: dict[str, str] | None = None

    # -- construction -------------------------------------------------------------

    @classmethod
    def from_document(cls, document: Mapping[str, Any], origin: str | None = None) -> LineageGraph:
        """Build a graph from a parsed lineage file without decoding every node.

        ``origin`` names the file in the errors of nodes and edges decoded later.

        Raises
        ------
        InputError
            When the top level is not a lineage document.

        Examples
        --------
        >>> doc = {"version": "1.0", "built_at": "2026-01-01T00:00:00Z", "nodes": {}, "edges": []}
        >>> len(LineageGraph.from_document(doc).nodes)
        0
        """
        if not isinstance(document, Mapping):
            raise InputError("A lineage file must hold a JSON object at the top level.")
        nodes = document.get("nodes", {})
        edges = document.get("edges", [])
        if not isinstance(nodes, dict):
            raise InputError("`nodes` must be an object keyed by artifact id.")
        if not isinstance(edges, list):
            raise InputError("`edges` must be a list.")
        built_at_text = document.get("built_at")
        graph = cls(version=str(document.get("version", FORMAT_VERSION)))
        schema = document.get("$schema")
        graph.schema = schema if isinstance(schema, str) else None
        if built_at_text:
            graph.built_at = parse_timestamp(built_at_text, what="built_at")
        graph.nodes = _NodeMap(nodes, origin)
        graph._raw_edges = edges
        graph._explicit = None
        return graph

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[str, str]], *, workflow: str = "default", when: datetime | None = None
    ) -> LineageGraph:
        """Build a small graph from ``(source, target)`` pairs; handy in examples and tests.

        Every endpoint becomes an artifact produced by agent ``"unknown"`` in ``workflow``.

        Examples
        --------
        >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report")])
        >>> sorted(g.nodes), g.children("raw")
        (['clean', 'raw', 'report'], ('clean',))
        """
        moment = when or parse_timestamp("1970-01-01")
        inputs: dict[str, list[str]] = {}
        for source, target in pairs:
            inputs.setdefault(source, [])
            inputs.setdefault(target, []).append(source)
        graph = cls(built_at=moment)
        for artifact_id, parents in inputs.items():
            provenance = ProvenanceRecord("unknown", workflow, "", moment)
            graph.nodes[artifact_id] = LineageNode(artifact_id, "1", provenance, parents, "")
        return graph

    def to_document(self) -> dict[str, Any]:
        """Encode the graph in the lineage file format (implicit edges made explicit).

        Examples
        --------
        >>> sorted(LineageGraph().to_document())
        ['built_at', 'edges', 'nodes', 'version']
        >>> list(LineageGraph(schema="lineage-graph.schema.json").to_document())[0]
        '$schema'
        """
        head = {"$schema": self.schema} if self.schema is not None else {}
        return {
            **head,
            "version": self.version,
            "built_at": format_timestamp(self.built_at) if self.built_at else None,
            "nodes": {aid: node_to_document(self.node_with_inputs(aid)) for aid in self.nodes},
            "edges": [edge_to_document(e) for e in self.edges],
        }

    # -- mutation -----------------------------------------------------------------

    def _invalidate(self) -> None:
        self._edges_cache = None
        self._parents = None
        self._children = None
        self._first_edge = None
        self._aliases = None

    def _edge_at(self, position: int) -> LineageEdge:
        try:
            return edge_from_document(self._raw_edges[position], position)
        except InputError as exc:
            raise in_file(self.nodes.origin, exc) from None

    def _explicit_edges(self) -> list[LineageEdge]:
        if self._explicit is None:
            self._explicit = [self._edge_at(i) for i in range(len(self._raw_edges))]
            self._raw_edges = []
        return self._explicit

    def add_node(self, node: LineageNode) -> None:
        """Add an artifact, replacing any earlier record with the same id."""
        self.nodes[node.artifact_id] = node
        self._invalidate()

    def add_edge(self, edge: LineageEdge) -> None:
        """Add an edge; its source joins the target's inputs when the node view is read."""
        self._explicit_edges().append(edge)
        self._invalidate()

    def remove_node(self, artifact_id: str) -> None:
        """Remove an artifact and every edge into or out of it."""
        del self.nodes[artifact_id]
        self._explicit = [e for e in self._explicit_edges() if artifact_id not in (e.source, e.target)]
        self._invalidate()

    # -- reading ------------------------------------------------------------------

    @property
    def edges(self) -> list[LineageEdge]:
        """Every edge: the explicit ones in file order, then implicit ones from ``inputs``."""
        if self._edges_cache is None:
            explicit = self._explicit_edges()
            seen = {(e.source, e.target) for e in explicit}
            implicit = []
            for aid in self.nodes:
                for src in self.nodes.raw_inputs(aid):
                    # An input listed twice still gets one implicit edge.
                    if (src, aid) not in seen:
                        seen.add((src, aid))
                        implicit.append(
                            LineageEdge(src, aid, TransformationType.DERIVED, IMPLICIT_EDGE_DESCRIPTION)
                        )
            self._edges_cache = explicit + implicit
        return self._edges_cache

    def _explicit_pairs(self) -> Iterator[tuple[str, str]]:
        # Read endpoints straight from the raw JSON when edges are not decoded yet:
        # building the index must not pay for decoding every edge.
        if self._explicit is None:
            for position, raw in enumerate(self._raw_edges):
                try:
                    source, target = raw["source"], raw["target"]
                    if not (type(source) is str and type(target) is str):
                        raise TypeError
                except (TypeError, KeyError):
                    self._edge_at(position)  # raises the precise error
                    raise
                yield source, target
        else:
            for edge in self._explicit:
                yield edge.source, edge.target

    def node_documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each artifact id with its node in the file format, raw nodes passed through undecoded.

        Examples
        --------
        >>> [aid for aid, _ in LineageGraph.from_pairs([("a", "b")]).node_documents()]
        ['a', 'b']
        """
        for aid, value in self.nodes._items.items():
            yield aid, node_to_document(value) if type(value) is LineageNode else value

    def edge_rows(self) -> Iterator[tuple[str, str, str, str, dict[str, Any]]]:
        """Every edge as ``(source, target, type, description, metadata)``, in :attr:`edges` order.

        Reads raw JSON edges without building :class:`LineageEdge` objects, so an index can be
        written straight from a parsed file. Malformed edges raise :class:`InputError`.

        Examples
        --------
        >>> next(LineageGraph.from_pairs([("a", "b")]).edge_rows())[:3]
        ('a', 'b', 'derived')
        """
        seen: set[tuple[str, str]] = set()
        derived = TransformationType.DERIVED.value
        if self._explicit is None:
            for position, raw in enumerate(self._raw_edges):
                try:
                    source, target = raw["source"], raw["target"]
                    kind = raw.get("type", derived)
                    if not (type(source) is str and type(target) is str and kind in _EDGE_TYPES):
                        raise TypeError
                except (TypeError, KeyError, AttributeError):
                    self._edge_at(position)  # raises the precise error
                    raise
                seen.add((source, target))
                yield source, target, kind, str(raw.get("description") or ""), raw.get("metadata") or {}
        else:
            for e in self._explicit:
                seen.add((e.source, e.target))
                yield e.source, e.target, e.transformation_type.value, e.description, e.metadata
        for aid in self.nodes:
            for src in self.nodes.raw_inputs(aid):
                if (src, aid) not in seen:
                    yield src, aid, derived, IMPLICIT_EDGE_DESCRIPTION, {}

    # The indexes map an id to a list of neighbours while building (one append per edge, no
    # per-key sorting), and the list is replaced by a sorted, duplicate-free tuple the first time
    # it is read: a query that visits a few artifacts sorts only those.

    def _parent_index(self) -> dict[str, Any]:
        # Explicit edges only: a node's own ``inputs`` are merged in when it is read, which
        # spares a pass over every node for upstream queries.
        if self._parents is None:
            parents: dict[str, Any] = {}
            group_pairs(((target, source) for source, target in self._explicit_pairs()), parents)
            self._parents = parents
        return self._parents

    def _child_index(self) -> dict[str, Any]:
        if self._children is None:
            children: dict[str, Any] = {}
            group_pairs(self._explicit_pairs(), children)
            raw_inputs = self.nodes.raw_inputs
            group_pairs(((source, aid) for aid in self.nodes for source in raw_inputs(aid)), children)
            self._children = children
        return self._children

    def parents(self, artifact_id: str) -> tuple[str, ...]:
        """One-hop upstream artifact ids, sorted: edge sources and the node's ``inputs``."""
        index = self._parent_index()
        found = index.get(artifact_id)
        if type(found) is tuple:
            return found
        if artifact_id in self.nodes:
            found = [*(found or ()), *self.nodes.raw_inputs(artifact_id)]
        elif found is None:
            return ()
        result = tuple(sorted(set(found)))
        index[artifact_id] = result
        return result

    def children(self, artifact_id: str) -> tuple[str, ...]:
        """One-hop downstream artifact ids, sorted."""
        index = self._child_index()
        found = index.get(artifact_id)
        if found is None or type(found) is tuple:
            return found or ()
        result = tuple(sorted(set(found)))
        index[artifact_id] = result
        return result

    def node(self, artifact_id: str) -> LineageNode | None:
        """The artifact's record, or ``None`` if it appears only as an edge endpoint."""
        return self.nodes.get(artifact_id)

    def node_with_inputs(self, artifact_id: str) -> LineageNode:
        """The node, with every edge source listed in ``inputs`` (consistency rule)."""
        node = self.nodes[artifact_id]
        listed = set(node.inputs)
        missing = [p for p in self.parents(artifact_id) if p not in listed]
        if missing:
            node.inputs = [*node.inputs, *missing]
        return node

    def edge(self, source: str, target: str) -> LineageEdge | None:
        """The first edge from ``source`` to ``target`` (explicit before implicit)."""
        if self._first_edge is None:
            # Map each pair to its first explicit edge's position; decode only what is asked for.
            first: dict[tuple[str, str], int] = {}
            with gc_paused():
                for i, pair in enumerate(self._explicit_pairs()):
                    first.setdefault(pair, i)
            self._first_edge = first
        position = self._first_edge.get((source, target))
        if position is not None:
            if self._explicit is not None:
                return self._explicit[position]
            return self._edge_at(position)
        if target in self.nodes and source in self.nodes.raw_inputs(target):
            return LineageEdge(source, target, TransformationType.DERIVED, IMPLICIT_EDGE_DESCRIPTION)
        return None

    def artifact_ids(self) -> list[str]:
        """Every known id (nodes and edge endpoints), sorted."""
        return sorted(set(self.nodes) | self._parent_index().keys() | self._child_index().keys())

    def __contains__(self, artifact_id: object) -> bool:
        if artifact_id in self.nodes:
            return True
        return artifact_id in self._parent_index() or artifact_id in self._child_index()

    def __len__(self) -> int:
        return len(self.nodes)

    def require(self, artifact_id: str) -> str:
        """Return ``artifact_id`` if known, else raise with close-match suggestions.

        Examples
        --------
        >>> LineageGraph().require("x")
        Traceback (most recent call last):
        ...
        lineage_cli.errors.UnknownArtifactError: Unknown artifact 'x'. ...
        """
        return require_known(self, artifact_id, self.artifact_ids)

    def alias_of(self, name: str) -> str | None:
        """The artifact ``name`` is an alias of (a node's ``aliases``) or the natural URI of, else ``None``.

        The alias table is built on first use, in one pass over the nodes (O(V)); ids that are
        found directly never need it.

        Examples
        --------
        >>> doc = {"nodes": {"file/tmp/t": {"version": "1", "aliases": ["hive://m/db.t"],
        ...        "provenance": {"timestamp": "2026-01-01T00:00:00Z"}}}, "edges": []}
        >>> g = LineageGraph.from_document(doc)
        >>> g.alias_of("hive://m/db.t"), g.require("file:///tmp/t"), g.alias_of("nope")
        ('file/tmp/t', 'file/tmp/t', None)
        """
        if self._aliases is None:
            table: dict[str, str] = {}
            for aid, value in self.nodes._items.items():
                names = value.aliases if type(value) is LineageNode else value.get("aliases")
                if isinstance(names, list):
                    table.update((n, aid) for n in names if isinstance(n, str) and n not in self.nodes)
            self._aliases = table
        found = self._aliases.get(name)
        if found is not None:
            return found
        for candidate in natural_id_candidates(name):
            if candidate in self:
                return candidate
            found = self._aliases.get(candidate)
            if found is not None:
                return found
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineageGraph):
            return NotImplemented
        return self.to_document() == other.to_document()

    __hash__ = None  # type: ignore[assignment]
