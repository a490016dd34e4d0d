"""The shipped JSON Schema is honest: real validators accept every shipped and real graph, reject bad ones."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_cli.validate import CODES, validate_document
from tests.conftest import REAL_GRAPHS, SAMPLE_GRAPHS

SCHEMA = json.loads(
    resources.files("lineage_cli").joinpath("schemas/lineage-graph.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
SAMPLES = sorted(SAMPLE_GRAPHS.glob("*.json"))
REALS = sorted(REAL_GRAPHS.glob("*.json"))
GRAPH_CODES = {"dangling-input", "dangling-edge", "duplicate-edge", "cycle", "duplicate-key"}
STRUCTURE_ERRORS = {code for code, (severity, _) in CODES.items() if severity == "error"} - GRAPH_CODES


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def schema_errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def minimal() -> dict[str, Any]:
    node = {
        "version": "1",
        "status": "fresh",
        "provenance": {
            "agent": "bot",
            "workflow": "wf",
            "stage": "s",
            "timestamp": "2026-01-01T00:00:00Z",
            "tool": None,
            "environment": "prod",
        },
        "inputs": [],
        "transformation": "t",
        "metadata": {"quality_score": 0.5, "partition": "p", "visualization": {"group": "g"}},
    }
    child = copy.deepcopy(node)
    child["inputs"] = ["s3://a/b"]
    return {
        "version": "1.0",
        "built_at": "2026-01-02T00:00:00+02:00",
        "nodes": {"s3://a/b": node, "c": child},
        "edges": [
            {"source": "s3://a/b", "target": "c", "type": "derived", "description": "", "metadata": {}}
        ],
    }


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_date_time_format_is_really_checked() -> None:
    # Without rfc3339-validator, jsonschema silently accepts any string as a date-time.
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert checker.conforms("2026-01-01T00:00:00Z", "date-time")
    assert not checker.conforms("2026-01-01T00:00:00", "date-time")
    assert not checker.conforms("2026-13-01T00:00:00Z", "date-time")


def test_there_are_sample_and_real_graphs() -> None:
    assert len(SAMPLES) >= 3
    assert len(REALS) == 3


@pytest.mark.parametrize("path", SAMPLES + REALS, ids=lambda p: p.name)
def test_every_shipped_and_real_graph_passes_the_schema(path: Path) -> None:
    assert schema_errors(load(path)) == []


def test_the_minimal_document_passes_schema_and_validate() -> None:
    assert schema_errors(minimal()) == []
    assert validate_document(minimal()).findings == []


Mutation = Callable[[dict[str, Any]], None]


def _set(path: list[Any], value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


NEGATIVE: dict[str, tuple[Mutation, str]] = {
    "bad status": (_set(["nodes", "c", "status"], "done"), "unknown-status"),
    "bad edge type": (_set(["edges", 0, "type"], "transformed"), "unknown-edge-type"),
    "missing node version": (_delete(["nodes", "c", "version"]), "missing-field"),
    "missing status": (_delete(["nodes", "c", "status"]), "missing-field"),
    "missing provenance": (_delete(["nodes", "c", "provenance"]), "missing-field"),
    "missing timestamp": (_delete(["nodes", "c", "provenance", "timestamp"]), "missing-field"),
    "missing edge target": (_delete(["edges", 0, "target"]), "missing-field"),
    "missing edge type": (_delete(["edges", 0, "type"]), "missing-field"),
    "missing nodes": (_delete(["nodes"]), "missing-field"),
    "naive timestamp": (
        _set(["nodes", "c", "provenance", "timestamp"], "2026-01-01T10:00:00"),
        "naive-timestamp",
    ),
    "garbage timestamp": (_set(["nodes", "c", "provenance", "timestamp"], "yesterday"), "bad-timestamp"),
    "impossible date": (_set(["built_at"], "2026-02-30T00:00:00Z"), "bad-timestamp"),
    "inputs not a list": (_set(["nodes", "c", "inputs"], "s3://a/b"), "wrong-type"),
    "numeric version": (_set(["nodes", "c", "version"], 2), "wrong-type"),
    "unknown node field": (_set(["nodes", "c", "input"], ["x"]), "unknown-field"),
    "unknown edge field": (_set(["edges", 0, "kind"], "derived"), "unknown-field"),
    "format version 2": (_set(["version"], "2.0"), "unsupported-version"),
    "quality score above 1": (_set(["nodes", "c", "metadata", "quality_score"], 87), "bad-metadata"),
    "visualization not an object": (_set(["nodes", "c", "metadata", "visualization"], "red"), "bad-metadata"),
    "empty artifact id": (_set(["edges", 0, "source"], ""), "empty-id"),
    "aliases not a list": (_set(["nodes", "c", "aliases"], "hive://m/db.c"), "wrong-type"),
    "aliases repeated": (_set(["nodes", "c", "aliases"], ["x", "x"]), "wrong-type"),
}


@pytest.mark.parametrize("case", sorted(NEGATIVE))
def test_schema_and_validate_both_reject(case: str) -> None:
    mutate, code = NEGATIVE[case]
    document = minimal()
    mutate(document)
    assert schema_errors(document), f"the schema accepted: {case}"
    assert code in {f.code for f in validate_document(document).findings if f.severity == "error"}


# Values a careless writer or a broken tool puts in a lineage file.
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    1,
    -1,
    1.5,
    "",
    "x",
    "fresh",
    "derived",
    "1.0",
    "2.0",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "2026-01-01T00:00:00+05:30",
    "2026-01-01t00:00:00z",
    "2026-12-31T23:59:60Z",
    "2026-01-01T24:00:00Z",
    [],
    ["s3://a/b"],
    ["s3://a/b", "s3://a/b"],
    [1],
    [""],
    {},
    {"quality_score": 2},
    {"partition": 3},
    {"visualization": {"node_color": 1}},
    {"visualization": {"group": "g"}},
    {"a": 1},
]
PATHS: list[list[Any]] = [
    ["version"],
    ["built_at"],
    ["$schema"],
    ["nodes"],
    ["edges"],
    ["extra"],
    ["nodes", "c"],
    ["nodes", "c", "version"],
    ["nodes", "c", "status"],
    ["nodes", "c", "inputs"],
    ["nodes", "c", "transformation"],
    ["nodes", "c", "metadata"],
    ["nodes", "c", "provenance"],
    ["nodes", "c", "provenance", "agent"],
    ["nodes", "c", "provenance", "timestamp"],
    ["nodes", "c", "provenance", "tool"],
    ["nodes", "c", "provenance", "environment"],
    ["nodes", "c", "provenance", "extra"],
    ["nodes", "c", "metadata", "quality_score"],
    ["nodes", "c", "metadata", "visualization"],
    ["nodes", "c", "extra"],
    ["edges", 0],
    ["edges", 0, "type"],
    ["edges", 0, "description"],
    ["edges", 0, "metadata"],
    ["edges", 0, "source"],
    ["edges", 0, "extra"],
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PATHS), st.one_of(st.none(), st.sampled_from(range(len(ODD_VALUES))))),
        min_size=1,
        max_size=3,
    )
)
def test_validate_agrees_with_the_schema_on_structure(mutations: list[tuple[list[Any], int | None]]) -> None:
    """A document passes the schema exactly when validate finds no structural error.

    (Validate also finds what a schema cannot express: dangling references, duplicates and
    cycles; those are left out of the comparison.)
    """
    document = minimal()
    for path, value in mutations:
        try:
            if value is None:
                _delete(path)(document)
            else:
                _set(path, copy.deepcopy(ODD_VALUES[value]))(document)
        except (KeyError, TypeError, IndexError):
            continue  # the path no longer exists after an earlier mutation
    structural = [f for f in validate_document(document).findings if f.code in STRUCTURE_ERRORS]
    errors = schema_errors(document)
    assert bool(errors) == bool(structural), (errors, [f.message for f in structural])


def test_the_readme_example_passes_the_schema() -> None:
    readme = (SAMPLE_GRAPHS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The lineage file", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert schema_errors(example) == []
    assert [f.code for f in validate_document(example).findings] == ["dangling-edge", *["dangling-input"] * 2]
