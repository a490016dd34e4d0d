"""Benchmark the HTML view: export time, file size, first paint and time per click, in headless Chromium.

Usage: ``python bench/html_view.py [--sizes 500 5000 50000 100000] [--repeat 3]``. Graphs come from
``bench/generate.py`` (cached in ``bench/data/``); the browser is Debian's chromium driven by
Playwright with software rendering (no GPU). Prints a Markdown table; targets from issue 10.

- *export*: ``lineage export --format html`` of the whole graph, wall and CPU seconds (the CPU
  time is the fairer figure on a shared machine);
- *first paint*: navigation start to the first frame with the graph drawn
  (``lineageView.timings.firstDraw``, read from ``performance.now()``);
- *click*: a real mouse click on an artifact, from the click to the next frame after its
  highlight was drawn (wall time in Python), and the handler's own time in the page.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench/ is not a package (see run.py)
sys.path.insert(0, str(HERE.parent))

from generate import lineage_document  # noqa: E402

from tests.browser import chromium, chromium_path, watched_page  # noqa: E402

LINEAGE = Path(sys.executable).parent / "lineage"
DATA = HERE / "data"
NEXT_FRAME = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def graph_file(count: int) -> Path:
    path = DATA / f"html-{count}.json"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(lineage_document(count)))
    return path


def export(count: int, repeat: int) -> tuple[Path, list[float], list[float]]:
    out = DATA / f"html-{count}.html"
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [str(LINEAGE), "export", "--format", "html", "--graph", str(graph_file(count)), "-o", str(out)],
            check=True,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return out, walls, cpus


def browse(browser: Any, page_file: Path, repeat: int) -> dict[str, list[float]]:
    paints: list[float] = []
    clicks: list[float] = []
    handler: list[float] = []
    expands: list[float] = []
    ids = json.loads(graph_file_ids(page_file))
    for run in range(repeat):
        with watched_page(browser) as tab:
            page = tab.open(page_file)
            paints.append(page.evaluate("lineageView.timings.firstDraw") / 1000)
            groups = tab.view("groups")
            if not all(g["expanded"] for g in groups):
                # A click on a collapsed group: it expands in place.
                name = groups[run % len(groups)]["name"]
                target = next(i for i in ids if i.startswith(name + "/"))
                pos = tab.view("screenPos", target)
                start = time.perf_counter()
                page.mouse.click(pos["x"], pos["y"])
                page.evaluate(NEXT_FRAME)
                expands.append(time.perf_counter() - start)
            for aid in ids[run :: max(1, len(ids) // 5)][:5]:
                tab.view("select", aid)  # reveals and centres it
                tab.view("select", None)
                page.evaluate(NEXT_FRAME)
                pos = tab.view("screenPos", aid)
                start = time.perf_counter()
                page.mouse.click(pos["x"], pos["y"])
                page.evaluate(NEXT_FRAME)
                clicks.append(time.perf_counter() - start)
                handler.append(page.evaluate("lineageView.timings.lastClick") / 1000)
                assert tab.view("selection")["selected"] == aid
            assert tab.errors == [], tab.errors
    return {"paint": paints, "click": clicks, "handler": handler, "expand": expands}


def graph_file_ids(page_file: Path) -> str:
    count = int(page_file.stem.split("-")[1])
    # Artifacts deep in a workflow, where highlights are largest: the last stage's of each workflow.
    ids = sorted(orjson.loads(graph_file(count).read_bytes())["nodes"])
    return json.dumps(ids)


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 50000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = chromium_path()
    if path is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    rows = []
    with chromium(path) as browser:
        for count in args.sizes:
            out, walls, cpus = export(count, args.repeat)
            timings = browse(browser, out, args.repeat)
            rows.append((count, out.stat().st_size, walls, cpus, timings))
            print(f"{count}: done", file=sys.stderr)
    print("| artifacts | file | export wall / CPU | first paint | click → highlight (handler) | expand |")
    print("|---|---|---|---|---|---|")
    for count, size, walls, cpus, t in rows:
        print(
            f"| {count:,} | {size / 1e6:.2f} MB | {med(walls):.2f} s / {med(cpus):.2f} s | "
            f"{med(t['paint']):.2f} s ({min(t['paint']):.2f}–{max(t['paint']):.2f}) | "
            f"{med(t['click']) * 1000:.0f} ms ({med(t['handler']) * 1000:.0f} ms) | "
            + (f"{med(t['expand']) * 1000:.0f} ms |" if t["expand"] else "– |")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
