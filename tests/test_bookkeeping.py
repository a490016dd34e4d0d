"""Properties of the recorder's bookkeeping and of time arguments: one file is one id, however spelt."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lineage_cli.bookkeeping import InputChecker, hash_path, normalise_id, normalise_ids
from lineage_cli.model import parse_timestamp
from lineage_cli.timeargs import resolve_time

ROOT = "/srv/project"
parts = st.lists(st.text(alphabet="abcXYZ_-.0", min_size=1, max_size=4), min_size=1, max_size=4).filter(
    lambda p: all(part not in (".", "..") for part in p)
)
places = st.sampled_from(["/srv/project", "/srv/project/sub", "/srv", "/elsewhere"])


@given(parts, places)
def test_the_fast_path_agrees_with_the_careful_one(path: list[str], here: str) -> None:
    text = "/".join(path)
    for spelling in (text, "./" + text, text.replace("/", "//"), text + "/", f"{path[0]}/../{text}"):
        [fast] = normalise_ids([spelling], ROOT, here)
        assert fast == normalise_id(spelling, ROOT, here), spelling


@given(parts.filter(lambda p: len(p) > 1), places)
def test_equivalent_spellings_are_one_id_and_normalising_is_idempotent(path: list[str], here: str) -> None:
    # With a `/` the text is a path whatever the disk holds (a bare name is one only if it exists).
    text = "/".join(path)
    ids = {normalise_id(s, ROOT, here) for s in (text, "./" + text, text.replace("/", "//"))}
    assert len(ids) == 1
    [one] = ids
    if not os.path.isabs(one) and here.startswith(ROOT):  # inside the project: relative to its root
        assert normalise_id(one, ROOT, ROOT) == one


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(["m", "h", "d", "w"]), st.booleans())
def test_relative_times_count_back_from_now(amount: int, unit: str, ago: bool) -> None:
    now = parse_timestamp("2026-06-01T12:00:00Z")
    seconds = {"m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    text = f"{amount}{unit}" + (" ago" if ago else "")
    resolved = resolve_time(text, now=now)
    assert resolved.moment == now - timedelta(seconds=amount * seconds)
    assert resolved.taken_as is not None and text in resolved.taken_as


def test_a_directory_hash_depends_on_names_and_content_only(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for base, order in ((one, ["a", "b/c"]), (two, ["b/c", "a"])):
        for name in order:  # written in another order: the hash must not care
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_text(name)
    assert hash_path(one) == hash_path(two)
    (two / "a").rename(two / "a2")
    assert hash_path(one) != hash_path(two)


def test_an_unknown_input_is_checked_once_even_when_named_often() -> None:
    checker = InputChecker()
    for n in range(50):
        checker.add(f"table_{n}")
    warnings = [w for _ in range(100) for w in checker.check(["Table-7"])]
    assert warnings == ["input 'Table-7' is not a known artifact; did you mean 'table_7'?"]
