"""Rewrite the README's tour with the real output of each command (``--check``: only compare).

Each command runs through the installed ``lineage`` (next to this Python), in a shell, in a
scratch directory where ``sample_graphs/`` and ``examples/`` are the repository's, with output
piped (so it is the plain, scriptable form) and a fixed environment.
``tests/test_docs.py`` fails when the README's tour differs from what this script produces now.

To add a command to the tour, append a :class:`Stop` to ``TOUR``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
    cwd: str = ""
    """A directory (made by an earlier stop) to run the commands in; the tour shows `cd` to it."""


TOUR: list[Stop] = [
    Stop(
        "Every command",
        "`lineage --help` lists the commands; each has its own `--help`. Every command reads the "
        "lineage file named by `--graph FILE` (`-` is stdin), else `$LINEAGE_GRAPH`, else "
        "`lineage.json` in the store: `--store DIR`, else `$LINEAGE_STORE`, else the project file, "
        "else the nearest `.lineage/` walking up from here, as git finds its folder (see "
        "[Finding the store](#finding-the-store)). `--store` and `--graph` work before the "
        "subcommand too.",
        ("lineage --help",),
    ),
    Stop(
        "lineage ls",
        "Lists what a selector picks (see [Selecting artifacts](#selecting-artifacts) for the whole "
        "language): `a+,+b` is everything on the paths from a to b; a short name such as "
        "`stg_erp__orders` stands for the one id that ends with it. A table on a terminal, sorted "
        "ids when piped; `--json` and `--count` too.",
        (
            "lineage ls 'stg_erp__orders+,+rpt_board_kpis_monthly' -g sample_graphs/warehouse-etl.json",
            "lineage ls '1+fct_orders,workflow:shared*' 'status:failed' --exclude dim_date "
            "-g sample_graphs/warehouse-etl.json",
            "lineage ls 'tag:*' 'kind:postgres' --count -g sample_graphs/warehouse-etl.json",
            "lineage ls 'eligibility_seed+,+core__patient' --exclude 'data_quality__*' "
            "-g real-graphs/dbt-tuva.json",
        ),
    ),
    Stop(
        "",
        "A short name that fits several ids lists them; a syntax error points at its column. Both exit 2.",
        (
            "lineage ls 'orders+' -g sample_graphs/warehouse-etl.json",
            "lineage ls '+fct_orders,,dim_date' -g sample_graphs/warehouse-etl.json",
        ),
    ),
    Stop(
        "lineage provenance",
        "Where an artifact came from: its record, then its parents and children with the edge "
        "types. Ids are URIs, paths or anything else; quote them for the shell.",
        ("lineage provenance 'registry://ctr-xgb/14' --graph sample_graphs/ml-training.json",),
    ),
    Stop(
        "lineage ancestors",
        "Everything upstream, transitively, or within `--depth N` hops. Piped, a set is one id per "
        "line, sorted, ready for `xargs`, `wc` or `grep`.",
        (
            "lineage ancestors 'approval:ctr-xgb/14' --depth 2 -g sample_graphs/ml-training.json",
            "lineage ancestors 'approval:ctr-xgb/14' -g sample_graphs/ml-training.json | wc -l",
        ),
    ),
    Stop(
        "",
        "An unknown id is bad input (exit status 2), with the closest known ids suggested.",
        ("lineage ancestors dim_customers -g sample_graphs/warehouse-etl.json",),
    ),
    Stop(
        "lineage descendants",
        "Everything downstream: what the best training run fed, as far as the production deployments. "
        "`| xargs` takes it from there.",
        (
            "lineage descendants 'model:ctr-xgb/run-0417' -g sample_graphs/ml-training.json",
            "lineage descendants 'model:ctr-xgb/run-0417' -g sample_graphs/ml-training.json "
            "| grep '^deployment:' | xargs -n 1 echo rollback",
        ),
    ),
    Stop(
        "lineage path",
        "A shortest path. As the spec says, edges are followed either way unless `--directed`, which "
        "follows them downstream only; no path is a negative answer, exit status 1.",
        (
            "lineage path dim_date 'salesforce://Account.ltv__c' -g sample_graphs/warehouse-etl.json",
            "lineage path 'postgres://crm-replica.internal:5432/crm/public.accounts' "
            "'dashboard:looker/finance/board-pack' --directed -g sample_graphs/warehouse-etl.json",
            "lineage path 'dashboard:looker/finance/revenue' dim_date --directed "
            "-g sample_graphs/warehouse-etl.json",
        ),
    ),
    Stop(
        "lineage common-ancestors",
        "What two artifacts both come from: here, the pull request and the rewritten policy page.",
        (
            "lineage common-ancestors 'pr:payments-service#2291' 'docs:payments/retry-policy.md@2026.03' "
            "-g sample_graphs/agent-orchestration.json",
        ),
    ),
    Stop(
        "lineage impact",
        "What a change affects downstream. `--critical FILE` names artifacts that matter (one id a "
        "line, `#` comments; unknown ids are warned about) and prints the directed paths that reach "
        "them; `--fail-on-critical` makes that exit status 1, for CI.",
        (
            "cat examples/critical.txt",
            "lineage impact stg_erp__currencies --critical examples/critical.txt --fail-on-critical "
            "-g sample_graphs/warehouse-etl.json",
        ),
    ),
    Stop(
        "lineage cross-workflow",
        "Artifacts that one workflow produces and another consumes. `--json` gives the producer and "
        "the consumers of each.",
        (
            "lineage cross-workflow -g sample_graphs/agent-orchestration.json",
            "lineage cross-workflow --json -g sample_graphs/agent-orchestration.json | head -n 12",
        ),
    ),
    Stop(
        "lineage build",
        "The store is a directory (found as in [Finding the store](#finding-the-store)) with an "
        "append-only event log (see [The store](#the-store)). `lineage import graph` and `lineage "
        "record` append to it; `lineage build` folds it into `lineage.json`, which every query "
        "then reads. Here the warehouse sample becomes a store (the importer warns where a node's "
        "input edges mix transformation types, which one event cannot carry).",
        ("lineage import graph sample_graphs/warehouse-etl.json", "lineage build"),
    ),
    Stop(
        "lineage record",
        "Records one artifact from the shell (the recorder's `record_artifact` from Python). A "
        "new build of the daily exchange rates, then a build: what was made from the old rates is "
        "now stale. (`cut` drops the event id, which is new every time.)",
        (
            "lineage record int_fx_rates_daily --input stg_erp__currencies --workflow shared-dimensions "
            "--stage model --agent dbt -t 'daily rates, ECB source' 2>&1 | cut -d ' ' -f 1,2",
            "lineage build",
        ),
    ),
    Stop(
        "lineage stale",
        "Stale artifacts, sorted; a non-empty answer is exit status 1, so CI can stop on it.",
        ("lineage stale",),
    ),
    Stop(
        "lineage status",
        "The store at a glance, for CI like `git status`: counts by status, failed artifacts with "
        "their error, runs in progress with their start, stale artifacts grouped by the upstream "
        "change behind them, and events not built yet. It exits 1 when it finds what `--fail-on` "
        "names (default `stale,failed,in_progress`); `--json` gives one document.",
        (
            "lineage status",
            "lineage status --fail-on failed --json | head -n 16",
        ),
    ),
    Stop(
        "lineage snapshots",
        "One snapshot per build that changed the graph (`cut` leaves out the two times).",
        ("lineage snapshots | cut -f 1,4-6,8",),
    ),
    Stop(
        "lineage at",
        "The graph as it was at a moment, rebuilt from the event log: at 02:30, 34 of the 82 "
        "artifacts existed. `--output -` prints it as a lineage file, which validates; "
        "queries take `--as-of` for the same view.",
        (
            "lineage at 2026-03-01T02:30:00Z | head -n 5",
            "lineage at 2026-03-01T02:30:00Z --output - | lineage validate --strict -",
            "lineage descendants raw.erp.orders --as-of 2026-03-01T03:30:00Z",
        ),
    ),
    Stop(
        "lineage diff",
        "What changed between two moments: artifacts and edges added, removed or modified, and "
        "statuses that changed (`!`). Every time argument also takes a snapshot number, `now`, "
        "`2h`, `3d ago` or `yesterday`, and says on stderr which moment it took; with one "
        "argument, `diff` compares it with now. Here: snapshot 1 against now, after the new "
        "exchange rates (`head` keeps the first changes).",
        (
            "lineage diff 2026-03-01T02:30:00Z 2026-03-01T03:05:00Z",
            "lineage diff 1 2>&1 | head -n 4",
        ),
    ),
    Stop(
        "lineage sync",
        "Sends the events that recording jobs spooled for a PostgreSQL store (see [Team store]"
        "(#team-store)); the last step on a CI runner (`--store URL`: only that store's spool). With "
        "nothing spooled it sends nothing. A store that cannot be reached is one sentence, the "
        "password masked, and exit status 2.",
        (
            "lineage sync --store 'postgresql://ci@127.0.0.1:9/lineage'",
            "lineage ancestors raw --store 'postgresql://ci:s3cret@127.0.0.1:9/lineage'",
        ),
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
    Stop(
        "lineage import dbt",
        "Reads the files dbt writes to `target/` (see [From dbt](#from-dbt)). `examples/dbt/built/` is "
        "a real `dbt build` of `tests/dbt_project` with dbt-duckdb, in which the unique test on "
        "`customers` fails. The same files twice add nothing.",
        (
            "lineage import dbt examples/dbt/built --store shop",
            "lineage import dbt examples/dbt/built --store shop",
            "lineage build --store shop",
        ),
    ),
    Stop(
        "",
        "Then `stg_orders.sql` changed and only it was rebuilt (`dbt run --select stg_orders`): "
        "what depends on it is stale. Last, a run in which `orders` fails: dbt's message is kept, "
        "and `order_summary`, which dbt skipped, is unknown.",
        (
            "lineage import dbt examples/dbt/changed --store shop && lineage stale --store shop",
            "lineage import dbt examples/dbt/failed --store shop && lineage build --store shop",
            "lineage provenance model.shop.orders --store shop --json",
        ),
    ),
    Stop(
        "lineage serve",
        "Receives OpenLineage events over HTTP, so a job needs only `OPENLINEAGE_URL` set (see "
        "[From Airflow, Spark and other OpenLineage producers]"
        "(#from-airflow-spark-and-other-openlineage-producers)). It listens on 127.0.0.1:5000 by "
        "default, and refuses to listen beyond this machine without a token:",
        ('lineage serve --host 0.0.0.0 --store "$(mktemp -d)"',),
    ),
    Stop(
        "lineage export",
        "Writes the graph, or a root's neighbourhood, as Mermaid, DOT, JSON, PNG or SVG (see "
        "[Exports and pictures](#exports-and-pictures)). Here: the model registry entry and its "
        "parents, as Mermaid.",
        (
            "lineage export --graph sample_graphs/ml-training.json --format mermaid "
            "--root registry://ctr-xgb/14 --upstream --depth 1",
        ),
    ),
    Stop(
        "",
        "Pictures keep at most `--max-nodes` artifacts (500 by default); stderr says what was cut "
        "and how to see the rest.",
        (
            "lineage export --graph sample_graphs/warehouse-etl.json --format dot --max-nodes 30 "
            "| dot -Tpng -o /tmp/warehouse.png",
        ),
    ),
    Stop(
        "",
        "The file name chooses the format, and a `--format` that contradicts it is refused. "
        "`--select` draws what a selector picks, `--reduce` leaves out edges implied by longer "
        "paths, and a picture too large to read gets a warning naming what to do instead.",
        (
            "lineage export -g sample_graphs/warehouse-etl.json -o /tmp/warehouse.png --format mermaid",
            "lineage export -g sample_graphs/warehouse-etl.json -o /tmp/finance.svg "
            "--select '+rpt_board_kpis_monthly' --reduce",
            "lineage export -g real-graphs/dbt-tuva.json -o /tmp/tuva.svg",
        ),
    ),
    Stop(
        "lineage view",
        "Opens the graph as an interactive page in the browser, with the same selection options as "
        "`lineage export` (see [The interactive view](#the-interactive-view)). The page is "
        "`lineage export --format html` written to a temporary file; `--no-open` only prints its path.",
        ("lineage view --graph sample_graphs/ml-training.json --no-open | xargs basename",),
    ),
    Stop(
        "lineage init",
        "A store for a new project: `lineage init [DIR]` creates `DIR/.lineage/`. From then on every "
        "command, and the Python recorder, run in `DIR` or any directory below it, finds it. "
        "`lineage init postgresql://...` instead creates a [team store](#team-store)'s tables and "
        "writes `lineage.toml` naming it here; a password is never written into that shared file.",
        ("lineage init day1", "lineage init 'postgresql://ci:s3cret@db.example/lineage'"),
    ),
    Stop(
        "lineage run",
        "Wraps a shell step: it records a flow started, then completed or failed with the exit "
        "status; it hashes the declared inputs and outputs (SHA-256) and records each output as "
        "built from the inputs, failed when the command fails. The command's output and exit "
        "status pass through.",
        (
            "printf '10\\n32\\n' > orders.csv",
            "lineage run --input orders.csv --output totals.csv -- sh -c 'cut -c1-2 orders.csv > totals.csv'",
            "lineage run --input totals.csv --output chart.png -- sh -c 'echo \"no plotter\" >&2; exit 3'",
        ),
        cwd="day1",
    ),
    Stop(
        "",
        "The failed step turns `lineage status` red (exit status 1) until it succeeds. A step that "
        "cannot be wrapped records its state itself: `lineage record ID --status in_progress`, "
        "then `--status completed` or `--status failed --error TEXT` with the same `--lineage-id`.",
        ("lineage status",),
        cwd="day1",
    ),
    Stop(
        "",
        "The recorder does the bookkeeping in Python: `record_file(path, inputs=...)` (or "
        "`record_artifact(..., hash=True)`) hashes the file, normalises its path relative to the "
        "project and fills in the tool, host, Python and git commit. The same bytes give the same "
        "version, so running the job twice makes nothing stale, while a real change upstream "
        "does.",
        (
            "python ../examples/report_job.py",
            "python ../examples/report_job.py",
            "lineage stale",
            "printf '10\\n32\\n57\\n' > orders.csv",
            "lineage run --input orders.csv --output totals.csv -- sh -c 'cut -c1-2 orders.csv > totals.csv'",
            "lineage status --fail-on stale",
        ),
        cwd="day1",
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


def workspace(root: Path) -> Path:
    """Make ``root`` look like the repository to the tour, and return it.

    ``sample_graphs/`` and ``examples/`` link to the real ones; the store commands fill
    ``.lineage/`` here, never in the repository.
    """
    for name in ("sample_graphs", "examples"):
        (root / name).symlink_to(REPO / name, target_is_directory=True)
    # The real dbt graphs beside the checkout (as tests/conftest.py finds them) are real-graphs/.
    for base in (REPO.parent, *REPO.parent.parents):
        if (base / "shared" / "real-graphs").is_dir():
            (root / "real-graphs").symlink_to(base / "shared" / "real-graphs", target_is_directory=True)
            break
    return root


def run(command: str, env: dict[str, str], cwd: Path) -> str:
    """Run one shell command in ``cwd``; return what it printed, and its exit status if not 0."""
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
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
    with tempfile.TemporaryDirectory(prefix="lineage-tour-") as scratch:
        return _render(env, workspace(Path(scratch)))


def _render(env: dict[str, str], cwd: Path) -> str:
    parts = [
        "## A tour of the commands",
        "",
        "Real output, on the graphs in `sample_graphs/`, regenerated by `scripts/readme_tour.py` "
        "(a test fails if it is out of date). Output is piped, so it is the plain form that "
        "scripts read; on a terminal the same commands print tables and trees. Messages on "
        "stderr are shown too, where they were written; a non-zero exit status is shown last.",
        "",
    ]
    for stop in TOUR:
        if stop.title:
            parts += [f"### {stop.title}", ""]
        parts += [stop.text, "", "```console"]
        if stop.cwd:
            parts.append(f"$ cd {stop.cwd}")
        for command in stop.commands:
            shown = run(command, env, cwd / stop.cwd)
            parts += [f"$ {command}", *([shown] if shown else [])]
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
