"""Benchmark `lineage import openlineage` throughput (events/s) against the importer before issue 13.

Usage::

    python bench/openlineage_import.py                  # 1M events, 2 runs each (long)
    python bench/openlineage_import.py --events 100000  # quick

The stream is Spark-like: runs of START (inputs and outputs), RUNNING, RUNNING and COMPLETE
(outputs only), a run in 20 failing, a dataset in 10 with a ``symlinks`` facet and a
``columnLineage`` facet. Each measurement is one whole process importing the file into a fresh
store; the baseline is ``lineage_cli/interop/openlineage_import.py`` as it was before issue 13
(git ``d2a7d67^``: one import call's runs kept in memory), run alternately with today's. The
target: today's importer at most 1.2x slower than the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASELINE_COMMIT = "d2a7d67^"
PY = sys.executable


def generate(path: Path, events: int) -> None:
    """Write ``events`` OpenLineage events (4 per run) as NDJSON to ``path``."""
    lines = []
    for run in range(events // 4):
        minute = run // 60
        when = f"2026-03-{1 + (minute // 1440) % 28:02d}T{(minute // 60) % 24:02d}:{minute % 60:02d}"
        table = run % 5000
        facets = {}
        if run % 10 == 0:
            facets = {
                "symlinks": {
                    "identifiers": [{"namespace": "hive://m:9083", "name": f"db.t{table}", "type": "TABLE"}]
                },
                "columnLineage": {
                    "fields": {
                        "id": {
                            "inputFields": [{"namespace": "s3://lake", "name": f"raw/{table}", "field": "id"}]
                        }
                    }
                },
            }
        output = {"namespace": "s3://lake", "name": f"clean/{table}", "facets": facets}
        inputs = [
            {"namespace": "s3://lake", "name": f"raw/{table}"},
            {"namespace": "s3://lake", "name": "ref/dim"},
        ]
        job = {"namespace": "spark", "name": f"job{table}"}
        run_id = f"00000000-0000-4000-8000-{run:012d}"
        last = "FAIL" if run % 20 == 0 else "COMPLETE"
        for step, (kind, ins) in enumerate((("START", inputs), ("RUNNING", []), ("RUNNING", []), (last, []))):
            lines.append(
                orjson.dumps(
                    {
                        "eventType": kind,
                        "eventTime": f"{when}:{step * 10 + 1:02d}.{run % 1000:03d}Z",
                        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/spark",
                        "run": {"runId": run_id},
                        "job": job,
                        "inputs": ins,
                        "outputs": [output],
                    }
                )
            )
    path.write_bytes(b"\n".join(lines) + b"\n")


IMPORT = """
import importlib.util, sys
from pathlib import Path
from lineage_cli.store.layout import StorePaths
spec = importlib.util.spec_from_file_location("importer", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["importer"] = module  # dataclasses look their module up
spec.loader.exec_module(module)
result = module.import_openlineage([sys.argv[2]], StorePaths(Path(sys.argv[3])))
assert not result.problems, result.problems[:3]
print(result.read, result.appended)
"""


def measure(importer: Path, stream: Path, store: Path) -> tuple[float, str]:
    shutil.rmtree(store, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run(
        [PY, "-c", IMPORT, str(importer), str(stream), str(store)], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    shutil.rmtree(store, ignore_errors=True)
    return seconds, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    stream = args.data / f"openlineage-{args.events}.ndjson"
    if not stream.exists():
        generate(stream, args.events)
    baseline = args.data / "openlineage_import_baseline.py"
    baseline.write_bytes(
        subprocess.run(
            ["git", "show", f"{BASELINE_COMMIT}:lineage_cli/interop/openlineage_import.py"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
    )
    today = REPO / "lineage_cli" / "interop" / "openlineage_import.py"
    times: dict[str, list[float]] = {"baseline": [], "today": []}
    for repeat in range(args.repeat):
        order = [("baseline", baseline), ("today", today)]
        for name, importer in order if repeat % 2 == 0 else reversed(order):
            seconds, summary = measure(importer, stream, args.data / "ol-store")
            times[name].append(seconds)
            print(f"{name}: {seconds:.1f} s ({summary})", file=sys.stderr)
    base, now = statistics.median(times["baseline"]), statistics.median(times["today"])
    print(
        f"{args.events:,} events: baseline {base:.1f} s ({args.events / base:,.0f} events/s), "
        f"today {now:.1f} s ({args.events / now:,.0f} events/s); today / baseline = {now / base:.2f}x "
        f"(target <= 1.2x: {'met' if now / base <= 1.2 else 'not met'})"
    )


if __name__ == "__main__":
    main()
