"""Benchmark `lineage` against its peers as whole processes, in turn, and write bench/RESULTS.md.

Usage::

    python bench/run.py                      # sizes 10k, 100k, 1M (the full run, long)
    python bench/run.py --sizes 10k,100k     # quick mode
    python bench/run.py --only startup,store # some groups only

Every measurement is one whole process (interpreter start-up included), timed from spawn to
exit; peak memory is the child's ``ru_maxrss`` from ``os.wait4``. Each case runs `lineage`
and its peer alternately (the order flips every repeat), so a noisy machine slows both alike
and the ratios hold. The table shows medians with min to max.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/ is not a package)

PY = sys.executable
LINEAGE = str(Path(PY).parent / "lineage")
PEER = [PY, str(HERE / "peer.py")]
GROUPS = ("startup", "store", "graph", "load", "export", "recorder", "build")


@dataclass
class Sample:
    """One process run: seconds, peak RSS in MB, exit code, and lines printed (when counted)."""

    seconds: float
    rss_mb: float
    code: int
    lines: int | None = None


@dataclass
class Case:
    """A measurement: our command against a peer command, in one group and size."""

    group: str
    size: str
    name: str
    ours: list[str]
    peer: list[str] | None
    peer_label: str
    cwd: Path | None = None
    setup: Callable[[], None] | None = None
    repeat: int | None = None
    peer_repeat: int | None = None
    results: dict[str, list[Sample]] = field(default_factory=lambda: {"ours": [], "peer": []})


def run_process(argv: list[str], *, timeout: float, cwd: Path | None = None) -> Sample:
    """Run one process to completion; time it, count its output lines, read its peak RSS (``wait4``).

    A process that prints ``seconds=X`` as its last line reports its own timed part (the build
    floor), which then replaces the wall time.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    assert proc.stdout is not None and proc.stderr is not None
    timer = threading.Timer(timeout, proc.kill)  # a runaway process is killed, and shows as exit -9
    timer.start()
    lines, tail = 0, b""
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
        lines += chunk.count(b"\n")
        tail = (tail + chunk)[-300:]
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        print(
            f"  ! exit {code}: {' '.join(argv)}\n    {stderr.decode(errors='replace')[-400:]}",
            file=sys.stderr,
        )
    last = tail.decode(errors="replace").strip().rsplit("\n", 1)[-1]
    if "seconds=" in last:
        seconds = float(last.rsplit("seconds=", 1)[1].split()[0])
    return Sample(seconds, usage.ru_maxrss / 1024, code, lines)


def median(samples: list[Sample]) -> float:
    return statistics.median(s.seconds for s in samples) if samples else float("nan")


def fmt(samples: list[Sample]) -> str:
    if not samples:
        return "-"
    times = [s.seconds for s in samples]
    if len(times) == 1:
        return f"{times[0]:.3f}"
    return f"{statistics.median(times):.3f} ({min(times):.3f}-{max(times):.3f})"


def ensure_data(size: str, data: Path) -> dict[str, Path]:
    """Generate the size's files once (deterministic, so a cached copy is the same bytes)."""
    paths = {
        "graph": data / f"lineage-{size}.json",
        "events": data / f"events-{size}.jsonl",
        "queries": data / f"queries-{size}.json",
    }
    if not all(p.exists() for p in paths.values()):
        print(f"generating {size} ...", file=sys.stderr)
        generate.write(size, data)
    return paths


def ensure_store(size: str, data: Path, files: dict[str, Path], timeout: float) -> tuple[Path, Sample | None]:
    """A built store for the size: lineage.json plus its index. Returns the store and the index build."""
    store = data / f"store-{size}"
    graph = store / "lineage.json"
    if not graph.exists() or graph.stat().st_size != files["graph"].stat().st_size:
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir(parents=True)
        shutil.copyfile(files["graph"], graph)
    index = store / "index.sqlite"
    sample = None
    if not index.exists() or index.stat().st_mtime < graph.stat().st_mtime:
        code = (
            "import sys\nfrom pathlib import Path\nfrom lineage_cli.lineagefile import load_graph\n"
            "from lineage_cli.store.index import build_index\n"
            "from lineage_cli.store.layout import StorePaths\n"
            "p = StorePaths(Path(sys.argv[1]))\nbuild_index(p, load_graph(p.graph))\n"
        )
        sample = run_process([PY, "-c", code, str(store)], timeout=timeout)
        print(f"  index for {size}: {sample.seconds:.2f} s, {sample.rss_mb:.0f} MB", file=sys.stderr)
    return store, sample


