"""Rewrite the README's tour with the real output of each command (``--check``: only compare).

Each command runs through the installed ``lineage`` (next to this Python), in a shell from the
repository root, with output piped (so it is the plain, scriptable form) and a fixed environment.
``tests/test_docs.py`` fails when the README's tour differs from what this script produces now.

To add a command to the tour, append a :class:`Stop` to ``TOUR``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START = "<!-- tour:start -->"
END = "<!-- tour:end -->"


@dataclass(frozen=True)
class Stop:
    """One stop of the tour: a heading, a sentence or two, and shell commands to run and show."""

    title: str
    text: str
    commands: tuple[str, ...]


TOUR: list[Stop] = [
    Stop(
        "Every command",
        "`lineage --help` lists the commands; each has its own `--help`. Every command reads the "
        "lineage file named by `--graph FILE` (`-` is stdin), else `$LINEAGE_GRAPH`, else "
        "`lineage.json` in the store (`--store DIR`, else `$LINEAGE_STORE`, else `.lineage/`).",
        ("lineage --help",),
    ),
    Stop(
        "lineage validate",
        "Checks lineage files and prints one finding per line (see [Validating a file]"
        "(#validating-a-file) for every check). The shipped samples are clean even under `--strict`; "
        "the summary goes to stderr.",
        ("lineage validate --strict sample_graphs/*.json",),
    ),
    Stop(
        "",
        "A broken file: every problem is reported with its JSONPath, not just the first one, and "
        "one cycle is printed. The exit status is 1.",
        ("lineage validate examples/broken.json",),
    ),
    Stop(
        "",
        "Malformed JSON is a finding too, with its line and column; `-` reads stdin. With `--json`, "
        "the report is one JSON document.",
        (
            "head -c 300 sample_graphs/ml-training.json | lineage validate -",
            "lineage validate --json --strict sample_graphs/agent-orchestration.json",
        ),
    ),
    Stop(
        "lineage import openlineage",
        "Reads the NDJSON that OpenLineage clients write and appends the equivalent events to the store "
        "(see [OpenLineage and W3C PROV](#openlineage-and-w3c-prov)). `examples/openlineage-events.ndjson` "
        "was written by three jobs through the real `openlineage-python` file transport "
        "(`examples/openlineage_jobs.py`). The same events twice add nothing; the summary goes to stderr.",
        (
            'lineage import openlineage examples/openlineage-events.ndjson --store "$(mktemp -d)"',
            "cat examples/openlineage-events.ndjson examples/openlineage-events.ndjson"
            ' | lineage import openlineage - --store "$(mktemp -d)"',
        ),
    ),
    Stop(
        "",
        "A bad line is reported with its line number, and then nothing is imported (exit status 2) "
        "unless `--skip-bad` is given.",
        (
            """printf '{"eventType": "RESTART", "run": {"runId": "r"}}\\n{oops\\n'"""
            ' | lineage import openlineage - --store "$(mktemp -d)"',
        ),
    ),
    Stop(
        "lineage import graph",
        "Merges a lineage file into the store: each artifact becomes an event at its own timestamp.",
        ('lineage import graph sample_graphs/warehouse-etl.json --store "$(mktemp -d)"',),
    ),
]


def environment() -> dict[str, str]:
    """A fixed environment: the installed `lineage` first on PATH and nothing else that could leak in.

    Built from scratch, not copied: variables such as GITHUB_ACTIONS, FORCE_COLOR or TERMINAL_WIDTH
    change how help and tables are drawn, and LINEAGE_* would change what is read.
    """
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "lineage").exists():
        raise SystemExit(f"error: {bin_dir / 'lineage'} is missing; run `make dev` first.")
    env = {key: os.environ[key] for key in ("HOME", "TMPDIR") if key in os.environ}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        COLUMNS="100",
        LC_ALL="C.UTF-8",
        TERM="dumb",
        NO_COLOR="1",
        PYTHONHASHSEED="0",
    )
    return env


def run(command: str, env: dict[str, str]) -> str:
    """Run one shell command from the repository root; return what it printed, and its exit status."""
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    output = result.stdout.rstrip("\n")
    lines = [line.rstrip() for line in output.splitlines()]
    if result.returncode:
        lines.append(f"[exit status {result.returncode}]")
    return "\n".join(lines)


def render() -> str:
    """The text between the tour markers, with every command's real output."""
    env = environment()
    parts = [
        "## A tour of the commands",
        "",
        "Real output, on the graphs in `sample_graphs/`, regenerated by `scripts/readme_tour.py` "
        "(a test fails if it is out of date). Output is piped, so it is the plain form that "
        "scripts read; on a terminal the same commands print tables and trees. stderr is shown "
        "too, after stdout.",
        "",
    ]
    for stop in TOUR:
        if stop.title:
            parts += [f"### {stop.title}", ""]
        parts += [stop.text, "", "```console"]
        for command in stop.commands:
            parts += [f"$ {command}", run(command, env)]
        parts += ["```", ""]
    return "\n".join(parts)


def rewrite(readme: str, tour: str) -> str:
    """``readme`` with the block between the markers replaced by ``tour``."""
    head, found, rest = readme.partition(START)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"error: {README} lacks the {START} ... {END} markers.")
    return f"{head}{START}\n{tour}{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite README.md, or with ``--check`` exit 1 when it is out of date."""
    current = README.read_text(encoding="utf-8")
    wanted = rewrite(current, render())
    if "--check" in argv:
        if wanted != current:
            print(
                "README.md's tour is out of date; run: .venv/bin/python scripts/readme_tour.py",
                file=sys.stderr,
            )
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    print("README.md's tour rewritten.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
