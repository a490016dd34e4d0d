"""Day one, as a new user lives it: through the installed `lineage`, in subprocesses, in temporary dirs.

A store found from a subdirectory, every command agreeing on it, `lineage run` and `status` as a CI
gate, content hashes that keep an unchanged re-run fresh, and relative times that land on the
right build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage_cli.model import format_timestamp
from lineage_cli.store.discovery import discover_store
from tests.conftest import LINEAGE, REPO
from tests.storehelp import write_store

PYTHON = sys.executable


def env(**extra: str) -> dict[str, str]:
    """The environment without any LINEAGE_* variable that would choose the store for us."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    base.update(extra)
    return base


def lineage(*args: str, cwd: Path, check: int | None = 0, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LINEAGE), *args], cwd=cwd, env=env(**extra), capture_output=True, text=True, check=False
    )
    if check is not None:
        assert done.returncode == check, (args, done.returncode, done.stdout, done.stderr)
    return done


def events(store: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (store / "events.jsonl").read_bytes().splitlines() if line]


# --- 1. Finding the store ------------------------------------------------------------------------


def test_the_store_is_found_from_a_subdirectory_like_git(tmp_path: Path) -> None:
    lineage("init", cwd=tmp_path)
    deep = tmp_path / "out" / "deep"
    deep.mkdir(parents=True)
    (deep / "x.csv").write_text("1\n")
    lineage("record", "./x.csv", "--input", "../../raw.csv", cwd=deep)
    assert not (deep / ".lineage").exists() and not (tmp_path / "out" / ".lineage").exists()
    [event] = events(tmp_path / ".lineage")
    # Path ids are relative to the project, so the same file recorded from anywhere is one artifact.
    assert event["artifact_id"] == "out/deep/x.csv" and event["inputs"] == ["raw.csv"]
    lineage("record", "out/deep/x.csv", "--input", "raw.csv", cwd=tmp_path)
    built = lineage("build", "--json", cwd=deep)
    assert orjson.loads(built.stdout)["artifacts"] == 2  # x.csv once, and raw.csv as external
    assert lineage("ancestors", "out/deep/x.csv", cwd=deep).stdout == "raw.csv\n"


def test_store_and_graph_work_before_the_subcommand(tmp_path: Path) -> None:
    store = tmp_path / "elsewhere"
    lineage("--store", str(store), "record", "a", cwd=tmp_path)
    lineage("--store", str(store), "build", cwd=tmp_path)
    assert lineage("--store", str(store), "stale", cwd=tmp_path).stdout == ""
    graph = str(store / "lineage.json")
    assert lineage("--graph", graph, "descendants", "a", cwd=tmp_path).stdout == ""
    # An option after the subcommand wins over one before it, as it is nearer.
    other = tmp_path / "other"
    lineage("--store", str(store), "record", "b", "--store", str(other), cwd=tmp_path)
    assert [e["artifact_id"] for e in events(other)] == ["b"]


def test_the_environment_wins_over_discovery_and_the_option_over_both(tmp_path: Path) -> None:
    lineage("init", cwd=tmp_path)
    chosen = tmp_path / "chosen"
    lineage("record", "a", cwd=tmp_path, LINEAGE_STORE=str(chosen))
    assert [e["artifact_id"] for e in events(chosen)] == ["a"]
    assert events(tmp_path / ".lineage") == []


def test_a_project_file_sets_the_store_the_critical_file_and_the_picture_limit(tmp_path: Path) -> None:
    (tmp_path / "lineage.toml").write_text(
        'store = "var/lineage"\ncritical = "critical.txt"\nmax_nodes = 2\n', encoding="utf-8"
    )
    (tmp_path / "critical.txt").write_text("report\n", encoding="utf-8")
    sub = tmp_path / "jobs"
    sub.mkdir()
    for artifact, source in [("raw", None), ("clean", "raw"), ("report", "clean")]:
        lineage("record", artifact, *(["--input", source] if source else []), cwd=sub)
    assert (tmp_path / "var" / "lineage" / "events.jsonl").exists()
    impact = lineage("impact", "raw", "--fail-on-critical", cwd=sub, check=1)
    assert "critical: raw -> clean -> report" in impact.stderr
    picture = lineage("export", "--format", "dot", cwd=sub)
    assert "--max-nodes 2" in picture.stderr  # the project's picture limit cut it
    assert "--max-nodes" not in lineage("export", "--format", "dot", "--max-nodes", "0", cwd=sub).stderr


