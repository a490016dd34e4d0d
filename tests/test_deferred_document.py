"""A large directory store's ``lineage.json`` is written on demand: never stale, never half-written.

``$LINEAGE_DOCUMENT_BYTES`` lowers the size rule's bound (32 MiB of nodes), so small stores here
take the path a million-artifact store takes. Commands run through the installed ``lineage``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage_cli.store.build import build_store
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.local import LocalStore
from lineage_cli.store.local.document import DOCUMENT_ENV
from tests.conftest import LINEAGE
from tests.storehelp import artifact, documents_on_demand, event, write_store

DEFERRED = {DOCUMENT_ENV: "0"}


def lineage(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LINEAGE), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert "Traceback" not in done.stderr
    return done


def first_events() -> list[dict[str, Any]]:
    return [
        artifact("raw", 1),
        artifact("clean", 2, ["raw"]),
        artifact("report", 3, ["clean", "config"]),
        event("flow_failed", 4, "L9", error="boom"),
        artifact("broken", 4, ["clean"], lineage_id="L9"),
    ]


def more_events() -> list[dict[str, Any]]:
    return [artifact("raw", 10, version="2"), artifact("chart", 11, ["report"])]


def the_full_build(tmp_path: Path, events: list[dict[str, Any]], built_at: str) -> bytes:
    """The document one full build of ``events`` writes itself, with ``built_at`` as given."""
    paths = write_store(tmp_path / "reference", events)
    build_store(paths, full=True)
    document = orjson.loads(paths.graph.read_bytes())
    document["built_at"] = built_at
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def built_at(store: Path) -> str:
    return str(orjson.loads((store / "built.json").read_bytes())["built_at"])


def files(store: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of the store with its inode, size and modification time."""
    return {
        str(path.relative_to(store)): (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(store.rglob("*"))
        if path.is_file()
    }


def test_a_deferred_build_leaves_no_file_and_every_reader_gets_the_full_build_s_document(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    write_store(store, first_events())
    built = lineage("build", "--store", store, env=DEFERRED)
    assert built.returncode == 0 and "lineage.json (written when first read): 5 artifacts" in built.stderr
    assert not (store / "lineage.json").exists()  # not written, and the file of no earlier build
    write_store(store, more_events())
    assert lineage("build", "--store", store, env=DEFERRED).returncode == 0
    assert not (store / "lineage.json").exists()
    expected = the_full_build(tmp_path, first_events() + more_events(), built_at(store))
    # Queries answer from the patched index without writing the document.
    assert lineage("descendants", "raw", "--store", store).stdout == "broken\nchart\nclean\nreport\n"
    assert not (store / "lineage.json").exists()
    # `build --output FILE`, `export --format json` and `validate` read the whole document.
    out = tmp_path / "out.json"
    assert lineage("build", "--store", store, "--output", out, env=DEFERRED).returncode == 0
    document = orjson.loads(out.read_bytes())
    assert document == {**orjson.loads(expected), "built_at": document["built_at"]}
    exported = lineage("export", "--format", "json", "--store", store)
    assert exported.returncode == 0
    assert not (store / "lineage.json").exists() or (store / "lineage.json").read_bytes() == (
        the_full_build(tmp_path / "again", first_events() + more_events(), built_at(store))
    )
    checked = lineage("validate", "--strict", "--store", store)
    assert checked.returncode == 0, checked.stderr
    assert (store / "lineage.json").read_bytes() == (
        the_full_build(tmp_path / "third", first_events() + more_events(), built_at(store))
    )
    reference = lineage("export", "--format", "json", "--store", tmp_path / "reference")
    assert without_built_at(exported.stdout) == without_built_at(reference.stdout)


def without_built_at(text: str) -> dict[str, Any]:
    document = orjson.loads(text)
    document.pop("built_at", None)
    return dict(document)


def test_a_small_graph_is_written_by_the_build_and_a_large_one_on_demand(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(store, first_events())
    assert lineage("build", "--store", store).returncode == 0  # the default bound: written
    written = (store / "lineage.json").read_bytes()
    assert written == the_full_build(tmp_path, first_events(), built_at(store))
    # Past the bound the build removes the outdated file: a reader never sees the old graph.
    write_store(store, more_events())
    assert lineage("build", "--store", store, env={DOCUMENT_ENV: "600"}).returncode == 0
    assert not (store / "lineage.json").exists()
    shown = lineage("export", "--format", "json", "--store", store)
    assert "chart" in orjson.loads(shown.stdout)["nodes"]


def test_a_build_with_no_new_events_writes_nothing(tmp_path: Path) -> None:
    for env in ({}, DEFERRED):
        store = tmp_path / f"store{len(env)}"
        write_store(store, first_events())
        assert lineage("build", "--store", store, env=env).returncode == 0
        before = files(store)
        again = lineage("build", "--store", store, "--json", env=env)
        assert again.returncode == 0 and orjson.loads(again.stdout)["snapshot"] is None
        assert files(store) == before
        # A document written on demand is in place too: the next build leaves it alone.
        LocalStore(StorePaths(store)).document()
        before = files(store)
        assert lineage("build", "--store", store, env=env).returncode == 0
        assert files(store) == before


def test_a_build_with_new_events_never_leaves_the_old_document(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(store, first_events())
    lineage("build", "--store", store, env=DEFERRED)
    LocalStore(StorePaths(store)).document()  # written on demand: now on disk
    write_store(store, more_events())
    assert lineage("build", "--store", store, env=DEFERRED).returncode == 0
    assert not (store / "lineage.json").exists()
    assert lineage("validate", "--store", store).returncode == 0
    assert "chart" in orjson.loads((store / "lineage.json").read_bytes())["nodes"]


class Crash(Exception):
    """A build killed between two of its steps."""


@pytest.mark.parametrize("step", ["update_index", "_index_store", "mark_built"])
def test_a_crash_between_steps_leaves_the_old_state_or_a_missing_file_that_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    import lineage_cli.store.build as build
    import lineage_cli.store.freshness as freshness
    import lineage_cli.store.local.state as state

    store = tmp_path / "store"
    paths = write_store(store, first_events())
    with documents_on_demand():
        build_store(paths)
    old = LocalStore(paths).document().read_bytes()  # the last build's document, on disk
    write_store(store, more_events())

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise Crash

    module = {"update_index": state, "_index_store": build, "mark_built": freshness}[step]
    with monkeypatch.context() as patch:
        patch.setattr(module, step, crash)
        if step == "_index_store":
            patch.setattr(state, "update_index", lambda *_args: False)  # the patch fails: rebuild
        with documents_on_demand(), pytest.raises(Crash):
            build_store(paths)
    graph = store / "lineage.json"
    if step == "mark_built":  # the state committed: its document is written again when read
        assert not graph.exists()
        assert lineage("validate", "--store", store).returncode == 0
        assert b'"chart"' in graph.read_bytes()
    else:  # the state rolled back: the same document as before, written again when read
        assert not graph.exists()
        assert lineage("validate", "--store", store).returncode == 0
        assert graph.read_bytes() == old
    # Queries agree with the document, and the next build brings everything up to date.
    expected = "broken\nchart\nclean\nreport\n" if step == "mark_built" else "broken\nclean\nreport\n"
    assert lineage("descendants", "raw", "--store", store, env={"LINEAGE_AUTO_BUILD_BYTES": "0"}).stdout == (
        expected
    )
    assert lineage("build", "--store", store, env=DEFERRED).returncode == 0
    assert lineage("descendants", "raw", "--store", store).stdout == "broken\nchart\nclean\nreport\n"
    assert lineage("validate", "--store", store).returncode == 0


def test_a_crash_while_the_document_is_written_on_demand_leaves_a_consistent_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lineage_cli.store.indexwrite as indexwrite

    store = tmp_path / "store"
    paths = write_store(store, first_events())
    with documents_on_demand():
        build_store(paths)
    monkeypatch.setattr(indexwrite, "retoken_index", lambda *_args: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        LocalStore(paths).document()
    # The file is whole and current; the index no longer matches it, so queries use the file.
    assert lineage("validate", "--store", store).returncode == 0
    assert lineage("ancestors", "report", "--store", store).stdout == "clean\nconfig\nraw\n"
    assert lineage("build", "--store", store).returncode == 0


def test_a_deleted_state_is_not_needed_to_read_the_document(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(store, first_events())
    lineage("build", "--store", store, env=DEFERRED)
    (store / "state.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{store / 'state.sqlite'}{suffix}").unlink(missing_ok=True)
    assert lineage("validate", "--store", store).returncode == 0  # a full build first, then written
    assert sorted(orjson.loads((store / "lineage.json").read_bytes())["nodes"]) == [
        "broken",
        "clean",
        "config",
        "raw",
        "report",
    ]


def test_the_store_s_file_named_as_graph_or_validated_by_name_is_written_first(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(store, first_events())
    lineage("build", "--store", store, env=DEFERRED)
    graph = store / "lineage.json"
    assert lineage("ancestors", "report", "--graph", graph).stdout == "clean\nconfig\nraw\n"
    graph.unlink()
    assert lineage("validate", graph).returncode == 0 and graph.exists()
    graph.unlink()
    assert lineage("ancestors", "report", env={"LINEAGE_GRAPH": str(graph)}).stdout == "clean\nconfig\nraw\n"


def test_the_store_s_file_imported_into_another_store_is_written_first(tmp_path: Path) -> None:
    store, other = tmp_path / "store", tmp_path / "other"
    write_store(store, first_events())
    lineage("build", "--store", store, env=DEFERRED)
    assert not (store / "lineage.json").exists()
    imported = lineage("import", "graph", store / "lineage.json", "--store", other)
    assert imported.returncode == 0, imported.stderr
    assert lineage("ancestors", "report", "--store", other).stdout == "clean\nconfig\nraw\n"
