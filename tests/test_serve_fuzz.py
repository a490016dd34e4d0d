"""Fuzzed requests to a running `lineage serve`: never a 500, never a traceback, nothing half-written."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servehelp import Server, log_events, run_event, running

TOKEN = "fuzz-token-0123456789abcdef"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def damaged_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid RunEvent with some fields replaced by any JSON value or removed."""
    event = run_event(draw(st.text(min_size=1, max_size=12)), draw(st.sampled_from(["START", "COMPLETE"])))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(
            st.sampled_from(
                [
                    ("eventType",),
                    ("eventTime",),
                    ("run",),
                    ("run", "runId"),
                    ("run", "facets"),
                    ("job",),
                    ("job", "name"),
                    ("inputs",),
                    ("outputs",),
                    ("producer",),
                ]
            )
        )
        holder = event
        for key in path[:-1]:
            holder = holder[key] if isinstance(holder.get(key), dict) else holder
        if draw(st.booleans()):
            holder.pop(path[-1], None)
        else:
            holder[path[-1]] = draw(json_values)
    return event


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(orjson.dumps),
    damaged_events().map(orjson.dumps),
    st.lists(damaged_events() | json_values, max_size=4).map(orjson.dumps),
)
param_names = st.sampled_from(["artifact", "depth", "as_of", "critical"]) | st.text(max_size=6)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("fuzzed"), "--token", TOKEN, "--max-body", "1") as started:
        yield started


def check_answer(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500, body
    assert b"Traceback" not in body
    if status >= 400:
        assert headers.get("content-type") == "application/json", (status, headers, body)
        error = orjson.loads(body)["error"]
        assert isinstance(error, str) and error.endswith(".")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=bodies,
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""])
    | header_text,
    encoding=st.sampled_from([None, "gzip", "identity", "br"]) | header_text,
    compress=st.booleans(),
    authorization=st.sampled_from([f"Bearer {TOKEN}", "Bearer nope", "", f"Basic {TOKEN}"]) | header_text,
)
def test_fuzzed_writes_never_fail_the_server(
    server: Server, body: bytes, content_type: str, encoding: str | None, compress: bool, authorization: str
) -> None:
    headers = {"Content-Type": content_type, "Authorization": authorization}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    if compress:
        body = gzip.compress(body)
    before = len(log_events(server.store))
    status, answer_headers, answer = server.request("POST", "/api/v1/lineage", body, headers)
    check_answer(status, answer_headers, answer)
    if status != 201:
        assert len(log_events(server.store)) == before  # a refused request wrote nothing


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, compress=st.booleans())
def test_fuzzed_bodies_with_good_headers_reach_the_parser(
    server: Server, body: bytes, compress: bool
) -> None:
    before = len(log_events(server.store))
    status, answer = server.post(body, token=TOKEN, gzipped=compress)
    assert status in (201, 400), answer
    if status == 400:
        assert answer["error"].endswith("Nothing of this request was written.")
        assert len(log_events(server.store)) == before
    else:
        assert len(log_events(server.store)) == before + answer["appended"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["provenance", "ancestors", "descendants", "impact", "lineage"]) | header_text,
    params=st.lists(st.tuples(param_names, st.text()), max_size=4),
)
def test_fuzzed_reads_never_fail_the_server(server: Server, name: str, params: list[tuple[str, str]]) -> None:
    from urllib.parse import quote, urlencode

    path = "/api/v1/" + quote(name, safe="") + "?" + urlencode(params)
    status, headers, body = server.request("GET", path)
    check_answer(status, headers, body)


def test_a_read_after_fuzzing_still_works(server: Server) -> None:
    assert server.post(run_event("after-fuzz"), token=TOKEN)[0] == 201
    assert server.get("provenance", artifact="out/after-fuzz")[0] == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_broken_http_is_refused_without_a_traceback(server: Server, raw: bytes) -> None:
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(raw)
        answer = connection.recv(65536)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
    assert b"Traceback" not in answer


def test_the_fuzzed_server_logged_no_traceback(tmp_path: Path) -> None:
    # `running` asserts it for every server when it stops; this one stops here, on purpose.
    with running(tmp_path / "store") as server:
        server.request("POST", "/api/v1/lineage", b"\xff\xfe", {"Content-Type": "application/json"})
    assert "Traceback" not in server.stderr and "error: unexpected" not in server.stderr
