"""Issue 9's table: the team store (PostgreSQL) side by side with the directory store, in one run.

Usage::

    python bench/pg_bench.py --sizes 100k,1M --repeat 3      # the whole table (1M: long the first time)
    python bench/pg_bench.py --sizes 100k --prepare-only     # generate and load the stores, no timing

Every query is a whole ``lineage`` process (``--store DIR`` vs ``--store URL``); the two stores
run alternately, the order flipping every repeat; medians with min-max, and the PG/directory
ratio. The stores of each size are generated, loaded and built **once** and kept in a cache
outside the repository (``--cache``, default ``$TMPDIR/lineage-pg-bench``): the data files, a
built directory store, and a durable PostgreSQL cluster (fsync on) holding one database per
size. A later run reuses them (the "build after 1,000 new events" rows add 1,000 events to
both cached stores each run; their ids are new every run). Prints a Markdown table with each
issue-9 target marked met or not; paste it into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import generate  # noqa: E402  (bench/ is not a package)

from tests.pgserver import Cluster, _bin  # noqa: E402

LINEAGE = str(Path(sys.executable).parent / "lineage")
SINK_JOB = [sys.executable, str(HERE / "ingest_job.py")]
RECORDER_JOB = [sys.executable, "-m", "tests.pg_recorder_job"]
Row = tuple[str, str, str, str, str, str]  # measure, directory, PostgreSQL, ratio, target, met
MID_LOG = "2026-01-01T12:00:00Z"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=HERE.parent, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:4])}: {done.stderr.strip()[:500]}")
    return elapsed


def alternate(cases: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """Each case ``repeat`` times, in turn, the order flipping every repeat."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for n in range(repeat):
        for name in names if n % 2 == 0 else names[::-1]:
            samples[name].append(cases[name]())
    return samples


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f} {unit}"
    return f"{median:.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


# -- the cached stores ----------------------------------------------------------------------


def persistent_cluster(root: Path) -> Cluster:
    """A durable cluster kept in ``root`` (initdb the first time), started."""
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = [str(shutil.which("runuser")), "-u", "postgres", "--"]
    data, socket = root / "data", root / "socket"
    cluster = Cluster(root, data, socket, as_user)
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        if as_user:
            shutil.chown(root, "postgres")
        root.chmod(0o755)
        cluster.run("mkdir", "-p", str(socket))
        initdb = _bin("initdb")
        assert initdb, "PostgreSQL's initdb was not found (apt-get install postgresql)"
        cluster.run(initdb, "--no-sync", "-A", "trust", "-U", "postgres", "--locale=C", "-E", "UTF8",
                    "-D", str(data))  # fmt: skip
        with open(data / "postgresql.conf", "a") as conf:  # durable: fsync stays on
            conf.write(f"listen_addresses = ''\nunix_socket_directories = '{socket}'\n")
    (root / "log").unlink(missing_ok=True)
    cluster.stop("fast")  # a server left running by an interrupted run
    cluster.start()
    return cluster


def prepared(size: str, cache: Path, cluster: Cluster) -> tuple[dict[str, Any], Path, str, dict[str, float]]:
    """The data, the built directory store and the loaded, built database of ``size`` (made once)."""
    data = cache / "data"
    if not (data / f"queries-{size}.json").exists():
        log(f"{size}: generating the data")
        generate.write(size, data)
    queries = orjson.loads((data / f"queries-{size}.json").read_bytes())
    marker = cache / f"prepared-{size}.json"
    directory = cache / f"dir-{size}"
    database = f"bench_{size.lower()}"
    url = cluster.url(database)
    if marker.exists():
        # Untimed: fold whatever an earlier run appended, and (after an upgrade that changed what
        # a build keeps) make the stores' incremental state, so the timed build below is a real
        # "after 1,000 new events".
        for args in (["build", "--store", str(directory)], ["build", "--store", url]):
            log(f"{size}: bringing the cached store up to date ({args[-1]})")
            subprocess.run([LINEAGE, *args], check=True, stdout=subprocess.DEVNULL)
        return queries, directory, url, orjson.loads(marker.read_bytes())
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    shutil.copy(data / f"events-{size}.jsonl", directory / "events.jsonl")
    cluster.sql(f"DROP DATABASE IF EXISTS {database}")
    cluster.sql(f"CREATE DATABASE {database}")
    log(f"{size}: loading PostgreSQL")
    start = time.perf_counter()
    load_pg(url, data / f"events-{size}.jsonl")
    prep = {"pg_load": time.perf_counter() - start}
    log(f"{size}: full builds")
    prep["dir_build"] = timed([LINEAGE, "build", "--store", str(directory)])
    prep["pg_build"] = timed([LINEAGE, "build", "--full", "--store", url])
    marker.write_bytes(orjson.dumps(prep))
    return queries, directory, url, prep


