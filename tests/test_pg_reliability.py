"""The recorder on a PostgreSQL store never hurts the job, and nothing is lost or duplicated.

The long cases are marked ``slow`` (``make test`` runs them; ``pytest -m 'not slow'`` skips them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from lineage_cli.store.base import open_store
from tests.conftest import LINEAGE, REPO
from tests.pgserver import Cluster
from tests.storehelp import artifact


def job(store: str, count: int, prefix: str, resend: int = 0) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_STORE")}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pg_recorder_job", store, str(count), prefix, str(resend)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def finish(process: subprocess.Popen[str]) -> tuple[dict[str, float], str]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err  # the host job never fails because of lineage
    return orjson.loads(out), err


def counts(cluster: Cluster, url: str) -> tuple[int, int]:
    database = url.split("/")[3].split("?")[0]
    total, distinct = cluster.sql("SELECT count(*), count(DISTINCT event_id) FROM events", database).split(
        "|"
    )
    return int(total), int(distinct)


def sync(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINEAGE), "sync", "--store", url], capture_output=True, text=True, check=False)


def test_the_recorder_ships_in_the_background_and_exits_quietly(pg_cluster: Cluster, pg_url: str) -> None:
    report, err = finish(job(pg_url, 300, "quiet", resend=10))
    assert err == ""  # everything reached the store: no spool line
    assert counts(pg_cluster, pg_url) == (302, 302)  # 300 artifacts and the flow's two events
    with open_store(pg_url) as store:
        assert store.build().artifacts == 300
    assert report["max_ms"] < 1000


def test_a_down_server_never_blocks_the_job_and_sync_sends_later(pg_cluster: Cluster, pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.append([artifact("before", 1)])  # the schema exists; then the server goes away
    pg_cluster.stop("immediate")
    try:
        report, err = finish(job(pg_url, 2000, "down"))
        # Blocking on the network would cost the connect timeout (seconds); the 5 ms p99 target is
        # measured by bench/pg_bench.py, since a loaded CI machine stretches any timing here.
        assert report["p99_ms"] < 50 and report["max_ms"] < 1000, report
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("lineage: events for postgresql://postgres@/"), err
        assert "are kept in " in lines[0] and "run `lineage sync`" in lines[0]
        spool = Path(lines[0].split("are kept in ")[1].split(" (")[0])
        assert spool.is_file()
        still_down = sync(pg_url)
        assert still_down.returncode == 2 and "still hold events" in still_down.stderr
        assert still_down.stderr.count("\n") == 1
    finally:
        pg_cluster.start()
    sent = sync(pg_url)
    assert sent.returncode == 0, sent.stderr
    assert counts(pg_cluster, pg_url) == (2003, 2003) and not spool.exists()


def _shippers(url: str) -> int:
    """How many shipper processes of the store at ``url`` run on this machine now."""
    from lineage_cli.store.spool import store_dir

    wanted = [b"lineage_cli.store.shipper", str(store_dir(url)).encode()]
    found = 0
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        found += all(part in command for part in wanted)
    return found


def test_the_jobs_of_one_host_share_one_shipper(pg_cluster: Cluster, pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.append([artifact("seed", 1)])
    processes = [job(pg_url, 3000, f"s{n}") for n in range(4)]
    seen = []
    while any(p.poll() is None for p in processes):
        seen.append(_shippers(pg_url))
        time.sleep(0.01)
    for process in processes:
        finish(process)
    assert max(seen) == 1  # four jobs, one shipper (it holds the store's lock)
    assert counts(pg_cluster, pg_url) == (1 + 4 * 3002, 1 + 4 * 3002)


@pytest.mark.slow
def test_sixteen_processes_lose_and_duplicate_nothing(pg_cluster: Cluster, pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.append([artifact("seed", 1)])
    processes = [job(pg_url, 5000, f"p{n:02d}", resend=5) for n in range(16)]
    for process in processes:
        finish(process)
    assert counts(pg_cluster, pg_url) == (1 + 16 * 5002, 1 + 16 * 5002)
    with open_store(pg_url) as store:
        assert store.build().artifacts == 1 + 16 * 5000


@pytest.mark.slow
def test_a_hard_stop_mid_ingest_loses_nothing(pg_cluster: Cluster, pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.append([artifact("seed", 1)])
    processes = [job(pg_url, 5000, f"k{n}") for n in range(8)]
    time.sleep(1.0)
    pg_cluster.stop("immediate")  # mid-ingest: some batches die in flight, outcome unknown
    time.sleep(3.0)
    pg_cluster.start()
    reports = [finish(process)[0] for process in processes]
    assert max(r["max_ms"] for r in reports) < 1000, reports  # no record call blocked for a second
    sent = sync(pg_url)
    assert sent.returncode == 0, sent.stderr
    assert counts(pg_cluster, pg_url) == (1 + 8 * 5002, 1 + 8 * 5002)


def test_two_builds_at_once_give_one_consistent_result(pg_cluster: Cluster, pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.append([artifact(f"a{n}", n, [f"a{n - 1}"] if n else []) for n in range(300)])
    results = []

    def build() -> None:
        with open_store(pg_url) as store:
            results.append(store.build())

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0].graph_hash == results[1].graph_hash
    assert sorted(r.snapshot is None for r in results) == [False, True]  # one snapshot, not two
    with open_store(pg_url) as store:
        full = store.build(full=True)
        assert full.graph_hash == results[0].graph_hash and full.artifacts == 300
        assert [b["number"] for b in store.builds()] == [1]
