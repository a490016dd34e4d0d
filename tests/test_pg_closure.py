"""Ancestors and descendants by one recursive query: cycle-safe, depth-limited, alike on both stores.

Piped and ``--json`` answers come from the store's index in one recursive query (the tree is
walked only for a terminal); networkx is the oracle for the sets.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import orjson

from tests.storehelp import artifact, fill
from tests.test_store_parity import both, lineage

# a -> b -> c -> a (a cycle), c -> d, x -> a: every walk must end, and the start is never its own answer.
EVENTS = [
    artifact("x", 1),
    artifact("a", 2, ["c", "x"]),
    artifact("b", 3, ["a"]),
    artifact("c", 4, ["b"]),
    artifact("d", 5, ["c"]),
]
EDGES = [("x", "a"), ("c", "a"), ("a", "b"), ("b", "c"), ("c", "d")]


def test_a_cycle_ends_the_recursive_query_on_both_stores(pg_url: str, tmp_path: Path) -> None:
    directory = fill(tmp_path / "store", EVENTS)
    fill(pg_url, EVENTS)
    for store in (directory, pg_url):
        assert lineage("build", "--store", store).returncode == 0
    oracle = nx.DiGraph(EDGES)
    for name in ("a", "c", "x", "d"):
        down = both(directory, pg_url, "descendants", name).split()
        assert down == sorted(nx.descendants(oracle, name))
        up = orjson.loads(both(directory, pg_url, "ancestors", name, "--json"))
        assert up == {"artifact": name, "depth": None, "ancestors": sorted(nx.ancestors(oracle, name))}
        near = both(directory, pg_url, "descendants", name, "--depth", "1").split()
        assert near == sorted(set(oracle.successors(name)) - {name})
        two = orjson.loads(both(directory, pg_url, "ancestors", name, "--depth", "2", "--json"))["ancestors"]
        lengths = nx.single_source_shortest_path_length(oracle.reverse(), name, cutoff=2)
        assert two == sorted(n for n in lengths if n != name)
    (Path(directory) / "built.json").unlink()  # cyclic on purpose: not for the every-store-validates check
