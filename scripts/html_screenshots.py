"""Take the README's screenshots of the HTML view (``docs/html-view-*.png``) in headless Chromium.

Run ``python scripts/html_screenshots.py`` after changing the page; it needs Debian's chromium and
the ``dev`` extra (Playwright). The real graph is read from ``../shared/real-graphs/``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import chromium, chromium_path, watched_page  # noqa: E402
from tests.conftest import REAL_GRAPHS  # noqa: E402

LINEAGE = Path(sys.executable).parent / "lineage"
SHOTS = [
    # (graph file, artifact to select, output name)
    (REPO / "sample_graphs" / "ml-training.json", "model:ctr-xgb/run-0417", "html-view-ml-training.png"),
    (
        REAL_GRAPHS / "dbt-tuva.json",
        "model.the_tuva_project.core__condition",
        "html-view-dbt-tuva.png",
    ),
]


def overview(browser: object, scratch: Path) -> None:
    """100,000 generated artifacts: the page as it opens, on collapsed workflow groups."""
    sys.path.insert(0, str(REPO / "bench"))
    import orjson
    from generate import lineage_document

    graph = scratch / "100k.json"
    graph.write_bytes(orjson.dumps(lineage_document(100_000)))
    page_file = scratch / "100k.html"
    subprocess.run(
        [str(LINEAGE), "export", "--format", "html", "--graph", str(graph), "-o", str(page_file)], check=True
    )
    with watched_page(browser, width=1600, height=940) as tab:
        page = tab.open(page_file)
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(REPO / "docs" / "html-view-100k.png"))
        assert tab.errors == [], tab.errors
    print("wrote docs/html-view-100k.png", file=sys.stderr)


def main() -> int:
    """Export each graph, select an artifact, and save a screenshot under docs/."""
    path = chromium_path()
    if path is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch, chromium(path) as browser:
        for graph, artifact, name in SHOTS:
            page_file = Path(scratch) / (name + ".html")
            subprocess.run(
                [str(LINEAGE), "export", "--format", "html", "--graph", str(graph), "-o", str(page_file)],
                check=True,
            )
            with watched_page(browser, width=1600, height=940) as tab:
                page = tab.open(page_file)
                tab.view("setDepth", 2, 2)
                tab.view("select", artifact)
                page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                page.screenshot(path=str(REPO / "docs" / name))
                assert tab.errors == [], tab.errors
            print(f"wrote docs/{name}", file=sys.stderr)
        if "--no-100k" not in sys.argv:
            overview(browser, Path(scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
