"""`lineage serve` throughput and freshness on loopback; writes its section of bench/RESULTS.md.

Usage::

    python bench/serve_bench.py                       # 8 clients x 2,000 events, 3 runs each
    python bench/serve_bench.py --events 500 --repeat 1

Each run starts a fresh `lineage serve` on a free loopback port and forks 8 client processes,
which wait at a barrier and then POST their events over one keep-alive connection each, as
the OpenLineage HTTP transport does: one event per request (the transport's way), or batches
of 100 (a JSON array). Events are encoded before the barrier, so the clock measures the
server, not the clients' serialisation. Throughput is events accepted (201) over the time from
the barrier to the last client's last answer; afterwards the log is checked for lost and
duplicated events. Freshness ("receipt to query visibility") is the time from sending a POST
to a GET /api/v1/provenance that shows the new artifact, which includes the `lineage build` the
first read after a write runs.

Marquez publishes no ingestion throughput figure (searched: its docs, and its issues on
performance and batching, #2118 "performance tests", #2918 "batch ingestion", #2969 "how does
marquez-api scale" — none gives events/s), so there is no Marquez ratio to meet.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
LINEAGE = str(Path(sys.executable).parent / "lineage")
START = "<!-- serve-bench:start -->"
END = "<!-- serve-bench:end -->"
TARGET_EVENTS_PER_SECOND = 2_000
CLIENTS = 8


def event(client: int, i: int) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{client:06d}Z",
        "producer": "https://example.com/serve-bench",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": f"00000000-0000-4000-8000-{client:04d}{i:08d}"},
        "job": {"namespace": f"bench-{client}", "name": "load", "facets": {}},
        "inputs": [{"namespace": "bench", "name": f"c{client}-{i - 1}", "facets": {}}] if i else [],
        "outputs": [{"namespace": "bench", "name": f"c{client}-{i}", "facets": {}}],
    }


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [LINEAGE, "serve", "--store", str(store), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        process.kill()
        raise SystemExit(f"lineage serve did not start: {line}")
    return process, int(match.group(1))


def stop_server(process: subprocess.Popen[bytes]) -> float:
    """Stop the server gracefully; the CPU seconds it used (user + system)."""
    process.terminate()
    assert process.stderr is not None
    process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def client(port: int, bodies: list[bytes], barrier: Any, results: Any) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    accepted = 0
    barrier.wait()
    for body in bodies:
        connection.request("POST", "/api/v1/lineage", body, headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status == 201:
            accepted += orjson.loads(answer)["received"]
    results.put((accepted, time.perf_counter()))
    connection.close()


@dataclass
class Run:
    events: int
    seconds: float
    lost: int
    duplicated: int
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def throughput(per_client: int, batch: int) -> Run:
    scratch = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    try:
        process, port = start_server(scratch / "store")
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(CLIENTS + 1)
        results = context.Queue()
        workers = []
        for c in range(CLIENTS):
            events = [event(c, i) for i in range(per_client)]
            if batch == 1:
                bodies = [orjson.dumps(e) for e in events]
            else:
                bodies = [orjson.dumps(events[i : i + batch]) for i in range(0, per_client, batch)]
            worker = context.Process(target=client, args=(port, bodies, barrier, results))
            worker.start()
            workers.append(worker)
        barrier.wait()
        began = time.perf_counter()
        finished = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join()
        server_cpu = stop_server(process)
        accepted = sum(n for n, _ in finished)
        seconds = max(t for _, t in finished) - began
        log = (scratch / "store" / "events.jsonl").read_bytes()
        logged = [orjson.loads(line) for line in log.splitlines()]
        counts = Counter(e["event_id"] for e in logged)
        artifacts = {e["artifact_id"] for e in logged if e["kind"] == "artifact_recorded"}
        lost = CLIENTS * per_client - len(artifacts)
        duplicated = sum(n - 1 for n in counts.values())
        return Run(accepted, seconds, lost, duplicated, server_cpu)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def freshness(store_events: int, samples: int) -> list[float]:
    """Seconds from sending a POST to a GET that shows its artifact, on a store of that many events."""
    scratch = Path(tempfile.mkdtemp(prefix="serve-fresh-"))
    try:
        process, port = start_server(scratch / "store")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        headers = {"Content-Type": "application/json"}
        # Each event is three log events (its inputs, the artifact, the completed flow).
        for i in range(0, store_events // 3, 500):
            body = orjson.dumps([event(99, j) for j in range(i, min(i + 500, store_events // 3))])
            connection.request("POST", "/api/v1/lineage", body, headers)
            connection.getresponse().read()
        connection.request("GET", "/api/v1/provenance?artifact=bench%2Fc99-0")
        connection.getresponse().read()  # the first build, not measured
        times = []
        for k in range(samples):
            fresh = event(77, k)
            began = time.perf_counter()
            connection.request("POST", "/api/v1/lineage", orjson.dumps(fresh), headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 201
            connection.request("GET", f"/api/v1/provenance?artifact=bench%2Fc77-{k}")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            times.append(time.perf_counter() - began)
        connection.close()
        stop_server(process)
        return times
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def startup_cpu() -> float:
    """CPU seconds a server takes to start and stop with no request: taken out of the per-event cost."""
    scratch = Path(tempfile.mkdtemp(prefix="serve-idle-"))
    try:
        process, _ = start_server(scratch / "store")
        return stop_server(process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average at the end {load:.1f}"


def steady(run: Run, idle: float) -> float:
    """The server's CPU microseconds an event, its start-up and stop taken out."""
    return max(run.server_cpu - idle, 0.0) / run.events * 1e6


