"""The selection language: one parser and one evaluator, shared by ``lineage ls`` and ``export --select``.

Modelled on dbt's node selection and Dagster's asset selection:

========================  ==========================================================
``x``                     an id, a unique short name (``core__patient``) or a glob
``+x`` / ``x+`` / ``+x+``  x and its ancestors / descendants / both
``2+x`` / ``x+1``         the same, at most N hops
``@x``                    x, its descendants, and the ancestors of all of those
``workflow:etl``          an attribute (``workflow stage agent status kind tool type tag``)
``meta.owner:ana*``       a metadata value
``a b``                   union (a space)
``a,b``                   intersection (a comma): ``a+,+b`` is every path from a to b
========================  ==========================================================

Every walk is iterative, breadth-first over :class:`~lineage_cli.graph.GraphView`, so on the
store's index a selection reads only what it reaches; attributes are answered from the index's
``attr`` table (:mod:`lineage_cli.store.index`) when the view has one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from lineage_cli.attributes import METHODS, node_attributes
from lineage_cli.errors import InputError, UnknownArtifactError
from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.model import ArtifactStatus, TransformationType
from lineage_cli.names import (
    AmbiguousNameError,
    close_matches,
    glob_regex,
    is_glob,
    lookup_alias,
    match_glob,
    match_suffix,
)

__all__ = [
    "Atom",
    "AttributeLookup",
    "Part",
    "Selector",
    "SelectorSyntaxError",
    "evaluate",
    "parse",
    "select_ids",
]


class SelectorSyntaxError(InputError):
    """A selector that does not parse; the message shows the text with a caret under the position.

    Examples
    --------
    >>> print(SelectorSyntaxError("a,,b", 2, "expected a name or method after ','"))
    Selector syntax error at column 3: expected a name or method after ','.
      a,,b
        ^
    """

    def __init__(self, text: str, position: int, problem: str) -> None:
        self.text = text
        self.position = position
        caret = " " * position + "^"
        super().__init__(f"Selector syntax error at column {position + 1}: {problem}.\n  {text}\n  {caret}")


@dataclass(frozen=True, slots=True)
class Atom:
    """A name (``method == ""``) or an attribute test ``method:value``, at ``position`` in the text."""

    method: str
    value: str
    position: int


@dataclass(frozen=True, slots=True)
class Part:
    """One atom with its graph operators: ``[N]+atom+[N]`` or ``@atom``.

    ``up`` and ``down`` say whether ancestors and descendants are added; ``up_depth`` and
    ``down_depth`` limit them (``None``: no limit).
    """

    atom: Atom
    up: bool = False
    up_depth: int | None = None
    down: bool = False
    down_depth: int | None = None
    at: bool = False


Selector = tuple[tuple[Part, ...], ...]
"""A union (space) of intersections (comma) of parts."""

_PART = re.compile(
    r"^(?P<at>@)?(?:(?P<updepth>\d*)(?P<up>\+))?(?P<body>.*?)(?:(?P<down>\+)(?P<downdepth>\d*))?$", re.S
)
_METHOD = re.compile(r"^(?P<method>[a-z]+|meta\.[^:]*):(?P<value>.*)$", re.S)


def _parse_part(text: str, chunk: str, offset: int, known: Callable[[str], bool]) -> Part:
    if not chunk:
        where = "after ','" if offset > 0 and text[offset - 1] == "," else "here"
        raise SelectorSyntaxError(text, offset, f"expected a name or method {where}")
    if known(chunk):
        return Part(Atom("", chunk, offset))
    match = _PART.match(chunk)
    assert match is not None  # the pattern matches any text
    body = match.group("body")
    start = offset + match.start("body")
    if match.group("at") and (match.group("up") or match.group("down")):
        raise SelectorSyntaxError(text, offset, "'@' cannot be combined with '+' (it already adds both)")
    if not body:
        raise SelectorSyntaxError(text, start, "expected a name or method after the graph operator")
    if body.startswith(("+", "@")) or body.endswith("+"):
        bad = start if body.startswith(("+", "@")) else start + len(body) - 1
        raise SelectorSyntaxError(
            text, bad, f"unexpected {text[bad]!r}; operators are +x, x+, N+x, x+N and @x"
        )
    return Part(
        _atom(text, body, start),
        up=bool(match.group("up")),
        up_depth=int(match.group("updepth")) if match.group("updepth") else None,
        down=bool(match.group("down")),
        down_depth=int(match.group("downdepth")) if match.group("downdepth") else None,
        at=bool(match.group("at")),
    )


def _atom(text: str, body: str, start: int) -> Atom:
    method = _METHOD.match(body)
    if method is None or (
        method.group("method") not in METHODS and not method.group("method").startswith("meta.")
    ):
        return Atom("", body, start)
    name, value = method.group("method"), method.group("value")
    value_at = start + len(name) + 1
    if name == "meta.":
        raise SelectorSyntaxError(text, start + 5, "expected a metadata key: meta.KEY:VALUE")
    if not value:
        raise SelectorSyntaxError(text, value_at, f"expected a value after '{name}:' (globs allowed)")
    allowed = {
        "status": [s.value for s in ArtifactStatus],
        "type": [t.value for t in TransformationType],
    }.get(name)
    if allowed and not any(glob_regex(value).fullmatch(choice) for choice in allowed):
        raise SelectorSyntaxError(
            text, value_at, f"no {name} matches {value!r}; use one of: {', '.join(allowed)}"
        )
    return Atom(name, value, start)


def parse(text: str, known: Callable[[str], bool] = lambda _: False) -> Selector:
    """Parse a selector; ``known(chunk)`` says whether a whole chunk is an exact id (taken as is).

    Raises
    ------
    SelectorSyntaxError
        With the column and a caret.

    Examples
    --------
    >>> [[(p.atom.value, p.up, p.down_depth) for p in term] for term in parse("+a b+2,tag:x")]
    [[('a', True, None)], [('b', False, 2), ('x', False, None)]]
    >>> parse("a,,b")
    Traceback (most recent call last):
    ...
    lineage_cli.selection.SelectorSyntaxError: Selector syntax error at column 3: ...
    """
    terms: list[tuple[Part, ...]] = []
    for word in re.finditer(r"\S+", text):
        chunk, offset = word.group(), word.start()
        if known(chunk):
            terms.append((Part(Atom("", chunk, offset)),))
            continue
        parts: list[Part] = []
        position = offset
        for piece in chunk.split(","):
            parts.append(_parse_part(text, piece, position, known))
            position += len(piece) + 1
        terms.append(tuple(parts))
    if not terms:
        raise SelectorSyntaxError(text, 0, "expected at least one name or method")
    return tuple(terms)


@runtime_checkable
class AttributeLookup(Protocol):
    """Attribute tests a view answers itself (the store's SQLite index does)."""

    def attribute_matches(self, key: str, pattern: str) -> list[str]:
        """Sorted ids whose attribute ``key`` matches the glob."""
        ...

    def type_matches(self, pattern: str) -> list[str]:
        """Sorted ids with an input edge whose type matches the glob."""
        ...

    def metadata_values(self, key: str) -> list[tuple[str, Any]]:
        """``(id, value)`` for each artifact with metadata ``key``."""
        ...


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class _Evaluator:
    def __init__(self, view: GraphView) -> None:
        self.view = view
        self._attributes: dict[str, list[tuple[str, str]]] | None = None  # memory graphs, built once

    def name(self, atom: Atom) -> set[str]:
        value = atom.value
        if value in self.view:
            return {value}
        aliased = lookup_alias(self.view, value)
        if aliased is not None:
            return {aliased}
        if is_glob(value):
            return set(match_glob(self.view, value))
        found = match_suffix(self.view, value)
        if len(found) > 1:
            raise AmbiguousNameError(value, found)
        if not found:
            raise UnknownArtifactError(value, close_matches(self.view, value))
        return set(found)

    def _memory_attributes(self) -> dict[str, list[tuple[str, str]]]:
        if self._attributes is None:
            table: dict[str, list[tuple[str, str]]] = {}
            for aid in self.view.artifact_ids():
                node = self.view.node(aid)
                for key, value in node_attributes(node) if node is not None else ():
                    table.setdefault(key, []).append((value, aid))
            self._attributes = table
        return self._attributes

    def method(self, atom: Atom) -> set[str]:
        regex = glob_regex(atom.value)
        view = self.view
        if atom.method.startswith("meta."):
            key = atom.method[5:]
            if isinstance(view, AttributeLookup):
                pairs = view.metadata_values(key)
            else:
                pairs = [
                    (aid, n.metadata[key])
                    for aid in view.artifact_ids()
                    if (n := view.node(aid)) and key in n.metadata
                ]
            return {aid for aid, value in pairs if regex.fullmatch(_text_of(value))}
        if isinstance(view, AttributeLookup):
            if atom.method == "type":
                return set(view.type_matches(atom.value))
            return set(view.attribute_matches(atom.method, atom.value))
        if atom.method == "type":
            edges = view.edges if isinstance(view, LineageGraph) else []
            return {e.target for e in edges if regex.fullmatch(e.transformation_type.value)}
        return {
            aid for value, aid in self._memory_attributes().get(atom.method, ()) if regex.fullmatch(value)
        }

    def reach(
        self, seeds: Iterable[str], step: Callable[[str], Sequence[str]], depth: int | None
    ) -> set[str]:
        """Seeds and everything ``depth`` steps away or less: one breadth-first walk from all of them."""
        distance = dict.fromkeys(seeds, 0)
        queue = deque(distance)
        while queue:
            current = queue.popleft()
            hops = distance[current] + 1
            if depth is not None and hops > depth:
                continue
            for neighbour in step(current):
                if neighbour not in distance:
                    distance[neighbour] = hops
                    queue.append(neighbour)
        return set(distance)

    def part(self, part: Part) -> set[str]:
        seeds = self.method(part.atom) if part.atom.method else self.name(part.atom)
        if part.at:
            below = self.reach(sorted(seeds), self.view.children, None)
            return self.reach(sorted(below), self.view.parents, None)
        found = set(seeds)
        if part.up:
            found |= self.reach(sorted(seeds), self.view.parents, part.up_depth)
        if part.down:
            found |= self.reach(sorted(seeds), self.view.children, part.down_depth)
        return found

    def selector(self, selector: Selector) -> set[str]:
        chosen: set[str] = set()
        for term in selector:
            found = self.part(term[0])
            for part in term[1:]:
                if not found:
                    break
                found &= self.part(part)
            chosen |= found
        return chosen


def evaluate(view: GraphView, selector: Selector) -> list[str]:
    """The sorted ids a parsed selector selects in ``view``.

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("a", "b"), ("b", "c"), ("x", "c")])
    >>> evaluate(g, parse("a+,+c")), evaluate(g, parse("@b")), evaluate(g, parse("1+c"))
    (['a', 'b', 'c'], ['a', 'b', 'c', 'x'], ['b', 'c', 'x'])
    """
    return sorted(_Evaluator(view).selector(selector))


def select_ids(view: GraphView, selectors: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """The sorted ids ``selectors`` (joined by spaces: a union) select, less what ``exclude`` selects.

    No selector selects every artifact. An id that is the whole of a selector word is taken as
    is, so ids with ``+``, ``,`` or ``:`` need no quoting beyond the shell's.

    Raises
    ------
    SelectorSyntaxError
        With the column and a caret.
    AmbiguousNameError, UnknownArtifactError
        For a short name that names several artifacts, or none (with close matches).

    Examples
    --------
    >>> g = LineageGraph.from_pairs([("raw.a", "stg.a"), ("stg.a", "mart.b")], workflow="etl")
    >>> select_ids(g, ["+mart.b"], exclude=["raw.*"])
    ['mart.b', 'stg.a']
    >>> select_ids(g, ["workflow:e*,raw.a+1"])
    ['raw.a', 'stg.a']
    """
    evaluator = _Evaluator(view)
    known = view.__contains__
    text = " ".join(selectors)
    chosen = evaluator.selector(parse(text, known)) if text.strip() else set(view.artifact_ids())
    if exclude:
        chosen -= evaluator.selector(parse(" ".join(exclude), known))
    return sorted(chosen)