def test_pyproject_tool_lineage_is_a_project_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.lineage]\nstore = "lin"\n')
    (tmp_path / "src").mkdir()
    lineage("record", "a", cwd=tmp_path / "src")
    assert (tmp_path / "lin" / "events.jsonl").exists()


def test_a_database_location_is_used_as_given() -> None:
    location = discover_store("postgresql://db.example/lineage")
    assert (location.location, location.root) == ("postgresql://db.example/lineage", None)


def test_the_recorder_writes_to_the_store_the_cli_reads(tmp_path: Path) -> None:
    lineage("init", cwd=tmp_path)
    job = tmp_path / "jobs"
    job.mkdir()
    script = job / "job.py"
    script.write_text(
        textwrap.dedent(
            """
            from pathlib import Path
            from lineage_cli import data_flow_context, record_artifact, record_file

            Path("clean.csv").write_text("a,b\\n1,2\\n")
            with data_flow_context(source="nightly"):
                record_file(Path("clean.csv"), inputs=[Path("../raw.csv")])
                record_artifact("report", inputs=["clean.csv"])
            """
        )
    )
    done = subprocess.run([PYTHON, "job.py"], cwd=job, env=env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    recorded = [e for e in events(tmp_path / ".lineage") if e["kind"] == "artifact_recorded"]
    clean, report = recorded
    assert clean["artifact_id"] == "jobs/clean.csv" and clean["inputs"] == ["raw.csv"]
    assert clean["version"] == clean["metadata"]["sha256"][:16]
    assert clean["tool"] == "job.py" and "python" in clean["environment"]
    # "clean.csv" names a file here, so it is the same artifact as Path("clean.csv").
    assert report["inputs"] == ["jobs/clean.csv"]
    assert lineage("ancestors", "report", cwd=tmp_path).stdout == "jobs/clean.csv\nraw.csv\n"


def test_without_any_store_the_recorder_keeps_events_in_memory(tmp_path: Path) -> None:
    code = "from lineage_cli import record_artifact, get_recorder; record_artifact('a'); "
    code += "print(len(get_recorder().get_events()))"
    done = subprocess.run([PYTHON, "-c", code], cwd=tmp_path, env=env(), capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")
    assert list(tmp_path.iterdir()) == []


# --- 2. Every built graph validates ------------------------------------------------------------


def test_the_openlineage_demo_store_validates(tmp_path: Path) -> None:
    lineage("import", "openlineage", str(REPO / "examples" / "openlineage-events.ndjson"), cwd=tmp_path)
    lineage("build", cwd=tmp_path)
    document = orjson.loads((tmp_path / ".lineage" / "lineage.json").read_bytes())
    external = sorted(a for a, node in document["nodes"].items() if node["metadata"].get("external"))
    assert external and all(document["nodes"][a]["status"] == "unknown" for a in external)
    assert lineage("validate", "--strict", cwd=tmp_path).returncode == 0


# --- 3. One truth -------------------------------------------------------------------------------


def test_a_query_after_new_events_builds_first_or_says_so(tmp_path: Path) -> None:
    lineage("record", "raw", "--version", "1", cwd=tmp_path)
    lineage("record", "clean", "--input", "raw", cwd=tmp_path)
    lineage("build", cwd=tmp_path)
    lineage("record", "raw", "--version", "2", cwd=tmp_path)
    # Too big to build on the fly (a threshold of 0): the query says so, once.
    old = lineage("provenance", "raw", cwd=tmp_path, LINEAGE_AUTO_BUILD_BYTES="0")
    assert "version: 1" in old.stdout
    assert old.stderr.count("1 event is not built yet") == 1
    # A small log is built first: the query, `stale` and `status` agree.
    assert "version: 2" in lineage("provenance", "raw", cwd=tmp_path).stdout
    assert "status: stale" in lineage("provenance", "clean", cwd=tmp_path).stdout
    assert lineage("stale", cwd=tmp_path, check=1).stdout == "clean\n"
    status = orjson.loads(lineage("status", "--json", cwd=tmp_path, check=1).stdout)
    assert status["stale"][0]["artifacts"] == ["clean"] and status["unbuilt_events"] == 0


# --- 4 and 7. status as a CI gate, and lineage run ----------------------------------------------


def test_a_failed_lineage_run_turns_status_red(tmp_path: Path) -> None:
    lineage("init", cwd=tmp_path)
    (tmp_path / "raw.csv").write_text("a\n1\n")
    ok = lineage(
        "run", "-i", "raw.csv", "-o", "clean.csv", "--", "sh", "-c", "cp raw.csv clean.csv", cwd=tmp_path
    )
    assert ok.stdout == "" and ok.stderr == ""
    assert lineage("status", cwd=tmp_path).returncode == 0
    failed = lineage(
        "run", "-i", "clean.csv", "-o", "model.pkl", "--", "sh", "-c", "echo fitting; exit 3",
        cwd=tmp_path, check=3,
    )  # fmt: skip
    assert failed.stdout == "fitting\n"  # the command's own output and exit status pass through
    red = lineage("status", cwd=tmp_path, check=1)
    assert "failed: model.pkl: exit status 3\n" in red.stdout
    document = orjson.loads(lineage("status", "--json", cwd=tmp_path, check=1).stdout)
    assert document["failing"] == ["failed"] and document["failed"][0]["artifact"] == "model.pkl"
    assert document["counts"]["failed"] == 1
    assert lineage("status", "--fail-on", "stale", cwd=tmp_path).returncode == 0
    assert "not a status to fail on" in lineage("status", "--fail-on", "red", cwd=tmp_path, check=2).stderr
    assert lineage("run", "--", "no-such-command-here", cwd=tmp_path, check=127).stderr.startswith("error:")


def test_record_status_for_steps_that_cannot_be_wrapped(tmp_path: Path) -> None:
    lineage("record", "load", "--status", "in_progress", "--lineage-id", "L1", cwd=tmp_path)
    running = orjson.loads(lineage("status", "--json", cwd=tmp_path, check=1).stdout)
    assert running["failing"] == ["in_progress"] and running["in_progress"][0]["started_at"]
    lineage("record", "load", "--status", "completed", "--lineage-id", "L1", cwd=tmp_path)
    assert lineage("status", cwd=tmp_path).returncode == 0
    lineage("record", "export", "--status", "failed", "--error", "disk full", cwd=tmp_path)
    assert "failed: export: disk full\n" in lineage("status", cwd=tmp_path, check=1).stdout


def test_unchanged_content_makes_nothing_stale(tmp_path: Path) -> None:
    lineage("init", cwd=tmp_path)
    (tmp_path / "raw.csv").write_text("a\n1\n")

    def pipeline() -> None:
        lineage("run", "-i", "raw.csv", "-o", "clean.csv", "--", "cp", "raw.csv", "clean.csv", cwd=tmp_path)
        count = "wc -l < clean.csv > report.txt"
        lineage("run", "-i", "clean.csv", "-o", "report.txt", "--", "sh", "-c", count, cwd=tmp_path)

    pipeline()
    lineage("run", "-i", "raw.csv", "-o", "clean.csv", "--", "cp", "raw.csv", "clean.csv", cwd=tmp_path)
    assert lineage("stale", cwd=tmp_path).stdout == ""  # same bytes, same version: nothing stale
    assert lineage("status", cwd=tmp_path).returncode == 0
    (tmp_path / "raw.csv").write_text("a\n1\n2\n")
    lineage("run", "-i", "raw.csv", "-o", "clean.csv", "--", "cp", "raw.csv", "clean.csv", cwd=tmp_path)
    assert lineage("stale", cwd=tmp_path, check=1).stdout == "report.txt\n"
    status = lineage("status", cwd=tmp_path, check=1).stdout
    assert "stale: 1 because clean.csv changed" in status and "  report.txt" in status
    pipeline()
    assert lineage("status", cwd=tmp_path).returncode == 0


# --- 5. Time arguments --------------------------------------------------------------------------


def _ago(hours: float) -> str:
    return format_timestamp(datetime.now(UTC) - timedelta(hours=hours))


def test_a_relative_time_resolves_to_the_right_build(tmp_path: Path) -> None:
    def record(artifact: str, hours_ago: float, version: str) -> dict[str, Any]:
        return {
            "schema": 1, "event_id": f"{artifact}-{version}", "kind": "artifact_recorded",
            "time": _ago(hours_ago), "lineage_id": f"L-{artifact}-{version}", "parent_lineage_id": None,
            "artifact_id": artifact, "version": version, "inputs": [],
        }  # fmt: skip

    write_store(tmp_path / ".lineage", [record("model", 5, "v1")])
    lineage("build", cwd=tmp_path)  # snapshot 1: model v1, five hours ago
    write_store(tmp_path / ".lineage", [record("model", 1, "v2")])
    lineage("build", cwd=tmp_path)  # snapshot 2: model v2, an hour ago
    then = lineage("at", "2h", "--json", cwd=tmp_path)
    assert orjson.loads(then.stdout)["nodes"]["model"]["version"] == "v1"
    assert then.stderr.startswith("TIMESTAMP '2h' is 20")  # the moment it was taken as
    assert (
        orjson.loads(lineage("at", "#1", "--json", cwd=tmp_path).stdout)["nodes"]["model"]["version"] == "v1"
    )
    assert lineage("diff", "3h ago", cwd=tmp_path).stdout == "~ model v1 -> v2\n"  # one argument: to now
    assert lineage("diff", "1", "2", cwd=tmp_path).stdout == "~ model v1 -> v2\n"
    assert lineage("diff", "yesterday", "now", cwd=tmp_path).stdout == "+ model\n"
    before = lineage("at", "3d ago", cwd=tmp_path)
    assert before.stdout == "" and "is before the first event" in before.stderr
    assert "not a snapshot number" in lineage("at", "7", cwd=tmp_path, check=2).stderr
    naive = lineage("at", "2026-01-01T00:00:00", cwd=tmp_path, check=2)
    assert "has no timezone" in naive.stderr


# --- 6. The recorder's bookkeeping --------------------------------------------------------------


def _python(code: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)], cwd=cwd, env=env(**extra), capture_output=True, text=True
    )