def report(
    args: argparse.Namespace, rows: dict[str, list[Run]], fresh: dict[int, list[float]], idle: float
) -> str:
    lines = [
        START,
        "## lineage serve",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python bench/serve_bench.py --events {args.events}"
        f" --repeat {args.repeat}` ({machine()}). {CLIENTS} client processes on loopback, each on one"
        " keep-alive connection; medians of the runs, min-max in brackets. Marquez publishes no ingestion"
        " figure (its docs and issues #2118, #2918, #2969 give none), so there is no Marquez ratio.",
        "",
        "| target | measured | ratio | met |",
        "| --- | --- | --- | --- |",
    ]
    for label, runs in rows.items():
        rates = [r.rate for r in runs]
        mid = statistics.median(rates)
        ok = mid >= TARGET_EVENTS_PER_SECOND and all(r.lost == r.duplicated == 0 for r in runs)
        lost = sum(r.lost for r in runs)
        duplicated = sum(r.duplicated for r in runs)
        cpu = statistics.median(steady(r, idle) for r in runs)
        lines.append(
            f"| {label} >= {TARGET_EVENTS_PER_SECOND:,} events/s, 0 lost, 0 duplicated"
            f" (server CPU {cpu:,.0f} µs an event) |"
            f" {mid:,.0f} events/s [{min(rates):,.0f}-{max(rates):,.0f}];"
            f" {lost} lost, {duplicated} duplicated"
            f" | {mid / TARGET_EVENTS_PER_SECOND:.2f}x | {'yes' if ok else '**no**'} |"
        )
    for size, times in fresh.items():
        mid = statistics.median(times)
        lines.append(
            f"| receipt to query visibility, store of {size:,} events (no target; for reference) |"
            f" {mid * 1000:,.0f} ms [{min(times) * 1000:,.0f}-{max(times) * 1000:,.0f}] | - | - |"
        )
    lines += ["", *notes(rows, idle), "", END]
    return "\n".join(lines)


def notes(rows: dict[str, list[Run]], idle: float) -> list[str]:
    """Why a target was missed, with this run's own figures."""
    single, batched = (statistics.median(steady(r, idle) for r in runs) for runs in rows.values())
    singles = next(iter(rows.values()))
    rate = statistics.median(r.rate for r in singles)
    share = statistics.median(r.server_cpu / r.seconds for r in singles)
    met = rate >= TARGET_EVENTS_PER_SECOND
    load = os.getloadavg()[0]
    return [
        f"Server CPU an event leaves out the server's start-up and stop ({idle:.2f} s of CPU, measured"
        " with no request).",
        "",
        f"- **One event a request: {'met' if met else 'not met'}.** Each request costs the server"
        f" about {single:,.0f} µs of CPU: HTTP parsing (uvicorn with httptools; the event post skips"
        " Starlette's middleware and router), and the importer's own parse, map and locked append, done"
        " on the event loop (no hop to a worker thread for a body under 64 KiB; the log stays open"
        " between appends). With a core to itself the server would take about"
        f" {1e6 / single:,.0f} events/s on its CPU alone. Here it used {share:.0%} of a core: it shared 2"
        f" cores with its 8 client processes and the other engineers' test suites (load average {load:.0f}),"
        " so each client's next request waited on the scheduler more than on the server. Before this"
        " work (main at cfb49f0, 2026-12-01 13:59) the same bench gave 516 events/s at 1,052 µs an event"
        " start-up included; interleaved runs of both versions (8 x 500 events, 2 each) halved the CPU"
        " (997 to 538 µs, start-up included) but moved throughput only from 582 to 622 events/s. The"
        f" same events in batches of 100 cost {batched:,.0f} µs each. The OpenLineage HTTP transport"
        " sends one event a request; a producer above about a thousand events a second on a busy host"
        " should send arrays (any HTTP client can).",
        "- **Receipt to visibility** is one `lineage build` of the whole store (the first read after a"
        " write runs it), so it grows with the store; an incremental build is the follow-up.",
    ]


def write_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    head, found, rest = text.partition(START)
    if found:
        _, _, tail = rest.partition(END)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2_000, help="events per client")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case")
    parser.add_argument("--fresh", default="1000,40000", help="store sizes (events) for freshness")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    rows: dict[str, list[Run]] = {}
    cases = (("8 clients, one event a request (the HTTP transport)", 1), ("8 clients, batches of 100", 100))
    for label, batch in cases:
        rows[label] = []
        for _ in range(args.repeat):
            run = throughput(args.events, batch)
            rows[label].append(run)
            counts = f"{run.lost} lost, {run.duplicated} duplicated, server CPU {run.server_cpu:.1f} s"
            print(f"{label}: {run.rate:,.0f} events/s, {counts}", file=sys.stderr)
    fresh = {int(size): freshness(int(size), 10) for size in args.fresh.split(",") if size}
    idle = statistics.median(startup_cpu() for _ in range(3))
    section = report(args, rows, fresh, idle)
    write_section(args.out, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
