"""Short names: exact ids, unique suffixes on a separator, globs, ambiguity and close matches."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.errors import UnknownArtifactError
from lineage_cli.graph import GraphView, LineageGraph
from lineage_cli.lineagefile import load_graph
from lineage_cli.names import AmbiguousNameError, match_glob, resolve, short_labels, suffixes
from lineage_cli.store.index import INDEX_FORMAT, SqlIndex, write_index
from tests.conftest import LINEAGE, REAL_GRAPHS, SAMPLE_GRAPHS

TUVA = REAL_GRAPHS / "dbt-tuva.json"


def _index(graph: LineageGraph) -> SqlIndex:
    connection = sqlite3.connect(":memory:")
    write_index(connection, graph, {"format": INDEX_FORMAT})
    return SqlIndex(connection)


@pytest.fixture(scope="module")
def tuva() -> LineageGraph:
    return load_graph(TUVA)


@pytest.fixture(scope="module", params=["memory", "index"])
def tuva_view(request: pytest.FixtureRequest, tuva: LineageGraph) -> GraphView:
    return tuva if request.param == "memory" else _index(tuva)


def test_a_unique_suffix_names_the_artifact(tuva_view: GraphView) -> None:
    assert resolve(tuva_view, "core__patient") == "model.the_tuva_project.core__patient"
    assert resolve(tuva_view, "the_tuva_project.core__patient") == "model.the_tuva_project.core__patient"


def test_an_exact_id_wins_over_any_suffix(tuva_view: GraphView) -> None:
    assert resolve(tuva_view, "model.input_layer.patient") == "model.input_layer.patient"


def test_a_suffix_must_start_after_a_separator(tuva_view: GraphView) -> None:
    with pytest.raises(UnknownArtifactError):
        resolve(tuva_view, "ore__patient")


def test_an_ambiguous_suffix_lists_its_candidates(tuva_view: GraphView) -> None:
    with pytest.raises(AmbiguousNameError) as caught:
        resolve(tuva_view, "patient")
    assert "model.input_layer.patient" in caught.value.candidates
    assert "model.the_tuva_project.core__patient" in caught.value.candidates
    assert len(caught.value.candidates) == 7


def test_an_unknown_short_name_suggests_close_matches(tuva_view: GraphView) -> None:
    with pytest.raises(UnknownArtifactError) as caught:
        resolve(tuva_view, "core__patients")
    assert caught.value.suggestions[0] == "model.the_tuva_project.core__patient"


def test_globs_single_star_stays_in_a_segment(tuva_view: GraphView, tuva: LineageGraph) -> None:
    expected = sorted(a for a in tuva.artifact_ids() if a.startswith("model.input_layer."))
    assert match_glob(tuva_view, "model.input_layer.*") == expected
    assert resolve(tuva_view, "*.core__patient") == "model.the_tuva_project.core__patient"
    lake = LineageGraph.from_pairs([("s3://lake/a/b.csv", "s3://lake/c.csv")])
    assert match_glob(lake, "s3://lake/*") == ["s3://lake/c.csv"]
    assert match_glob(_index(lake), "s3://lake/**") == ["s3://lake/a/b.csv", "s3://lake/c.csv"]


def test_a_glob_no_whole_id_matches_is_tried_on_short_names(tuva_view: GraphView, tuva: LineageGraph) -> None:
    expected = sorted(a for a in tuva.artifact_ids() if ".data_quality__" in a)
    assert expected and match_glob(tuva_view, "data_quality__*") == expected
    assert match_glob(tuva_view, "*data_quality__x*") == []


def test_ids_with_sql_glob_characters_are_literal() -> None:
    graph = LineageGraph.from_pairs([("x[1]", "y%_"), ("x1", "y")])
    for view in (graph, _index(graph)):
        assert match_glob(view, "x[1]*") == ["x[1]"]
        assert resolve(view, "y%_") == "y%_"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.from_regex(r"[a-c]{1,2}([._/:#]|__)[a-c]{1,3}", fullmatch=True), min_size=2, max_size=8))
def test_every_short_label_resolves_to_its_id(ids: list[str]) -> None:
    graph = LineageGraph.from_pairs([(ids[0], other) for other in ids[1:] if other != ids[0]])
    labels = short_labels(graph.artifact_ids())
    for aid, label in labels.items():
        assert resolve(graph, label) == aid
        assert label == aid or label in suffixes(aid)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINEAGE), *args], capture_output=True, text=True, timeout=120)


def test_every_command_accepts_a_short_name() -> None:
    graph = ["-g", str(TUVA)]
    assert (
        _run("ancestors", "core__patient", *graph).stdout
        == _run("ancestors", "model.the_tuva_project.core__patient", *graph).stdout
    )
    provenance = _run("provenance", "core__patient", *graph)
    assert provenance.stdout.startswith("artifact: model.the_tuva_project.core__patient\n")
    path = _run("path", "eligibility_seed", "core__patient", "--directed", *graph)
    assert path.returncode == 0 and path.stdout.splitlines()[0] == "seed.input_layer.eligibility_seed"
    common = _run("common-ancestors", "core__patient", "core__eligibility", *graph)
    assert common.returncode == 0 and common.stdout
    impact = _run("impact", "eligibility_seed", *graph)
    assert "model.the_tuva_project.core__patient" in impact.stdout.splitlines()
    export = _run("export", "--root", "core__patient", "--depth", "1", "-f", "json", *graph)
    assert export.returncode == 0 and "model.the_tuva_project.core__patient" in export.stdout


def test_ambiguous_and_unknown_names_exit_2_with_candidates() -> None:
    ambiguous = _run("descendants", "patient", "-g", str(TUVA))
    assert ambiguous.returncode == 2 and "matches 7 artifacts" in ambiguous.stderr
    unknown = _run("descendants", "core__patients", "-g", str(TUVA))
    assert unknown.returncode == 2 and "Did you mean 'model.the_tuva_project.core__patient'" in unknown.stderr
    sample = _run("ancestors", "ltv__c", "-g", str(SAMPLE_GRAPHS / "warehouse-etl.json"))
    assert sample.returncode == 0, sample.stderr