def test_an_unwritable_store_is_one_warning_per_process(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _python(
        """
        from lineage_cli import record_artifact
        for i in range(16):
            record_artifact(f"a{i}")
        print("job finished")
        """,
        tmp_path,
        LINEAGE_STORE=str(blocker / "store"),
    )
    assert done.returncode == 0 and done.stdout == "job finished\n"
    assert len(done.stderr.splitlines()) == 1 and "reported once" in done.stderr


def test_a_close_unknown_input_is_warned_about_once(tmp_path: Path) -> None:
    done = _python(
        """
        from lineage_cli import record_artifact
        record_artifact("raw/orders.csv")
        record_artifact("clean/orders.csv", inputs=["raw/Orders.csv"])
        record_artifact("clean/orders2.csv", inputs=["raw/Orders.csv"])
        record_artifact("other", inputs=["something/else"])
        """,
        tmp_path,
    )
    assert done.returncode == 0
    assert done.stderr.count("did you mean 'raw/orders.csv'?") == 1, done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_provenance_is_filled_in_and_can_be_switched_off(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q",
         "--allow-empty", "-m", "x"],
        check=True,
    )  # fmt: skip
    lineage("init", cwd=tmp_path)
    code = "from lineage_cli import record_artifact; record_artifact('a', tool='mine')"
    assert _python(code, tmp_path).returncode == 0
    assert _python(code, tmp_path, LINEAGE_AUTO_PROVENANCE="0").returncode == 0
    filled, bare = events(tmp_path / ".lineage")
    assert filled["tool"] == "mine"  # what the caller set wins
    assert "python" in filled["environment"] and len(filled["metadata"]["git_commit"]) == 40
    assert filled["metadata"]["git_dirty"] is False  # .lineage/ is untracked, which is not dirty
    assert bare["environment"] is None and bare["metadata"] == {}


