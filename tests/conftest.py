"""Shared fixtures: a small graph builder, paths to the shipped graphs and the installed command."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from lineage_cli.graph import LineageGraph
from lineage_cli.model import LineageNode, ProvenanceRecord, parse_timestamp
from tests.pgserver import Cluster, running_cluster, unavailable

REPO = Path(__file__).resolve().parent.parent
SAMPLE_GRAPHS = REPO / "sample_graphs"
LINEAGE = Path(sys.executable).parent / "lineage"
"""The installed console script, for tests that run `lineage` as a user does."""


def _find_real_graphs() -> Path:
    # The shared graphs sit beside the checkout (/work/main) or two levels up for a
    # worktree (/work/wt/NAME); a missing directory must fail the tests that use it.
    for base in (REPO.parent, *REPO.parent.parents):
        candidate = base / "shared" / "real-graphs"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "real-graphs"


REAL_GRAPHS = _find_real_graphs()
REAL_OPENLINEAGE = REAL_GRAPHS.parent / "real-openlineage"
"""Real OpenLineage events (read-only, never copied into the project; see its README)."""


def make_graph(
    pairs: Iterable[tuple[str, str]],
    extra_nodes: Iterable[str] = (),
    workflow_of: dict[str, str] | None = None,
) -> LineageGraph:
    """A graph from (source, target) pairs; every endpoint becomes a node."""
    inputs: dict[str, list[str]] = {}
    for node in extra_nodes:
        inputs.setdefault(node, [])
    for source, target in pairs:
        inputs.setdefault(source, [])
        inputs.setdefault(target, []).append(source)
    when = parse_timestamp("2026-01-01T00:00:00Z")
    graph = LineageGraph(built_at=when)
    for artifact_id, parents in inputs.items():
        workflow = (workflow_of or {}).get(artifact_id, "wf")
        provenance = ProvenanceRecord("agent", workflow, "stage", when)
        graph.add_node(LineageNode(artifact_id, "1", provenance, parents, "t"))
    return graph


@pytest.fixture
def diamond() -> LineageGraph:
    """a -> b, a -> c, b -> d, c -> d."""
    return make_graph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])


REAL_DBT = REAL_GRAPHS.parent / "real-dbt"
"""Real dbt artifacts (manifest.json, run_results.json, catalog.json) beside the real graphs."""


@pytest.fixture(autouse=True)
def _every_built_store_validates(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test, every store `lineage build` wrote in its temporary directory validates.

    A built store is one with the build's marker (``built.json``) beside ``lineage.json``, so
    lineage files that tests break on purpose are left alone. Builds in a subprocess count too.
    """
    tmp_path: Path | None = (
        request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    )
    yield
    if tmp_path is None:
        return
    from lineage_cli.store.layout import StorePaths
    from lineage_cli.store.local import LocalStore
    from lineage_cli.validate import validate_paths

    # Through the store, which writes the file first when the build left it to be written on demand.
    built = sorted(
        LocalStore(StorePaths(marker.parent)).document() for marker in tmp_path.rglob("built.json")
    )
    for report in validate_paths([path for path in built if path.exists()]):
        problems = [finding.to_dict() for finding in report.findings]
        assert report.errors == 0, f"a built store does not validate: {problems}"


@pytest.fixture(scope="session", autouse=True)
def spool_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """PostgreSQL stores spool under a temporary directory, not the user's cache."""
    import os

    previous = os.environ.get("LINEAGE_SPOOL")
    os.environ["LINEAGE_SPOOL"] = str(tmp_path_factory.mktemp("spool"))
    yield
    if previous is None:
        os.environ.pop("LINEAGE_SPOOL", None)  # a doctest may have removed it already
    else:
        os.environ["LINEAGE_SPOOL"] = previous


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for the whole session (see tests/pgserver.py)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg driver is not installed (pip install -e '.[dev]')")
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A fresh, empty database in the throwaway cluster, as a store URL."""
    return pg_cluster.url(pg_cluster.new_database())


@pytest.fixture(params=["directory", "postgresql"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Run a test on both stores: a directory, and a fresh PostgreSQL database."""
    return str(request.param)


@pytest.fixture
def store_location(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The location of an empty store of ``store_kind``."""
    if store_kind == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "store")
