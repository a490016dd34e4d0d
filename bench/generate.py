"""Deterministic synthetic lineage: lineage files and event logs of 10 to 1,000,000 artifacts.

Shape (the same seed gives the same bytes, on any machine and hash seed):

- about one workflow per 1,000 artifacts (hundreds at 100k and 1M), ids like
  ``wf-12/stage-3/artifact-0042``;
- a layered workflow has 20 to 50 stages; each artifact reads 1 to 6 artifacts of the
  previous stage (fan-in), sometimes one further back, sometimes the workflow's hub
  (fan-out); its first stage reads outputs of earlier workflows (cross-workflow links);
- every 50th workflow (``wf-3``, ``wf-53``, ...) is one chain 2,000 to 5,000 artifacts deep;
- every 10th workflow from ``wf-1`` on is a terminal (reporting) workflow that nothing reads,
  so queries about it have the same small answer at every size.

Workflow ``w`` depends only on ``w``, so ``wf-0`` .. ``wf-2`` are identical at every size: the
benchmark asks the same small question of every size and gets the same answer.

Usage: ``python bench/generate.py 100k --out bench/data`` writes ``lineage-100k.json``,
``events-100k.jsonl`` and ``queries-100k.json`` (the ids the benchmark asks about).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

SIZES = {"10": 10, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
TRANSFORMS = ["derived", "derived", "derived", "merged", "refined", "validated", "copied"]
FORMATS = ["parquet", "csv", "json", "model", "report"]


@dataclass(slots=True)
class Artifact:
    """One synthetic artifact: id, inputs, and where it sits."""

    aid: str
    workflow: int
    stage: int
    index: int
    inputs: list[str]


def _aid(w: int, s: int, i: int) -> str:
    return f"wf-{w}/stage-{s}/artifact-{i:04d}"


def _workflow(w: int, budget: int, outputs: dict[int, list[str]]) -> list[Artifact]:
    """Artifacts of workflow ``w`` (at most ``budget``), drawn from a generator seeded by ``w``."""
    rng = random.Random(f"lineage-bench-wf-{w}")
    made: list[Artifact] = []
    # Earlier workflows this one reads from (a window, so ancestry reaches far back).
    # Terminal workflows (w % 10 == 1) are never read; chains are read at their end.
    sources = [u for u in range(max(0, w - 20), w) if u % 10 != 1 and outputs.get(u)]
    if w % 50 == 3:
        length = min(budget, rng.randint(2_000, 5_000))
        previous: str | None = None
        for n in range(length):
            stage, index = divmod(n, 100)
            link = [previous] if previous else []
            if previous is None and sources:
                link = [rng.choice(outputs[rng.choice(sources)])]
            art = Artifact(_aid(w, stage, index), w, stage, index, link)
            made.append(art)
            previous = art.aid
        outputs[w] = [previous] if previous else []
        return made
    size = min(budget, rng.randint(400, 1_600))
    depth = min(rng.randint(20, 50), max(1, size // 3))
    widths = [size // depth + (1 if s < size % depth else 0) for s in range(depth)]
    stages: list[list[str]] = []
    hub = _aid(w, 0, 0)
    for s, width in enumerate(widths):
        ids = [_aid(w, s, i) for i in range(width)]
        for i, aid in enumerate(ids):
            inputs: list[str] = []
            if s == 0:
                if i > 0 and sources and rng.random() < 0.5:
                    upstream = outputs[rng.choice(sources)]
                    inputs.append(rng.choice(upstream))
            else:
                prev = stages[s - 1]
                fan_in = rng.choices((1, 2, 3, 4, 6), weights=(40, 30, 15, 9, 6))[0]
                inputs.extend(sorted(set(rng.sample(prev, min(fan_in, len(prev))))))
                if s >= 2 and rng.random() < 0.1:
                    inputs.append(rng.choice(stages[rng.randrange(0, s - 1)]))
                if s >= 2 and rng.random() < 0.05 and hub not in inputs:
                    inputs.append(hub)
            made.append(Artifact(aid, w, s, i, inputs))
        stages.append(ids)
    outputs[w] = stages[-1]
    return made


def artifacts(count: int) -> Iterator[Artifact]:
    """Yield ``count`` artifacts, workflow by workflow, inputs always before their readers."""
    outputs: dict[int, list[str]] = {}
    produced = 0
    w = 0
    while produced < count:
        batch = _workflow(w, count - produced, outputs)
        produced += len(batch)
        yield from batch
        w += 1


def _timestamp(art: Artifact) -> str:
    moment = BASE_TIME + timedelta(hours=art.workflow, minutes=art.stage, milliseconds=art.index)
    return moment.isoformat().replace("+00:00", "Z")


def _node(art: Artifact, rng: random.Random) -> dict[str, Any]:
    fmt = FORMATS[art.index % len(FORMATS)]
    return {
        "version": f"{1 + art.index % 3}.0.{art.stage}",
        "status": "fresh",
        "provenance": {
            "agent": f"agent-{art.workflow % 37}",
            "workflow": f"wf-{art.workflow}",
            "stage": f"stage-{art.stage}",
            "timestamp": _timestamp(art),
            "tool": "spark" if art.stage % 2 else "dbt",
            "environment": "prod",
        },
        "inputs": art.inputs,
        "transformation": f"step {art.stage} of wf-{art.workflow}",
        "metadata": {
            "format": fmt,
            "rows": rng.randrange(10, 10_000_000),
            "owner": f"team-{art.workflow % 13}",
            "visualization": {"node_label": art.aid.rsplit("/", 1)[-1], "group": f"wf-{art.workflow}"},
        },
    }


def lineage_document(count: int) -> dict[str, Any]:
    """The lineage file (as ``lineage build`` writes it: every edge explicit) for ``count`` artifacts."""
    rng = random.Random(f"lineage-bench-meta-{count}")
    nodes: dict[str, Any] = {}
    edges: list[dict[str, Any]] = []
    for art in artifacts(count):
        nodes[art.aid] = _node(art, rng)
        kind = TRANSFORMS[(art.stage + art.index) % len(TRANSFORMS)]
        for src in art.inputs:
            edges.append({"source": src, "target": art.aid, "type": kind, "description": "", "metadata": {}})
    return {"version": "1.0", "built_at": "2026-02-01T00:00:00Z", "nodes": nodes, "edges": edges}


def events(count: int) -> Iterator[dict[str, Any]]:
    """Event log (schema v1) recording ``count`` artifacts: one flow per stage, started then completed."""
    rng = random.Random(f"lineage-bench-meta-{count}")
    flow: tuple[int, int] | None = None
    serial = 0

    def flow_event(kind: str, w: int, s: int, when: str) -> dict[str, Any]:
        nonlocal serial
        serial += 1
        return {
            "schema": 1,
            "event_id": f"ev-{serial:08d}",
            "kind": kind,
            "time": when,
            "lineage_id": f"flow-{w}-{s}",
            "parent_lineage_id": None,
            "source": "bench",
            "job_id": f"job-{w}",
            "workflow": f"wf-{w}",
            "stage": f"stage-{s}",
            "agent": f"agent-{w % 37}",
            "attributes": {},
        }

    last_time = ""
    for art in artifacts(count):
        when = _timestamp(art)
        if flow != (art.workflow, art.stage):
            if flow is not None:
                yield flow_event("flow_completed", *flow, last_time)
            flow = (art.workflow, art.stage)
            yield flow_event("flow_started", *flow, when)
        node = _node(art, rng)
        serial += 1
        yield {
            "schema": 1,
            "event_id": f"ev-{serial:08d}",
            "kind": "artifact_recorded",
            "time": when,
            "lineage_id": f"flow-{art.workflow}-{art.stage}",
            "parent_lineage_id": None,
            "artifact_id": art.aid,
            "version": node["version"],
            "artifact_kind": node["metadata"]["format"],
            "inputs": art.inputs,
            "transformation": node["transformation"],
            "transformation_type": TRANSFORMS[(art.stage + art.index) % len(TRANSFORMS)],
            "metadata": node["metadata"],
            "agent": node["provenance"]["agent"],
            "workflow": node["provenance"]["workflow"],
            "stage": node["provenance"]["stage"],
            "tool": node["provenance"]["tool"],
            "environment": "prod",
        }
        last_time = when
    if flow is not None:
        yield flow_event("flow_completed", *flow, last_time)


def _reach(adjacency: dict[str, list[str]], start: str) -> int:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in adjacency.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen) - 1


def queries(document: dict[str, Any]) -> dict[str, Any]:
    """The ids the benchmark asks about, with the size of each answer.

    Small answers come from ``wf-1`` (terminal, reading only ``wf-0``), so they are the same
    at every size; the large answer is everything downstream of ``wf-0``'s first output.
    """
    nodes = document["nodes"]
    ids = list(nodes)
    if len(ids) < 1_000:  # the tiny store: first and last artifact
        first, last = ids[0], ids[-1]
        return {"small": last, "small_root": first, "large_root": first, "path": [first, last]}
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for e in document["edges"]:
        children.setdefault(e["source"], []).append(e["target"])
        parents.setdefault(e["target"], []).append(e["source"])
    # The largest answers of at most 1,000 among wf-1's first artifact of each stage.
    wf1 = [a for a in ids if a.startswith("wf-1/") and a.endswith("/artifact-0000")]
    up = {a: _reach(parents, a) for a in wf1}
    down = {a: _reach(children, a) for a in wf1}
    small = max((a for a in wf1 if up[a] <= 1_000), key=lambda a: (up[a], a))
    small_root = max((a for a in wf1 if down[a] <= 1_000), key=lambda a: (down[a], a))
    large_root = "wf-0/stage-0/artifact-0000"
    return {
        "small": small,
        "small_ancestors": up[small],
        "small_root": small_root,
        "small_descendants": down[small_root],
        "large_root": large_root,
        "large_descendants": _reach(children, large_root),
        "path": ["wf-0/stage-0/artifact-0001", small],
    }


def write(size: str, out: Path, *, with_events: bool = True) -> dict[str, Path]:
    """Write the lineage file, event log and query manifest for ``size``; return their paths."""
    count = SIZES[size]
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "graph": out / f"lineage-{size}.json",
        "events": out / f"events-{size}.jsonl",
        "queries": out / f"queries-{size}.json",
    }
    document = lineage_document(count)
    paths["graph"].write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    paths["queries"].write_bytes(orjson.dumps(queries(document), option=orjson.OPT_INDENT_2))
    del document
    if with_events:
        with paths["events"].open("wb") as fh:
            batch: list[bytes] = []
            for event in events(count):
                batch.append(orjson.dumps(event) + b"\n")
                if len(batch) >= 10_000:
                    fh.write(b"".join(batch))
                    batch.clear()
            fh.write(b"".join(batch))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("sizes", nargs="+", choices=sorted(SIZES), help="which sizes to write")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--no-events", action="store_true", help="skip the event logs")
    args = parser.parse_args(argv)
    for size in args.sizes:
        paths = write(size, args.out, with_events=not args.no_events)
        print(f"{size}: " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