def plan(
    sizes: list[str], data: Path, groups: set[str], timeout: float
) -> tuple[list[Case], dict[str, Sample]]:
    cases: list[Case] = []
    extra: dict[str, Sample] = {}
    tiny_files = ensure_data("10", data)
    tiny_store, _ = ensure_store("10", data, tiny_files, timeout)
    tiny_q = orjson.loads(tiny_files["queries"].read_bytes())
    minimal = [PY, str(HERE / "minimal_app.py")]
    if "startup" in groups:
        cases.append(
            Case("startup", "10", "lineage --version", [LINEAGE, "--version"], minimal, "minimal Typer app")
        )
        cases.append(
            Case(
                "startup",
                "10",
                "ancestors, 10-artifact store",
                [LINEAGE, "ancestors", tiny_q["small"], "--store", str(tiny_store)],
                minimal,
                "minimal Typer app",
            )
        )
    for size in sizes:
        files = ensure_data(size, data)
        q = orjson.loads(files["queries"].read_bytes())
        graph = str(files["graph"])
        if groups & {"store", "graph", "export"}:
            store, built = ensure_store(size, data, files, timeout)
            if built:
                extra[f"index build {size}"] = built
        nx = "json + networkx"
        queries: list[tuple[str, str, list[str], str]] = []
        if "store" in groups:
            queries += [
                ("store", "ancestors", [q["small"]], f"ancestors (small: {q.get('small_ancestors', '?')})"),
                (
                    "store",
                    "descendants",
                    [q["small_root"]],
                    f"descendants (small: {q.get('small_descendants', '?')})",
                ),
                ("store", "impact", [q["small_root"]], "impact (small)"),
                ("store", "path", q["path"], "path"),
                (
                    "store",
                    "descendants",
                    [q["large_root"]],
                    f"descendants (large: {q.get('large_descendants', '?')})",
                ),
            ]
        if "graph" in groups:
            queries += [
                ("graph", "ancestors", [q["small"]], "ancestors --graph (small)"),
                ("graph", "descendants", [q["large_root"]], "descendants --graph (large)"),
            ]
        for group, command, args, label in queries:
            where = ["--store", str(store)] if group == "store" else ["--graph", graph]
            cases.append(
                Case(
                    group, size, label, [LINEAGE, command, *args, *where], [*PEER, graph, command, *args], nx
                )
            )
        if "export" in groups:
            cases.append(
                Case(
                    "export",
                    size,
                    "export --format dot",
                    [LINEAGE, "export", "--format", "dot", "--max-nodes", "0", "--graph", graph],
                    [*PEER, graph, "dot"],
                    nx,
                )
            )
        if "load" in groups:
            ours = [PY, "-c", f"from lineage_cli.lineagefile import load_graph; load_graph({graph!r})"]
            floor = [PY, "-c", f"import gc, orjson; gc.disable(); orjson.loads(open({graph!r}, 'rb').read())"]
            cases.append(Case("load", size, "load the lineage file", ours, floor, "orjson.loads, GC paused"))
            cases.append(Case("load", size, "load (peer: json.load)", ours, [*PEER, graph, "load"], nx))
        if "build" in groups and size != "10":
            cases.extend(build_cases(size, data, files))
    if "recorder" in groups:
        cases.extend(recorder_cases(data))
    return cases, extra


def build_cases(size: str, data: Path, files: dict[str, Path]) -> list[Case]:
    """`lineage build` of the size's event log against parsing the log and writing the result."""
    store = data / f"build-{size}"

    def setup() -> None:
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir(parents=True)
        os.link(files["events"], store / "events.jsonl")

    floor = [
        PY,
        str(HERE / "floor.py"),
        str(files["events"]),
        str(files["graph"]),
        str(data / f"floor-{size}.json"),
    ]
    events = sum(1 for _ in files["events"].open("rb"))
    # The same build with the query index left out, to show what the index adds.
    no_index = [
        PY,
        "-c",
        "import sys\nfrom pathlib import Path\nimport lineage_cli.store.build as b\n"
        "from lineage_cli.store.layout import StorePaths\n"
        "b._index_store = lambda *args: None\nb.build_store(StorePaths(Path(sys.argv[1])))\n",
        str(store),
    ]
    once = 1 if size == "1M" else None
    label = "parse log + write result"
    return [
        Case(
            "build",
            size,
            f"build ({events:,} events)",
            [LINEAGE, "build", "--store", str(store)],
            floor,
            label,
            setup=setup,
            repeat=once,
        ),
        Case(
            "build",
            size,
            f"build without the query index ({events:,} events)",
            no_index,
            floor,
            label,
            setup=setup,
            repeat=once,
        ),
    ]


