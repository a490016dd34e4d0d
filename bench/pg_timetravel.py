"""Time travel over a whole PostgreSQL store: ``at``, ``diff`` and ``stale --as-of``, whole processes.

Usage: ``python bench/pg_timetravel.py --cache /tmp/lbc-pgat --sizes 100k,1M --repeat 3 --label after
[--compare before]``. The cache holds a durable cluster in ``pg/`` with one database per size
(``bench_100k``, ``bench_1m``: a copy of ``bench/pg_bench.py``'s cache, made with
``pg_basebackup``). Each run first builds every store (untimed), then appends 1,000 new
artifacts and times a ``build``, then appends 1,000 more (left unbuilt, as on a live store)
and times:

- ``at`` at the last build's last event time (the state a build left);
- ``at`` now (the last build plus the 1,000 events since);
- ``diff`` between those two moments;
- ``stale --as-of`` now.

Medians (min-max) are saved as ``timetravel-<label>.json`` in the cache; ``--compare LABEL``
prints a Markdown table of that run against this one, with ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from pg_bench import LINEAGE, log, machine, persistent_cluster  # noqa: E402


def timed(argv: list[str]) -> float:
    """Seconds one whole ``lineage`` process takes (its output thrown away; exit 0 or 1)."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:3])}: {done.stderr.strip()[:500]}")
    return elapsed


def append_new(url: str) -> None:
    """Append 1,000 new artifacts, recorded now, in chains of 10 (inputs among themselves)."""
    from lineage_cli.recorder import artifact_event
    from lineage_cli.store.base import open_store

    run = f"{time.time_ns():x}"
    events = [
        artifact_event(f"tt-{run}/{n:04d}", inputs=[f"tt-{run}/{n - 1:04d}"] if n % 10 else [])
        for n in range(1000)
    ]
    with open_store(url) as store:
        store.append(events)


def prepare(url: str, size: str) -> tuple[str, str, float]:
    """Build (untimed), then append 1,000 artifacts and time a build, then append 1,000 left unbuilt.

    Returns the two moments (the last build's last event, now) and the build's seconds.
    """
    from lineage_cli.model import format_timestamp, utc_now
    from lineage_cli.store.base import open_store

    log(f"{size}: bringing the store up to date (untimed; an upgrade's migration runs here)")
    subprocess.run([LINEAGE, "build", "--store", url], check=True, stdout=subprocess.DEVNULL)
    append_new(url)
    log(f"{size}: build after 1,000 new events")
    build = timed([LINEAGE, "build", "--store", url])
    append_new(url)
    with open_store(url) as store:
        built = store.builds()[-1]["last_event_time"]
    return built, format_timestamp(utc_now() + timedelta(seconds=1)), build


def bench(url: str, size: str, repeat: int) -> dict[str, list[float]]:
    built, now, build = prepare(url, size)
    cases = {
        "at, the last build's moment": ["at", built],
        "at, now (the last build + 1,000 unbuilt events)": ["at", now],
        "diff between the two": ["diff", built, now],
        "stale --as-of now": ["stale", "--as-of", now],
    }
    samples: dict[str, list[float]] = {f"{size}: build after 1,000 new events (target <= 2 s at 1M)": [build]}
    for label, args in cases.items():
        log(f"{size}: {label}")
        samples[f"{size}: {label}"] = [timed([LINEAGE, *args, "--store", url]) for _ in range(repeat)]
    return samples


def show(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--label", default="after")
    parser.add_argument("--compare", default=None, help="the label of an earlier run to compare with")
    args = parser.parse_args(argv)
    cluster = persistent_cluster(args.cache / "pg")
    results: dict[str, list[float]] = {}
    try:
        for size in args.sizes.split(","):
            results.update(bench(cluster.url(f"bench_{size.lower()}"), size, args.repeat))
    finally:
        cluster.stop("fast")
    (args.cache / f"timetravel-{args.label}.json").write_bytes(orjson.dumps(results))
    print(f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}.\n")
    if args.compare:
        before = orjson.loads((args.cache / f"timetravel-{args.compare}.json").read_bytes())
        print(f"| measure | {args.compare} | {args.label} | {args.label} / {args.compare} |")
        print("| --- | --- | --- | --- |")
        for label, values in results.items():
            old = before.get(label)
            ratio = f"{statistics.median(values) / statistics.median(old):.2f}x" if old else "-"
            print(f"| {label} | {show(old) if old else '-'} | {show(values)} | {ratio} |")
    else:
        print(f"| measure | {args.label} |")
        print("| --- | --- |")
        for label, values in results.items():
            print(f"| {label} | {show(values)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
