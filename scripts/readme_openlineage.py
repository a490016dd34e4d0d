"""Regenerate the README's real-event OpenLineage examples (between the openlineage-real markers).

Run ``.venv/bin/python scripts/readme_openlineage.py``; ``tests/test_openlineage_readme.py``
checks that the README holds exactly what this prints. The commands run in a fresh directory
whose ``../shared`` is the shared data beside the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START, END = "<!-- openlineage-real:start -->", "<!-- openlineage-real:end -->"

COMMANDS = [
    "lineage import openlineage ../shared/real-openlineage/*.ndjson --assume-utc",
    "lineage build",
    "lineage provenance s3://warehouse/wh/demo_etl/customers | grep -v '^metadata'",
    "lineage ancestors http://rest:8181/demo_etl.customers_cleaned",
    "lineage provenance file:///tmp/cll_test/tbl1 | head -6",
    "lineage ancestors 'food_delivery/public.top_delivery_times#order_delivery_time'",
    "lineage path 'food_delivery/public.orders#placed_on' "
    "'food_delivery/public.top_delivery_times#order_delivery_time' --directed",
    "lineage provenance --columns gs://mock-bucket/result.csv",
    "lineage diff 2024-10-17T09:18:14Z 2024-10-17T09:18:15Z",
    "lineage provenance s3a://acryl-datahub-offline/tmp/daily_stats2 | grep -E '^(status|error):'",
]


def shared_dir() -> Path:
    """The shared data directory beside the checkout (or two levels up, for a worktree)."""
    for base in (REPO.parent, *REPO.parent.parents):
        if (base / "shared" / "real-openlineage").is_dir():
            return base / "shared"
    raise SystemExit("../shared/real-openlineage not found beside the checkout")


def render() -> str:
    """The console block: each command and its output (stdout and stderr, as a terminal shows)."""
    lines = ["```console"]
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp) / "work"
        here.mkdir()
        (Path(tmp) / "shared").symlink_to(shared_dir())
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        env.pop("LINEAGE_STORE", None)
        env.pop("LINEAGE_GRAPH", None)
        for command in COMMANDS:
            done = subprocess.run(
                ["bash", "-c", command], cwd=here, env=env, capture_output=True, text=True, check=False
            )
            lines.append(f"$ {command}")
            lines += (done.stderr + done.stdout).rstrip("\n").splitlines()
    lines.append("```")
    return "\n".join(lines)


def rewrite(readme: str, block: str) -> str:
    """``readme`` with the block between the markers replaced."""
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


if __name__ == "__main__":
    README.write_text(rewrite(README.read_text(encoding="utf-8"), render()), encoding="utf-8")
    print("README.md's OpenLineage examples rewritten.", file=sys.stderr)
