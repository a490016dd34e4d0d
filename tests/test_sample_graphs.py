"""The shipped sample graphs: reproducible from their generator, realistic, and clean under --strict."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lineage_cli.model import ArtifactStatus, TransformationType
from lineage_cli.validate import validate_file
from tests.conftest import SAMPLE_GRAPHS

NAMES = ["agent-orchestration.json", "ml-training.json", "warehouse-etl.json"]


def documents() -> dict[str, dict[str, Any]]:
    return {name: json.loads((SAMPLE_GRAPHS / name).read_text(encoding="utf-8")) for name in NAMES}


def test_the_three_samples_are_there() -> None:
    assert sorted(p.name for p in SAMPLE_GRAPHS.glob("*.json")) == NAMES


def test_the_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    # Run a copy of the generator in a scratch folder so the committed files stay untouched.
    script = tmp_path / "generate.py"
    script.write_bytes((SAMPLE_GRAPHS / "generate.py").read_bytes())
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (SAMPLE_GRAPHS / name).read_bytes(), name


def test_the_generators_check_mode_passes_on_the_committed_files() -> None:
    result = subprocess.run(
        [sys.executable, str(SAMPLE_GRAPHS / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_generator_uses_only_the_standard_library() -> None:
    source = (SAMPLE_GRAPHS / "generate.py").read_text()
    imported = {
        line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))
    }
    assert imported <= {"__future__", "json", "random", "sys", "datetime", "pathlib", "typing"}


@pytest.mark.parametrize("name", NAMES)
def test_each_sample_is_valid_under_strict(name: str) -> None:
    report = validate_file(SAMPLE_GRAPHS / name)
    assert report.findings == []
    assert 30 <= report.artifacts <= 300


def test_together_they_use_every_status_and_every_transformation_type() -> None:
    statuses: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for doc in documents().values():
        statuses.update(node["status"] for node in doc["nodes"].values())
        kinds.update(edge["type"] for edge in doc["edges"])
    # `dropped` comes only from an OpenLineage DROP; tests/test_openlineage_lifecycle.py covers it.
    assert set(statuses) == {s.value for s in ArtifactStatus} - {ArtifactStatus.DROPPED.value}
    assert set(kinds) == {t.value for t in TransformationType}


@pytest.mark.parametrize("name", NAMES)
def test_each_sample_has_cross_workflow_links(name: str) -> None:
    doc = documents()[name]
    workflow = {aid: node["provenance"]["workflow"] for aid, node in doc["nodes"].items()}
    crossing = [e for e in doc["edges"] if workflow[e["source"]] != workflow[e["target"]]]
    assert len(set(workflow.values())) >= 3
    assert crossing


def test_realistic_ids_and_metadata() -> None:
    nodes = [(aid, node) for doc in documents().values() for aid, node in doc["nodes"].items()]
    for mark in "/:-":
        assert any(mark in aid for aid, _ in nodes), mark
    metadata = [node["metadata"] for _, node in nodes]
    visual = [m["visualization"] for m in metadata if "visualization" in m]
    assert visual and all({"node_label", "node_color", "group"} <= set(v) for v in visual)
    assert any("quality_score" in m for m in metadata)
    assert any("partition" in m for m in metadata)


def test_the_warehouse_workflows_share_artifacts() -> None:
    doc = documents()["warehouse-etl.json"]
    workflow = {aid: node["provenance"]["workflow"] for aid, node in doc["nodes"].items()}
    consumers: dict[str, set[str]] = {}
    for edge in doc["edges"]:
        consumers.setdefault(edge["source"], set()).add(workflow[edge["target"]])
    shared = [aid for aid, wfs in consumers.items() if len(wfs - {workflow[aid]}) >= 2]
    assert "dim_customer" in shared
