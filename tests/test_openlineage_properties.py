"""Properties of the OpenLineage import over generated runs (hypothesis)."""

from __future__ import annotations

import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.interop.openlineage_import import import_openlineage, map_run_events, parse_run_events
from lineage_cli.store.events import read_events
from lineage_cli.store.layout import StorePaths

DATASETS = [("s3://lake", f"t{i}") for i in range(6)] + [("bigquery", "a.b"), ("team/x", "y")]

run_strategy = st.fixed_dictionaries(
    {
        "types": st.lists(
            st.sampled_from(["START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"]),
            min_size=1,
            max_size=4,
        ),
        "inputs": st.lists(st.sampled_from(DATASETS), max_size=3),
        "outputs": st.lists(st.sampled_from(DATASETS), max_size=2),
        "minute": st.integers(0, 59),
    }
)


def to_lines(runs: list[dict[str, Any]]) -> list[bytes]:
    lines = []
    for number, run in enumerate(runs):
        run_id = str(uuid.UUID(int=number + 1))
        for step, event_type in enumerate(run["types"]):
            lines.append(
                orjson.dumps(
                    {
                        "eventType": event_type,
                        "eventTime": f"2026-03-01T{step:02d}:{run['minute']:02d}:00+01:00",
                        "producer": "https://example/p",
                        "run": {"runId": run_id},
                        "job": {"namespace": "ns", "name": f"job{number}"},
                        "inputs": [{"namespace": ns, "name": name} for ns, name in run["inputs"]],
                        "outputs": [{"namespace": ns, "name": name} for ns, name in run["outputs"]],
                    }
                )
            )
    return lines


@settings(max_examples=60, deadline=None)
@given(st.lists(run_strategy, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_import_is_idempotent_and_order_free(runs: list[dict[str, Any]], rnd: random.Random) -> None:
    lines = to_lines(runs)
    shuffled = lines[:]
    rnd.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.ndjson").write_bytes(b"\n".join(lines) + b"\n")
        (root / "b.ndjson").write_bytes(b"\n".join(shuffled) + b"\n")
        store = StorePaths(root / "store")
        first = import_openlineage([root / "a.ndjson"], store)
        assert first.problems == []
        again = import_openlineage([root / "b.ndjson"], store)  # same events, another order
        assert again.appended == 0 and again.duplicates == first.appended
        events = [e for _, e in read_events(store.events)]
    assert len({e["event_id"] for e in events}) == len(events)
    failed_runs = {
        str(uuid.UUID(int=n + 1)) for n, r in enumerate(runs) if {"FAIL", "ABORT"} & set(r["types"])
    }
    assert {e["lineage_id"] for e in events if e["kind"] == "flow_failed"} == failed_runs
    for event in events:
        assert event["time"].endswith("Z")
        if event["kind"] == "artifact_recorded":
            assert event["artifact_id"] not in event["inputs"]  # a self-read is a refinement, not a cycle


@given(st.binary(max_size=200))
def test_any_bytes_give_events_or_problems_never_an_exception(data: bytes) -> None:
    events, problems, records, ignored = parse_run_events(data, "fuzz")
    assert len(events) + len(problems) + ignored == records
    map_run_events(events)
