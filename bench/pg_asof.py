"""Time travel on the team store: a small ``--as-of`` answer, whole process, against the directory store.

Usage: ``python bench/pg_asof.py --sizes 100k,1M --repeat 3``. Prints a Markdown table of
medians (min-max) and PG/directory ratios, with the issue's target (a small ``--as-of``
answer at 1M in at most 1 s on PostgreSQL) marked. Each store is loaded once (the directory
store built, so its snapshot answers when it can; the PostgreSQL store left unbuilt: time
travel reads only the events). ``at`` (the whole graph at a moment) is shown for reference:
it folds every event up to the moment, which every ``--as-of`` query did before.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import generate  # noqa: E402  (bench/ is not a package)
from pg_bench import load_pg  # noqa: E402

from tests.pgserver import Cluster, running_cluster  # noqa: E402

LINEAGE = str(Path(sys.executable).parent / "lineage")
LATE = "2026-03-01T00:00:00Z"
"""After every event at every size: the replay folds the whole log (the worst case)."""
MID = "2026-01-01T12:00:00Z"


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:3])}: {done.stderr.strip()[:500]}")
    return elapsed


def show(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f} s ({min(samples):.2f}-{max(samples):.2f})"


def bench_size(
    size: str, cluster: Cluster, repeat: int, data: Path, scratch: Path, only: tuple[str, ...]
) -> list[tuple[str, ...]]:
    files = generate.write(size, data)
    url = cluster.url(cluster.new_database())
    queries = orjson.loads(files["queries"].read_bytes())
    directory = scratch / f"store-{size}"
    directory.mkdir()
    shutil.copy(files["events"], directory / "events.jsonl")
    load_pg(url, files["events"])
    # As autovacuum leaves a store some time after a bulk load: planner statistics, and the GIN
    # indexes' pending lists merged (a probe otherwise scans the whole pending list).
    database = url.split("/")[3].split("?")[0]
    cluster.sql("VACUUM ANALYZE events", database)
    subprocess.run([LINEAGE, "build", "--store", str(directory)], capture_output=True, check=True)
    up = queries["small_ancestors"]
    cases = [
        (f"ancestors --as-of (late), {up} ancestors", ["ancestors", queries["small"]], LATE),
        (f"ancestors --as-of (mid-log), {up} ancestors", ["ancestors", queries["small"]], MID),
        (f"descendants --as-of (late), {queries['small_descendants']} descendants",
         ["descendants", queries["small_root"]], LATE),
        ("provenance --as-of (late)", ["provenance", queries["small"]], LATE),
        ("at (late): the whole graph, for reference", ["at"], LATE),
    ]  # fmt: skip
    rows: list[tuple[str, ...]] = []
    for label, args, moment in cases:
        if only and not label.startswith(only):
            continue
        argv = [*args, moment] if args == ["at"] else [*args, "--as-of", moment]
        samples: dict[str, list[float]] = {"dir": [], "pg": []}
        for _ in range(repeat):  # alternately, so load on the machine hits both alike
            samples["dir"].append(timed([LINEAGE, *argv, "--store", str(directory)]))
            samples["pg"].append(timed([LINEAGE, *argv, "--store", url]))
        pg = statistics.median(samples["pg"])
        ratio = pg / statistics.median(samples["dir"])
        met = "-" if args == ["at"] else ("yes" if pg <= 1.0 else "**no**")
        rows.append((f"{label}, {size}", show(samples["dir"]), show(samples["pg"]), f"{ratio:.2f}x", met))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated label prefixes (ancestors,descendants)")
    args = parser.parse_args(argv)
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="pg-asof-") as tmp, running_cluster(durable=True) as cluster:
        scratch = Path(tmp)
        os.environ["LINEAGE_SPOOL"] = str(scratch / "spool")
        for size in args.sizes.split(","):
            only = tuple(filter(None, args.only.split(",")))
            rows += bench_size(size, cluster, args.repeat, HERE / "data", scratch, only)
    print("| measure | directory | PostgreSQL | PG / directory | PG <= 1 s |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