def test_a_directory_is_hashed_by_its_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("1")
    lineage("init", cwd=tmp_path)
    lineage("record", "data", "--hash", cwd=tmp_path)
    lineage("record", "./data/", "--hash", cwd=tmp_path)
    (data / "b.txt").write_text("2")
    lineage("record", "data", "--hash", cwd=tmp_path)
    one, same, changed = (e["version"] for e in events(tmp_path / ".lineage"))
    assert one == same != changed
    missing = lineage("record", "nowhere.csv", "--hash", cwd=tmp_path, check=2)
    assert missing.stderr.startswith("error: Cannot hash 'nowhere.csv'")


@pytest.mark.parametrize("command", ["init", "status", "run"])
def test_the_new_commands_have_help(command: str, tmp_path: Path) -> None:
    assert "Usage" in lineage(command, "--help", cwd=tmp_path).stdout


def test_records_made_by_a_wrapped_python_job_join_the_run(tmp_path: Path) -> None:
    lineage("init", cwd=tmp_path)
    code = "from lineage_cli import record_artifact; record_artifact('side-output'); raise SystemExit(4)"
    lineage("run", "--output", "main.out", "--", PYTHON, "-c", code, cwd=tmp_path, check=4)
    logged = events(tmp_path / ".lineage")
    [run_id] = {e["lineage_id"] for e in logged if e["kind"] == "flow_started"}
    side = next(e for e in logged if e.get("artifact_id") == "side-output")
    assert side["lineage_id"] == run_id  # so the run's failure marks it failed too
    failed = orjson.loads(lineage("status", "--json", cwd=tmp_path, check=1).stdout)["failed"]
    assert sorted(item["artifact"] for item in failed) == ["main.out", "side-output"]