def recorder_cases(data: Path) -> list[Case]:
    cases = []
    for processes in (1, 4):
        where = data / f"recorder-{processes}"

        def setup(where: Path = where) -> None:
            shutil.rmtree(where, ignore_errors=True)

        script = [PY, str(HERE / "recorder_bench.py")]
        cases.append(
            Case(
                "recorder",
                "20k events",
                f"record 20,000 events, {processes} process(es)",
                [*script, "lineage", "20000", str(processes), str(where)],
                [*script, "openlineage", "20000", str(processes), str(where)],
                "OpenLineage file transport",
                setup=setup,
            )
        )
    return cases


def measure(cases: list[Case], repeat: int, timeout: float, after_each: Callable[[], None]) -> None:
    for r in range(repeat):
        for case in cases:
            if case.repeat is not None and r >= case.repeat:
                continue
            order = ["ours", "peer"] if r % 2 == 0 else ["peer", "ours"]
            for side in order:
                argv = case.ours if side == "ours" else case.peer
                if argv is None or (
                    side == "peer" and case.peer_repeat is not None and r >= case.peer_repeat
                ):
                    continue
                if case.setup:
                    case.setup()
                sample = run_process(argv, timeout=timeout, cwd=case.cwd)
                case.results[side].append(sample)
            print(
                f"[{r + 1}/{repeat}] {case.size:>5} {case.name}: ours {median(case.results['ours']):.3f} s,"
                f" peer {median(case.results['peer']):.3f} s",
                file=sys.stderr,
            )
            after_each()  # a run cut short still leaves every measurement so far in RESULTS.md


def find(cases: list[Case], group: str, size: str, name: str) -> Case | None:
    for c in cases:
        if c.group == group and c.size == size and c.name.startswith(name) and c.results["ours"]:
            return c
    return None


def targets(cases: list[Case], extra: dict[str, Sample]) -> str:
    """The issue's targets, each as a ratio with a verdict."""
    rows = ["| target | measured | ratio | met |", "| --- | --- | --- | --- |"]

    def add(target: str, measured: str, value: float, ok: bool) -> None:
        rows.append(f"| {target} | {measured} | {value:.2f}x | {'yes' if ok else '**no**'} |")

    sizes = sorted(
        {c.size for c in cases if c.size in generate.SIZES and c.size != "10"}, key=generate.SIZES.__getitem__
    )
    tiny = find(cases, "startup", "10", "ancestors")
    minimal = tiny and median(tiny.results["peer"])
    if tiny and minimal:
        t = median(tiny.results["ours"])
        add(
            "10-artifact query <= 1.2x a minimal Typer app",
            f"{t:.3f} s vs {minimal:.3f} s",
            t / minimal,
            t / minimal <= 1.2,
        )
        version = find(cases, "startup", "10", "lineage --version")
        if version:
            v = median(version.results["ours"])
            add(
                "`lineage --version` vs a minimal Typer app (no target; for reference)",
                f"{v:.3f} s vs {minimal:.3f} s",
                v / minimal,
                True,
            )
    for size in sizes:
        for label in ("ancestors (small", "descendants (small", "impact (small"):
            c = find(cases, "store", size, label)
            if not c:
                continue
            t, rss = median(c.results["ours"]), max(s.rss_mb for s in c.results["ours"])
            if tiny and size == sizes[-1]:
                base = median(tiny.results["ours"])
                add(
                    f"{size}: {c.name} <= 1.5x the same on 10 artifacts",
                    f"{t:.3f} s vs {base:.3f} s",
                    t / base,
                    t / base <= 1.5,
                )
                add(f"{size}: {c.name} peak RSS < 300 MB", f"{rss:.0f} MB", rss / 300, rss < 300)
            p = median(c.results["peer"])
            if size == "1M":
                add(
                    f"{size}: {c.name} > 100x faster than networkx",
                    f"{t:.3f} s vs {p:.3f} s",
                    p / t,
                    p / t > 100,
                )
            else:  # the 100x target is set at 1M; smaller sizes show the trend
                measured = f"{t:.3f} s vs {p:.3f} s"
                rows.append(f"| {size}: {c.name} vs networkx (reference) | {measured} | {p / t:.2f}x | - |")
        if size in ("100k", "1M"):
            for group, label in (
                ("store", "descendants (large"),
                ("graph", "ancestors --graph"),
                ("graph", "descendants --graph"),
            ):
                c = find(cases, group, size, label)
                if c:
                    t, p = median(c.results["ours"]), median(c.results["peer"])
                    add(
                        f"{size}: {c.name} >= 5x faster than networkx",
                        f"{t:.3f} s vs {p:.3f} s",
                        p / t,
                        p / t >= 5,
                    )
    for size in sizes:
        c = find(cases, "load", size, "load the lineage file")
        if c:
            t, p = median(c.results["ours"]), median(c.results["peer"])
            add(
                f"{size}: load <= 1.5x orjson.loads with GC paused",
                f"{t:.3f} s vs {p:.3f} s",
                t / p,
                t / p <= 1.5,
            )
    for processes in (1, 4):
        c = find(cases, "recorder", "20k events", f"record 20,000 events, {processes}")
        if c:
            t, p = median(c.results["ours"]), median(c.results["peer"])
            if processes == 1:
                add(
                    "recorder >= 20,000 events/s from 1 process",
                    f"{20_000 / t:,.0f} events/s",
                    20_000 / t / 20_000,
                    20_000 / t >= 20_000,
                )
            add(
                f"recorder >= 5x OpenLineage file transport, {processes} process(es)",
                f"{20_000 / t:,.0f} vs {20_000 / p:,.0f} events/s",
                p / t,
                p / t >= 5,
            )
    for c in cases:
        if c.group == "build" and c.size == (sizes[-1] if sizes else "") and c.results["ours"]:
            t, p = median(c.results["ours"]), median(c.results["peer"])
            add(
                f"{c.size}: {c.name} <= 3x parsing the log + writing the result",
                f"{t:.3f} s vs {p:.3f} s",
                t / p,
                t / p <= 3,
            )
    return "\n".join(rows)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}; load average at the end {load[0]:.1f}"
    )


