"""``lineage build`` after 1,000 new events, on both stores: the issue's <= 2 s target at 1M artifacts.

Usage: ``python bench/incremental_build.py --sizes 100k --repeat 3`` (``1M`` works too; the data
in ``bench/data`` is generated once and reused). Each store gets the generated log and one full
build (timed, for the ratio); then, ``repeat`` times, 1,000 new events are appended (untimed)
and ``lineage build`` runs as a whole process (timed). Two kinds of batches:

- ``new``: 1,000 new artifacts, each built from an existing one;
- ``mixed``: 900 new artifacts, 90 existing artifacts recorded again (a new version; chosen among
  those with at most 20 descendants, since re-recording a root makes most of the generated graph
  stale, a region as big as the store) and 10 flow events of existing flows.

Prints a Markdown table of medians, with the target met or not.

``--directory DIR --size 1M`` times only the directory store, on a store already built (a copy
of the cache's ``dir-1M``, say, since the builds change it): after one untimed build to bring it
up to date, ``repeat`` builds after 1,000 new events of each kind, then ``repeat`` builds with no
new events. ``--code SRC`` runs another checkout's code (the ``lineage_cli`` package in SRC
first on the path), for a before/after comparison on the same store.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import generate  # noqa: E402  (bench/ is not a package)
from pg_bench import LINEAGE, load_pg, timed  # noqa: E402

from tests.pgserver import running_cluster  # noqa: E402

TARGET = 2.0


def batch(
    kind: str,
    round_: int,
    ids: list[str],
    flows: list[str],
    rng: random.Random,
    small: list[str],
    tag: str = "",
) -> list[dict[str, Any]]:
    """1,000 events: new artifacts (``new``), or new ones plus re-records and flow events (``mixed``)."""
    from lineage_cli.model import format_timestamp, utc_now
    from lineage_cli.recorder import artifact_event

    fresh = 1000 if kind == "new" else 900
    made = [
        artifact_event(f"bench-{tag}{kind}-{round_}/{n:04d}", inputs=[rng.choice(ids)]) for n in range(fresh)
    ]
    if kind == "mixed":
        for _ in range(90):
            made.append(artifact_event(rng.choice(small), version=f"r{round_}-{rng.random():.6f}"))
        for _ in range(10):  # a flow of the store completes again: its artifacts are in the region
            made.append(
                {"schema": 1, "event_id": uuid.uuid4().hex, "kind": "flow_completed",
                 "time": format_timestamp(utc_now()), "lineage_id": rng.choice(flows),
                 "parent_lineage_id": None}
            )  # fmt: skip
    return made


def few_descendants(document: dict[str, Any], most: int) -> list[str]:
    """The artifacts with at most ``most`` descendants (counted bottom-up, capped, iteratively)."""
    children: dict[str, list[str]] = {}
    for edge in document["edges"]:
        children.setdefault(edge["source"], []).append(edge["target"])
    small = []
    for artifact_id in sorted(document["nodes"]):
        seen: set[str] = set()
        stack = [artifact_id]
        while stack and len(seen) <= most:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        if len(seen) <= most:
            small.append(artifact_id)
    return small


def append(location: str, events: list[dict[str, Any]]) -> None:
    from lineage_cli.store.base import open_store

    with open_store(location) as store:
        if location.startswith("postgresql://"):
            from lineage_cli.store.postgres.ingest import event_row, insert_rows

            insert_rows(store.primary(), [event_row(e, orjson.dumps(e)) for e in events])  # type: ignore[attr-defined]
        else:
            store.append(events)


def bench_size(size: str, repeat: int, scratch: Path, cluster: Any) -> list[tuple[str, ...]]:
    data = HERE / "data"
    events_file = data / f"events-{size}.jsonl"
    if not events_file.exists():
        generate.write(size, data)
    document = orjson.loads((data / f"lineage-{size}.json").read_bytes())
    ids = sorted(document["nodes"])
    small = few_descendants(document, 20)
    with events_file.open("rb") as log:
        flows = sorted({orjson.loads(line)["lineage_id"] for line in log if b'"flow_started"' in line})
    del document
    directory = scratch / f"store-{size}"
    directory.mkdir()
    shutil.copy(events_file, directory / "events.jsonl")
    url = cluster.url(cluster.new_database())
    load_pg(url, events_file)
    full = {
        name: timed([LINEAGE, "build", "--store", where])
        for name, where in (("dir", str(directory)), ("pg", url))
    }
    rows: list[tuple[str, ...]] = [(f"full build, {size}", f"{full['dir']:.2f} s", f"{full['pg']:.2f} s", "")]
    rng = random.Random(9)
    for kind in ("new", "mixed"):
        samples: dict[str, list[float]] = {"dir": [], "pg": []}
        for round_ in range(repeat):
            events = batch(kind, round_, ids, flows, rng, small)
            for name, where in (("dir", str(directory)), ("pg", url)):
                append(where, events)
                samples[name].append(timed([LINEAGE, "build", "--store", where]))
        medians = {name: statistics.median(values) for name, values in samples.items()}
        verdict = ", ".join(
            f"{name} {'met' if medians[name] <= TARGET else 'not met'}" for name in ("dir", "pg")
        )
        rows.append(
            (
                f"build after 1,000 events ({kind}), {size}",
                f"{medians['dir']:.2f} s ({full['dir'] / medians['dir']:.0f}x faster than full)",
                f"{medians['pg']:.2f} s ({full['pg'] / medians['pg']:.0f}x faster than full)",
                f"<= {TARGET:.0f} s: {verdict}",
            )
        )
    return rows


def bench_directory(
    directory: Path, size: str, repeat: int, code: str | None, data: Path
) -> list[tuple[str, ...]]:
    """Builds of an existing directory store: after 1,000 new events (each kind), and with none."""
    env = None
    command = [LINEAGE]
    if code:
        # Not `-m`: that puts the working directory (this checkout) first on the path.
        start = f"import sys; sys.path.insert(0, {code!r}); from lineage_cli.cli import main; main()"
        command = [sys.executable, "-c", start]
    build = [*command, "build", "--store", str(directory)]
    cpu: list[float] = []

    def run() -> float:
        """Wall time of one build; its CPU time (user + system) goes to ``cpu`` (the machine is shared)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = timed(build, env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return wall

    document = orjson.loads((data / f"lineage-{size}.json").read_bytes())
    ids = sorted(document["nodes"])
    small = few_descendants(document, 20)
    del document
    with (data / f"events-{size}.jsonl").open("rb") as log:
        flows = sorted({orjson.loads(line)["lineage_id"] for line in log if b'"flow_started"' in line})
    run()  # untimed: bring the store up to date (a first build after an upgrade is full)
    rng = random.Random(9)
    tag = uuid.uuid4().hex[:6]
    rows: list[tuple[str, ...]] = []
    for kind in ("new", "mixed"):
        samples = []
        cpu.clear()
        for round_ in range(repeat):
            append(str(directory), batch(kind, round_, ids, flows, rng, small, tag))
            samples.append(run())
        rows.append(_directory_row(f"build after 1,000 events ({kind}), {size}", samples, cpu))
    cpu.clear()
    idle = [run() for _ in range(repeat)]
    rows.append(_directory_row(f"build with no new events, {size}", idle, cpu))
    return rows


def _directory_row(case: str, samples: list[float], cpu: list[float]) -> tuple[str, ...]:
    median = statistics.median(samples)
    spread = ", ".join(f"{s:.2f}" for s in samples)
    verdict = "met" if median <= TARGET else "not met"
    used = f"{statistics.median(cpu):.2f} s"
    return (case, f"{median:.2f} s ({spread})", used, f"<= {TARGET:.0f} s: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100k", help="comma-separated sizes (10k, 100k, 1M)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--directory", type=Path, help="time only this (built) directory store")
    parser.add_argument("--size", default="1M", help="with --directory: the size its data was generated at")
    parser.add_argument("--code", help="with --directory: run the lineage_cli package found here")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="with --directory: generated data")
    args = parser.parse_args(argv)
    if args.directory is not None:
        print("| case | directory store, median wall (each run) | median CPU | target |")
        print("|---|---|---|---|")
        for row in bench_directory(args.directory, args.size, args.repeat, args.code, args.data):
            print("| " + " | ".join(row) + " |")
        return 0
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp, running_cluster(durable=True) as cluster:
        for size in args.sizes.split(","):
            rows += bench_size(size, args.repeat, Path(tmp), cluster)
    print("| case | directory | PostgreSQL | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
