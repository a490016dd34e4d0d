"""The peer: what a user would write instead of `lineage`, with the json module and networkx.

Usage::

    python bench/peer.py FILE ancestors ID
    python bench/peer.py FILE descendants ID
    python bench/peer.py FILE path FROM TO
    python bench/peer.py FILE impact ID
    python bench/peer.py FILE dot
    python bench/peer.py FILE load

Each loads the lineage file with ``json.load``, builds a ``networkx.DiGraph`` from the edges
and every node's ``inputs`` (nodes carry their records as attributes, so impact can name
workflows and agents), answers, and prints what `lineage` prints when piped.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import networkx as nx


def load(path: str) -> nx.DiGraph:
    with open(path, encoding="utf-8") as fh:
        document = json.load(fh)
    graph = nx.DiGraph()
    graph.add_nodes_from(document["nodes"].items())
    graph.add_edges_from((e["source"], e["target"]) for e in document["edges"])
    graph.add_edges_from(
        (src, aid) for aid, node in document["nodes"].items() for src in node.get("inputs", [])
    )
    return graph


def _print_ids(ids: Any) -> None:
    sys.stdout.write("".join(f"{i}\n" for i in sorted(ids)))


def _impact(graph: nx.DiGraph, artifact: str) -> None:
    affected = nx.descendants(graph, artifact)
    workflows = sorted({graph.nodes[a].get("provenance", {}).get("workflow", "") for a in affected})
    agents = sorted({graph.nodes[a].get("provenance", {}).get("agent", "") for a in affected})
    stale = sum(1 for a in affected if graph.nodes[a].get("status") == "stale")
    print(
        json.dumps({"affected": sorted(affected), "workflows": workflows, "agents": agents, "stale": stale})
    )


def _dot(graph: nx.DiGraph) -> None:
    # networkx writes DOT only through pydot or pygraphviz; a user without them writes it by hand.
    out = ["digraph lineage {"]
    out.extend(f"  {json.dumps(n)};" for n in sorted(graph.nodes))
    out.extend(f"  {json.dumps(s)} -> {json.dumps(t)};" for s, t in sorted(graph.edges))
    out.append("}")
    sys.stdout.write("\n".join(out) + "\n")


def main(argv: list[str]) -> int:
    path, command, *args = argv
    graph = load(path)
    if command == "ancestors":
        _print_ids(nx.ancestors(graph, args[0]))
    elif command == "descendants":
        _print_ids(nx.descendants(graph, args[0]))
    elif command == "path":
        try:
            print("\n".join(nx.shortest_path(graph.to_undirected(as_view=True), args[0], args[1])))
        except nx.NetworkXNoPath:
            return 1
    elif command == "impact":
        _impact(graph, args[0])
    elif command == "dot":
        _dot(graph)
    elif command != "load":
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
