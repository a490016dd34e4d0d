"""The floor under a small PostgreSQL query: what importing psycopg 3 alone costs a whole process.

Usage::

    python bench/pg_floor.py --cache /tmp/lineage-bench-cache --size 100k --repeat 15

Uses the stores :mod:`pg_bench` cached (its ``--cache``; it starts the cached cluster). Runs
each process ``--repeat`` times, in turn, the order flipping every repeat, and prints medians of
wall time and of the child's CPU time (user + system, which a loaded machine inflates less):

- a bare interpreter; ``import psycopg``; ``import psycopg`` + connect + ``SELECT 1``;
- the modules a directory-store query imports, with and without ``import psycopg`` after them
  (what psycopg adds to a lineage process: the modules both share are loaded already);
- the small ``ancestors`` query, whole process, on each store.

The floor of the PG/directory ratio is (directory query + psycopg's added import) / directory
query: what PostgreSQL would cost if connecting and querying were free.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from pg_bench import LINEAGE, persistent_cluster  # noqa: E402  (bench/ is not a package)

# What a directory-store query imports before it answers (the CLI, typer's pydantic adapters,
# the query index); psycopg's own cost is measured on top of it.
SHARED = "import lineage_cli.cli, typer._adapters, lineage_cli.store.index, lineage_cli.store.local"


def run(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (its output discarded)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, required=True, help="pg_bench.py's cache")
    parser.add_argument("--size", default="100k")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    cache: Path = args.cache.resolve()
    queries = orjson.loads((cache / "data" / f"queries-{args.size}.json").read_bytes())
    cluster = persistent_cluster(cache / "pg")
    url = cluster.url(f"bench_{args.size.lower()}")
    py = sys.executable
    cases = {
        "interpreter (`python -c pass`)": [py, "-c", "pass"],
        "`import psycopg`": [py, "-c", "import psycopg"],
        "`import psycopg`, connect, `SELECT 1`": [
            py, "-c", f"import psycopg; psycopg.connect({url!r}).execute('SELECT 1')"
        ],
        "a directory query's imports": [py, "-c", SHARED],
        "... then `import psycopg`": [py, "-c", f"{SHARED}; import psycopg"],
        "`lineage ancestors` (small), directory store": [
            LINEAGE, "ancestors", queries["small"], "--store", str(cache / f"dir-{args.size}")
        ],
        "`lineage ancestors` (small), PostgreSQL store": [
            LINEAGE, "ancestors", queries["small"], "--store", url
        ],
    }  # fmt: skip
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    try:
        names = list(cases)
        for n in range(args.repeat):
            for name in names if n % 2 == 0 else names[::-1]:
                samples[name].append(run(cases[name]))
    finally:
        cluster.stop("fast")
    wall = {name: statistics.median(w for w, _ in found) for name, found in samples.items()}
    cpu = {name: statistics.median(c for _, c in found) for name, found in samples.items()}
    load = os.getloadavg()
    print(f"`python bench/pg_floor.py --size {args.size} --repeat {args.repeat}`; load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end.\n")  # fmt: skip
    print("| process | wall, median | CPU (user + system), median |")
    print("| --- | --- | --- |")
    for name in cases:
        print(f"| {name} | {wall[name]:.3f} s | {cpu[name]:.3f} s |")
    added_wall = wall["... then `import psycopg`"] - wall["a directory query's imports"]
    added_cpu = cpu["... then `import psycopg`"] - cpu["a directory query's imports"]
    directory = "`lineage ancestors` (small), directory store"
    postgres = "`lineage ancestors` (small), PostgreSQL store"
    print(f"\npsycopg adds {added_wall:.3f} s wall ({added_cpu:.3f} s CPU) to a lineage process. "
          f"Floor of the small-query ratio: {(wall[directory] + added_wall) / wall[directory]:.2f}x wall "
          f"({(cpu[directory] + added_cpu) / cpu[directory]:.2f}x CPU); measured: "
          f"{wall[postgres] / wall[directory]:.2f}x wall ({cpu[postgres] / cpu[directory]:.2f}x CPU, "
          "the server's CPU not counted).")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