def load_pg(url: str, events: Path) -> None:
    """COPY the event log into the database in batches (the shipper's insert)."""
    from lineage_cli.store.postgres.connect import connect
    from lineage_cli.store.postgres.ingest import event_row, insert_rows
    from lineage_cli.store.postgres.schema import ensure_schema

    connection = connect(url)
    ensure_schema(connection, url)
    batch = []
    with events.open("rb") as fh:
        for line in fh:
            batch.append(event_row(orjson.loads(line), line.rstrip(b"\n")))
            if len(batch) >= 20_000:
                insert_rows(connection, batch)
                batch.clear()
    insert_rows(connection, batch)
    connection.close()


# -- ingest ---------------------------------------------------------------------------------


def ingest(job: list[str], store: str, processes: int, each: int, count: Callable[[], int] | None) -> float:
    """Events/s from ``processes`` writers, until every event is in the store (PostgreSQL: in the table)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_STORE")}
    run = f"{time.time_ns():x}"
    start = time.perf_counter()
    jobs = [
        subprocess.Popen([*job, store, str(each), f"w{n:02d}-{run}"], cwd=HERE.parent, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for n in range(processes)
    ]  # fmt: skip
    for job_process in jobs:
        if job_process.wait() != 0:
            raise SystemExit(f"an ingest writer failed: {' '.join(job)}")
    if count is not None:
        want = processes * each
        last, last_change = -1, time.perf_counter()
        while (have := count()) < want:
            if have != last:
                last, last_change = have, time.perf_counter()
            elif time.perf_counter() - last_change > 30:
                raise SystemExit(f"ingest stalled at {have:,} of {want:,} events")
            time.sleep(0.05)
    return processes * each / (time.perf_counter() - start)


def ingest_rows(cluster: Cluster, scratch: Path, processes: int, each: int, repeat: int) -> list[Row]:
    from lineage_cli.store.base import open_store

    rows: list[Row] = []
    for label, job, target in (
        ("sink", SINK_JOB, True),
        ("record_artifact", RECORDER_JOB, False),
    ):
        dir_rates: list[float] = []
        pg_rates: list[float] = []
        for n in range(repeat):
            database = f"ingest_{label.replace('_', '')}_{n}"
            cluster.sql(f"DROP DATABASE IF EXISTS {database}")
            cluster.sql(f"CREATE DATABASE {database}")
            url = cluster.url(database)
            with open_store(url) as store:  # the schema exists before the writers start
                store.append([{"schema": 1, "event_id": "seed", "kind": "flow_started", "lineage_id": "seed",
                               "time": "2026-01-01T00:00:00Z"}])  # fmt: skip
            marker = f"{label}-{n}"

            def counted(db: str = database) -> int:
                return int(cluster.sql("SELECT count(*) - 1 FROM events", db))

            dir_store = str(scratch / f"ingest-{marker}")
            for which in ("dir", "pg") if n % 2 == 0 else ("pg", "dir"):
                if which == "dir":
                    dir_rates.append(ingest(job, dir_store, processes, each, None))
                else:
                    pg_rates.append(ingest(job, url, processes, each, counted))
            cluster.sql(f"DROP DATABASE {database}")
            log(f"ingest ({label}) {n + 1}/{repeat}: dir {dir_rates[-1]:,.0f}/s, pg {pg_rates[-1]:,.0f}/s")
        d, p = statistics.median(dir_rates), statistics.median(pg_rates)
        total = f"{processes} processes x {each:,} events"
        if target:
            rows.append((f"ingest, {total}, through the recorder's sink",
                         spread(dir_rates, "events/s", 0), spread(pg_rates, "events/s", 0), f"{p / d:.2f}x",
                         ">= 30,000 events/s and >= 0.4x", met(p >= 30_000 and p / d >= 0.4)))  # fmt: skip
        else:
            rows.append((f"ingest, {total}, `record_artifact` (its bookkeeping included; reference)",
                         spread(dir_rates, "events/s", 0), spread(pg_rates, "events/s", 0), f"{p / d:.2f}x",
                         "-", "-"))  # fmt: skip
    return rows


def down_latency() -> list[float]:
    """``record_artifact`` p99 (ms) with the server unreachable, over 5,000 calls, three processes."""
    code = (
        "import time; from lineage_cli.recorder import configure, record_artifact\n"
        "configure(store='postgresql://u@127.0.0.1:9/down')\n"
        "t=[]\n"
        "for n in range(5000):\n"
        " s=time.perf_counter(); record_artifact(f'a{n}'); t.append(time.perf_counter()-s)\n"
        "t.sort(); print(t[int(len(t)*0.99)-1]*1000)\n"
        "import os; os._exit(0)\n"  # skip the exit flush: only the calls are measured
    )
    found = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        found.append(float(done.stdout))
    return found


# -- queries --------------------------------------------------------------------------------


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def bench_size(size: str, cluster: Cluster, cache: Path, repeat: int) -> list[Row]:
    queries, directory, url, prep = prepared(size, cache, cluster)
    dir_build, pg_build = prep["dir_build"], prep["pg_build"]
    label = (
        f"{size}: full build (reference; made once, cached; PG after a COPY load of {prep['pg_load']:.1f} s)"
    )
    rows: list[Row] = [
        (label, f"{dir_build:.2f} s", f"{pg_build:.2f} s", f"{pg_build / dir_build:.2f}x", "-", "-")
    ]

    def pair(args: list[str]) -> tuple[list[float], list[float]]:
        got = alternate(
            {"dir": lambda: timed([LINEAGE, *args, "--store", str(directory)]),
             "pg": lambda: timed([LINEAGE, *args, "--store", url])}, repeat,
        )  # fmt: skip
        return got["dir"], got["pg"]

    cases = (
        ("ancestors", queries["small_ancestors"], ["ancestors", queries["small"]], "small"),
        ("descendants", queries["small_descendants"], ["descendants", queries["small_root"]], "small"),
        ("descendants", queries["large_descendants"], ["descendants", queries["large_root"]], "large"),
    )
    for name, answer, args, kind in cases:
        log(f"{size}: {name} ({answer})")
        d, p = pair(args)
        ratio = statistics.median(p) / statistics.median(d)
        target, ok = ("<= 1.2x", ratio <= 1.2) if kind == "small" else ("<= 1.0x", ratio <= 1.0)
        rows.append((f"{size}: {name}, {kind} answer ({answer:,} artifacts), whole process",
                     spread(d), spread(p), f"{ratio:.2f}x", target, met(ok)))  # fmt: skip
    log(f"{size}: ancestors --as-of")
    d, p = pair(["ancestors", queries["small"], "--as-of", MID_LOG])
    pg = statistics.median(p)
    judged = size == "1M"
    rows.append((f"{size}: ancestors --as-of (mid-log), small answer, whole process", spread(d), spread(p),
                 f"{pg / statistics.median(d):.2f}x", "PG <= 1 s at 1M" if judged else "- (judged at 1M)",
                 met(pg <= 1.0) if judged else "-"))  # fmt: skip
    log(f"{size}: build after 1,000 new events")
    from lineage_cli.recorder import artifact_event
    from lineage_cli.store.base import open_store

    run = f"{time.time_ns():x}"
    new = [artifact_event(f"new-{run}/{n:05d}", inputs=[queries["small"]]) for n in range(1000)]
    for store in (str(directory), url):
        with open_store(store) as opened:
            opened.append(new)
    got = alternate(
        {"dir": lambda: timed([LINEAGE, "build", "--store", str(directory)]),
         "pg": lambda: timed([LINEAGE, "build", "--store", url])}, 1,
    )  # fmt: skip
    d0, p0 = got["dir"][0], got["pg"][0]
    rows.append((f"{size}: build after 1,000 new events", f"{d0:.2f} s", f"{p0:.2f} s", f"{p0 / d0:.2f}x",
                 "<= 2 s on both at 1M" if judged else "- (judged at 1M)",
                 (met(d0 <= 2 and p0 <= 2) + f" (directory {met(d0 <= 2)}, PG {met(p0 <= 2)})")
                 if judged else "-"))  # fmt: skip
    return rows


def machine() -> str:
    load = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    return (
        f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100k", help="comma-separated: 10k, 100k, 1M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--each", type=int, default=5_000, help="events per ingest writer")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lineage-pg-bench")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--ingest-only", action="store_true", help="only the ingest rows (fresh databases)")
    parser.add_argument("--prepare-only", action="store_true", help="make the cached stores and stop")
    args = parser.parse_args(argv)
    cache: Path = args.cache.resolve()
    if cache.is_relative_to(HERE.parent):
        raise SystemExit("--cache must be outside the repository")
    cache.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    rows: list[Row] = []
    cluster = persistent_cluster(cache / "pg")
    try:
        if args.prepare_only:
            for size in args.sizes.split(","):
                prepared(size, cache, cluster)
            return 0
        with tempfile.TemporaryDirectory(prefix="pg-bench-") as tmp:
            scratch = Path(tmp)
            os.environ["LINEAGE_SPOOL"] = str(scratch / "spool")
            if not args.skip_ingest:
                rows += ingest_rows(cluster, scratch, args.processes, args.each, args.repeat)
                p99 = down_latency()
                label = "`record_artifact` p99 while the server is down (5,000 calls, 3 processes)"
                ok = met(statistics.median(p99) <= 5)
                rows.append((label, "-", spread(p99, "ms", 3), "-", "<= 5 ms", ok))
            for size in [] if args.ingest_only else args.sizes.split(","):
                rows += bench_size(size, cluster, cache, args.repeat)
    finally:
        cluster.stop("fast")
    what = "--ingest-only" if args.ingest_only else f"--sizes {args.sizes}"
    print(f"Run {started:%Y-%m-%d %H:%M} UTC with `python bench/pg_bench.py {what} "
          f"--repeat {args.repeat}`; {machine()} at the end ({load_before:.1f} at the start).\n")  # fmt: skip
    print("| measure | directory | PostgreSQL | PG / directory | target | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