def table(cases: list[Case], extra: dict[str, Sample]) -> str:
    rows = [
        "| group | size | measure | lineage s, median (min-max) | peer | peer s, median (min-max)"
        " | peer / lineage | lineage peak RSS MB | peer peak RSS MB | answer lines (lineage / peer) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in cases:
        ours, peer = c.results["ours"], c.results["peer"]
        lines = ""
        if c.group in ("store", "graph") and ours:
            lines = f"{ours[0].lines} / {peer[0].lines if peer else '-'}"
        rss_o = f"{max(s.rss_mb for s in ours):.0f}" if ours else "-"
        rss_p = f"{max(s.rss_mb for s in peer):.0f}" if peer else "-"
        failed = [s.code for s in ours if s.code not in (0, 1)]
        note = f" (exit {failed[0]})" if failed else ""
        rows.append(
            f"| {c.group} | {c.size} | {c.name}{note} | {fmt(ours)} | {c.peer_label} | {fmt(peer)} |"
            f" {ratio(median(peer), median(ours))} | {rss_o} | {rss_p} | {lines} |"
        )
    for name, sample in extra.items():
        rows.append(
            f"| setup | {name.split()[-1]} | {name} (once) | {sample.seconds:.3f} | | | |"
            f" {sample.rss_mb:.0f} | | |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated, from: 10k, 100k, 1M")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help="comma-separated groups: " + ", ".join(GROUPS)
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per case")
    parser.add_argument("--repeat-1m", type=int, default=2, help="runs per 1M case (the peer takes a minute)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before a process is killed")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    groups = set(args.only.split(","))
    started = datetime.now(UTC)
    cases, extra = plan(sizes, args.data, groups, args.timeout)
    big = [c for c in cases if c.size == "1M"]
    for c in big:
        c.repeat = min(c.repeat or args.repeat, args.repeat_1m)
        if c.group in ("store", "graph", "export", "load") and c.peer and c.peer[:2] == PEER:
            c.peer_repeat = 1  # the networkx pipeline takes a minute or more at 1M: one run

    def write() -> None:
        args.out.write_text(report(cases, extra, started, sizes, args) + kept_sections(args.out))

    measure(cases, args.repeat, args.timeout, write)
    write()
    print(table(cases, extra))
    print(f"\nwritten: {args.out}", file=sys.stderr)
    return 0


def kept_sections(path: Path) -> str:
    """The sections other benchmarks wrote into RESULTS.md (``<!-- NAME:start -->`` to
    ``<!-- NAME:end -->``, such as ``serve_bench.py``'s), kept when this run rewrites the file."""
    text = path.read_text() if path.exists() else ""
    blocks = re.finditer(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", text, re.DOTALL)
    return "".join(f"\n{block.group(0)}\n" for block in blocks)


def report(
    cases: list[Case], extra: dict[str, Sample], started: datetime, sizes: list[str], args: argparse.Namespace
) -> str:
    return (
        "# Benchmark results\n\n"
        f"Run {started:%Y-%m-%d %H:%M} UTC with"
        f" `python bench/run.py --sizes {','.join(sizes)} --repeat {args.repeat}`"
        f" (1M cases: {args.repeat_1m} runs, the networkx peer once). Machine: " + machine() + ".\n\n"
        "Every number is one whole process (start-up included), `lineage` and its peer run alternately;"
        " medians with min-max. Peer / lineage above 1 means `lineage` is faster.\n\n"
        "## Targets\n\n" + targets(cases, extra) + "\n\n## All measurements\n\n" + table(cases, extra) + "\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
