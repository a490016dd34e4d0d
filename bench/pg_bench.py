"""The team store side by side with the directory store, in one run, on a throwaway durable server.

Usage: ``python bench/pg_bench.py --sizes 10k,100k --repeat 3``. Prints a Markdown table of
medians and PG/directory ratios against the issue's targets (paste it into bench/RESULTS.md).
Whole processes are timed (``lineage ... --store DIR`` vs ``--store URL``), run alternately.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import generate  # noqa: E402  (bench/ is not a package)

from tests.pgserver import Cluster, running_cluster  # noqa: E402

LINEAGE = str(Path(sys.executable).parent / "lineage")
JOB = [sys.executable, "-m", "tests.pg_recorder_job"]
Row = tuple[str, str, str, str]


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=HERE.parent, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:3])}: {done.stderr.strip()[:500]}")
    return elapsed


def alternate(cases: dict[str, Callable[[], float]], repeat: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            samples[name].append(run())
    return {name: statistics.median(values) for name, values in samples.items()}


def load_pg(url: str, events: Path) -> None:
    from lineage_cli.store.postgres import PostgresStore
    from lineage_cli.store.postgres.ingest import event_row, insert_rows

    store = PostgresStore(url)
    batch = []
    with events.open("rb") as fh:
        for line in fh:
            batch.append(event_row(orjson.loads(line), line.rstrip(b"\n")))
            if len(batch) >= 20_000:
                insert_rows(store.primary(), batch)
                batch.clear()
    insert_rows(store.primary(), batch)
    store.close()


def new_events(queries: dict[str, Any], count: int, prefix: str) -> list[dict[str, Any]]:
    from lineage_cli.recorder import artifact_event

    return [artifact_event(f"{prefix}/{n:05d}", inputs=[queries["small"]]) for n in range(count)]


def ingest(store: str, processes: int, each: int, cluster: Cluster | None, url: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_STORE")}
    start = time.perf_counter()
    jobs = [
        subprocess.Popen([*JOB, store, str(each), f"ingest-{n:02d}"], cwd=HERE.parent, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for n in range(processes)
    ]  # fmt: skip
    for job in jobs:
        job.wait()
    if cluster is not None and url is not None:  # until every event is in the database
        database = url.split("/")[3].split("?")[0]
        want = processes * (each + 2)
        while int(cluster.sql("SELECT count(*) FROM events WHERE event_id IS NOT NULL", database)) < want:
            time.sleep(0.05)
    return processes * each / (time.perf_counter() - start)


def down_latency() -> float:
    code = (
        "import time; from lineage_cli.recorder import configure, record_artifact\n"
        "configure(store='postgresql://u@127.0.0.1:9/down')\n"
        "t=[]\n"
        "for n in range(5000):\n"
        " s=time.perf_counter(); record_artifact(f'a{n}'); t.append(time.perf_counter()-s)\n"
        "t.sort(); print(t[int(len(t)*0.99)-1]*1000)\n"
        "import os; os._exit(0)\n"  # skip the exit flush: only the calls are measured
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def bench_size(size: str, cluster: Cluster, repeat: int, data: Path, scratch: Path) -> list[Row]:
    files = generate.write(size, data)
    queries = orjson.loads(files["queries"].read_bytes())
    directory = scratch / f"store-{size}"
    directory.mkdir()
    shutil.copy(files["events"], directory / "events.jsonl")
    url = cluster.url(cluster.new_database())
    rows = []
    t0 = time.perf_counter()
    load_pg(url, files["events"])
    load = time.perf_counter() - t0
    full = alternate(
        {"dir": lambda: timed([LINEAGE, "build", "--store", str(directory)]),
         "pg": lambda: timed([LINEAGE, "build", "--full", "--store", url])}, 1,
    )  # fmt: skip
    rows.append((f"full build, {size} (PG: COPY load {load:.1f} s first)", f"{full['dir']:.2f} s",
                 f"{full['pg']:.2f} s", f"{full['pg'] / full['dir']:.2f}x"))  # fmt: skip

    def pair(args: list[str]) -> dict[str, float]:
        return alternate(
            {"dir": lambda: timed([LINEAGE, *args, "--store", str(directory)]),
             "pg": lambda: timed([LINEAGE, *args, "--store", url])}, repeat,
        )  # fmt: skip

    for label, args in (
        (f"ancestors, {queries.get('small_ancestors', '?')}-artifact answer",
         ["ancestors", queries["small"]]),
        (f"descendants, {queries.get('small_descendants', '?')}-artifact answer",
         ["descendants", queries["small_root"]]),
        (f"descendants, {queries.get('large_descendants', '?')}-artifact answer",
         ["descendants", queries["large_root"]]),
        ("ancestors --as-of (mid-log), small answer",
         ["ancestors", queries["small"], "--as-of", "2026-01-01T12:00:00Z"]),
    ):  # fmt: skip
        got = pair(args)
        rows.append(
            (
                f"{label}, {size}",
                f"{got['dir']:.2f} s",
                f"{got['pg']:.2f} s",
                f"{got['pg'] / got['dir']:.2f}x",
            )
        )
    from lineage_cli.store.base import open_store

    for store, prefix in ((str(directory), "new-dir"), (url, "new-pg")):
        with open_store(store) as opened:
            opened.append(new_events(queries, 1000, prefix))
    after = alternate(
        {"dir": lambda: timed([LINEAGE, "build", "--store", str(directory)]),
         "pg": lambda: timed([LINEAGE, "build", "--store", url])}, 1,
    )  # fmt: skip
    rows.append((f"build after 1,000 new events, {size}", f"{after['dir']:.2f} s", f"{after['pg']:.2f} s",
                 f"{after['pg'] / after['dir']:.2f}x"))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--each", type=int, default=5000)
    args = parser.parse_args(argv)
    data = HERE / "data"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pg-bench-") as tmp, running_cluster(durable=True) as cluster:
        scratch = Path(tmp)
        os.environ["LINEAGE_SPOOL"] = str(scratch / "spool")
        directory = scratch / "ingest-dir"
        url = cluster.url(cluster.new_database())
        from lineage_cli.store.base import open_store

        with open_store(url) as store:  # the schema exists before the writers start
            store.append(new_events({"small": "seed"}, 1, "seed"))
        dir_rate = ingest(str(directory), args.processes, args.each, None, None)
        pg_rate = ingest(url, args.processes, args.each, cluster, url)
        total = args.processes * args.each
        label = f"ingest, {args.processes} processes x {args.each:,} events ({total:,})"
        rates = (f"{dir_rate:,.0f} events/s", f"{pg_rate:,.0f} events/s", f"{pg_rate / dir_rate:.2f}x")
        rows.append((label, *rates))
        p99 = down_latency()
        rows.append(("record_artifact p99 while the server is down", "-", f"{p99:.3f} ms", "-"))
        for size in args.sizes.split(","):
            rows += bench_size(size, cluster, args.repeat, data, scratch)
    print("| measure | directory | PostgreSQL | PG / directory |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
