"""`lineage serve` as producers and users meet it: the real OpenLineage client, reads, auth and limits."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport

from lineage_cli.interop.common import ImportResult
from lineage_cli.interop.openlineage_import import import_openlineage
from lineage_cli.store.layout import StorePaths
from tests.conftest import LINEAGE
from tests.olstreams import built_graph
from tests.openlineage_scenario import (
    CLEAN,
    CUSTOMERS,
    DAILY,
    ORDERS,
    RAW,
    client_writing_to,
    emit_scenario,
    ident,
)
from tests.servehelp import Server, log_events, run_event, running

TOKEN = "s3cret-token-for-tests-0123456789"


def event_set(events: list[dict[str, object]]) -> set[bytes]:
    return {orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in events}


def oracle(
    root: Path, events: list[dict[str, Any]], *, extra: list[Path] | None = None
) -> tuple[ImportResult, StorePaths]:
    """What `lineage import openlineage` of these events (and files) appends to a fresh store."""
    root.mkdir(parents=True, exist_ok=True)
    ol_file = root / "oracle.ndjson"
    ol_file.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    store = StorePaths(root / "oracle-store")
    result = import_openlineage([ol_file, *(extra or [])], store)
    assert result.problems == [], result.problems
    return result, store


def assert_no_duplicate_ids(store: Path) -> None:
    counts = Counter(e["event_id"] for e in log_events(store))
    assert [event_id for event_id, n in counts.items() if n > 1] == []


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINEAGE), *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One open server for the tests that do not care about its options."""
    with running(tmp_path_factory.mktemp("served")) as started:
        yield started


# -- the real OpenLineage client ------------------------------------------------------


@pytest.mark.parametrize("compression", [None, HttpCompression.GZIP])
def test_the_real_http_transport_records_what_import_records(
    tmp_path: Path, compression: HttpCompression | None
) -> None:
    # The same scenario sent through the client's HTTP transport, and written by its file
    # transport then imported, gives the same events: serve takes import's path.
    ol_file = tmp_path / "ol.ndjson"
    emit_scenario(client_writing_to(ol_file))
    imported = tmp_path / "imported"
    assert cli("import", "openlineage", "--store", str(imported), str(ol_file)).returncode == 0

    with running(tmp_path / "served") as server:
        transport = HttpTransport(HttpConfig(url=server.url, compression=compression))
        emit_scenario(OpenLineageClient(transport=transport))
        served = log_events(server.store)
    assert served and event_set(served) == event_set(log_events(imported))


def test_openlineage_url_alone_points_a_client_at_the_server(tmp_path: Path) -> None:
    with running(tmp_path / "store", "--token", TOKEN) as server:
        env = {"OPENLINEAGE_URL": server.url, "OPENLINEAGE_API_KEY": TOKEN}
        code = (
            "from openlineage.client import OpenLineageClient\n"
            "from tests.openlineage_scenario import emit_scenario\n"
            "emit_scenario(OpenLineageClient())\n"
        )
        environment = {**os.environ, **env}
        done = subprocess.run(
            [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        status, body = server.get("ancestors", artifact=ident(DAILY))
    assert status == 200
    assert orjson.loads(body)["ancestors"] == sorted(map(ident, (CLEAN, CUSTOMERS, ORDERS, RAW)))


def test_a_run_sent_one_event_at_a_time_gets_the_inputs_its_start_named(tmp_path: Path) -> None:
    # START and COMPLETE sent apart build the graph an import of both at once builds.
    start = run_event("split-run", "START", minute=1)
    complete = run_event("split-run", "COMPLETE", minute=2)
    complete["inputs"] = []  # the inputs were named only at START, as some producers do
    with running(tmp_path / "served") as server:
        assert server.post(start)[0] == 201
        assert server.post(complete)[0] == 201
        status, body = server.get("provenance", artifact="out/split-run")
    assert status == 200
    assert [p["artifact"] for p in orjson.loads(body)["parents"]] == ["in/split-run-0"]
    _, together = oracle(tmp_path, [start, complete])
    assert built_graph(StorePaths(tmp_path / "served")) == built_graph(together)


# -- writes: batches, resends, bad input ---------------------------------------------


def test_a_batch_is_accepted_and_a_resend_adds_nothing(server: Server, tmp_path: Path) -> None:
    batch = [run_event(f"batch-{i}", minute=i) for i in range(5)]
    expected, imported = oracle(tmp_path, batch)
    before = log_events(server.store)
    status, answer = server.post(batch)
    assert status == 201 and answer["received"] == 5 and answer["appended"] == expected.appended > 0
    after = log_events(server.store)
    assert after[: len(before)] == before
    assert event_set(after[len(before) :]) == event_set(log_events(imported.root))  # the import's events
    status, again = server.post(batch)
    assert status == 201 and again["appended"] == 0 and again["duplicates"] == expected.appended
    status, single = server.post(batch[0])
    assert (status, single["appended"]) == (201, 0)
    assert log_events(server.store) == after
    assert_no_duplicate_ids(server.store)


def test_one_bad_event_rejects_the_whole_batch_naming_it(server: Server) -> None:
    before = log_events(server.store)
    bad = run_event("bad-1")
    del bad["run"]["runId"]
    status, answer = server.post([run_event("good-1"), bad, run_event("good-2")])
    assert status == 400
    assert answer["error"].startswith("event 2 of 3: `run.runId` must be a non-empty string")
    assert "Nothing of this request was written." in answer["error"]
    assert log_events(server.store) == before


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "the request body is empty"),
        (b'{"eventType": "START",', "not valid JSON (unexpected end of data, line 1, column 23)"),
        (b"42", "the body is a JSON number"),
        (b'{"eventType": "LUNCH", "run": {"runId": "r"}}', "unknown event type 'LUNCH'"),
        (b'{"hello": "world"}', "not an OpenLineage event"),
    ],
)
def test_malformed_bodies_get_a_400_naming_the_problem(server: Server, body: bytes, words: str) -> None:
    before = len(log_events(server.store))
    status, answer = server.post(body)
    assert status == 400 and words in answer["error"], answer
    assert len(log_events(server.store)) == before


def test_a_body_must_be_json(server: Server) -> None:
    status, _, body = server.request("POST", "/api/v1/lineage", b"{}", {"Content-Type": "text/plain"})
    assert status == 415 and b"application/json" in body


def test_job_and_dataset_events_are_imported_as_import_does(server: Server, tmp_path: Path) -> None:
    # A JobEvent is a job's static lineage, a DatasetEvent facts about one dataset: both are
    # mapped as `import openlineage` maps them.
    job_event = {
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": "p",
        "job": {"namespace": "n", "name": "j"},
        "inputs": [{"namespace": "static", "name": "source"}],
        "outputs": [{"namespace": "static", "name": "target"}],
    }
    dataset_event = {
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": "p",
        "dataset": {"namespace": "static", "name": "target", "facets": {"owner": {"name": "me"}}},
    }
    for event in (job_event, dataset_event):
        expected, imported = oracle(tmp_path / str(len(list(tmp_path.iterdir()))), [event])
        before = len(log_events(server.store))
        status, answer = server.post(event)
        assert (status, answer["ignored"], answer["appended"]) == (201, 0, expected.appended)
        assert expected.appended > 0
        new = log_events(server.store)[before:]
        assert event_set(new) == event_set(log_events(imported.root))
    status, body = server.get("provenance", artifact="static/target")
    assert status == 200 and [p["artifact"] for p in orjson.loads(body)["parents"]] == ["static/source"]


def test_a_naive_event_time_is_a_400_unless_assume_utc(tmp_path: Path) -> None:
    naive = run_event("naive")
    naive["eventTime"] = "2026-03-01T10:00:00"
    with running(tmp_path / "strict") as server:
        status, answer = server.post(naive)
        assert status == 400 and "--assume-utc" in answer["error"]
    with running(tmp_path / "utc", "--assume-utc") as server:
        assert server.post(naive)[0] == 201


# -- limits ---------------------------------------------------------------------------


def test_bodies_over_the_limit_get_413_compressed_or_not(tmp_path: Path) -> None:
    big = [run_event(f"big-{i}", inputs=30) for i in range(1000)]  # about 1.4 MiB
    assert len(orjson.dumps(big)) > 1024 * 1024
    with running(tmp_path / "store", "--max-body", "1") as server:
        status, answer = server.post(big)
        assert status == 413 and "over the limit of 1,048,576 bytes" in answer["error"]
        # A small gzip body that inflates past the limit is refused as well.
        status, answer = server.post(b"[" + b" " * (3 * 1024 * 1024) + b"]", gzipped=True)
        assert status == 413
        status, answer = server.post(big[:100], gzipped=True)
        assert status == 201 and answer["received"] == 100
    _, imported = oracle(tmp_path / "oracle", big[:100])
    assert event_set(log_events(tmp_path / "store")) == event_set(log_events(imported.root))
    assert_no_duplicate_ids(tmp_path / "store")


def test_a_broken_gzip_body_is_a_400(server: Server) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    status, _, body = server.request("POST", "/api/v1/lineage", b"this is not gzip", headers)
    assert status == 400 and b"not valid gzip" in body
    status, _, body = server.request("POST", "/api/v1/lineage", gzip.compress(b"[]")[:-6], headers)
    assert status == 400 and b"cut short" in body
    headers["Content-Encoding"] = "br"
    status, _, body = server.request("POST", "/api/v1/lineage", b"[]", headers)
    assert status == 415


# -- auth -------------------------------------------------------------------------------


def test_with_a_token_writes_need_it_and_reads_do_not(tmp_path: Path) -> None:
    with running(tmp_path / "store", "--token", TOKEN) as server:
        event = run_event("authed")
        assert server.post(event)[0] == 401
        status, answer = server.post(event, token="wrong")
        assert status == 401 and TOKEN not in orjson.dumps(answer).decode()
        status, headers, _ = server.request("POST", "/api/v1/lineage", orjson.dumps(event), {})
        assert status == 401 and headers["www-authenticate"].startswith("Bearer")
        assert log_events(server.store) == []
        assert server.post(event, token=TOKEN)[0] == 201
        # The real client's API key is the bearer token.
        auth = ApiKeyTokenProvider({"apiKey": TOKEN})
        OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, auth=auth))).emit(
            _client_event("client-authed")
        )
        assert server.get("provenance", artifact="out/authed")[0] == 200
    assert TOKEN not in server.stderr
    client_file = tmp_path / "client.ndjson"
    client_writing_to(client_file).emit(_client_event("client-authed"))
    _, imported = oracle(tmp_path / "oracle", [event], extra=[client_file])
    assert event_set(log_events(server.store)) == event_set(log_events(imported.root))
    assert_no_duplicate_ids(server.store)


def test_the_token_can_come_from_the_environment(tmp_path: Path) -> None:
    with running(tmp_path / "store", env={"LINEAGE_TOKEN": TOKEN}) as server:
        assert server.post(run_event("env"))[0] == 401
        assert server.post(run_event("env"), token=TOKEN)[0] == 201


def test_without_a_token_writes_are_open_on_loopback(server: Server) -> None:
    assert server.post(run_event("open"), token="anything")[0] == 201


def test_listening_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "::"):
        done = cli("serve", "--store", str(tmp_path), "--host", host, "--port", "0")
        assert done.returncode == 2
        assert "listens beyond this machine" in done.stderr and "--token" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "events.jsonl").exists()


def test_beyond_loopback_with_a_token_starts(tmp_path: Path) -> None:
    with running(tmp_path / "store", "--host", "0.0.0.0", "--token", TOKEN) as server:
        server.host = "127.0.0.1"
        assert server.post(run_event("wide"), token=TOKEN)[0] == 201


def test_a_port_in_use_is_one_sentence(server: Server, tmp_path: Path) -> None:
    done = cli("serve", "--store", str(tmp_path), "--port", str(server.port))
    assert done.returncode == 2 and "already in use" in done.stderr and "Traceback" not in done.stderr


def test_without_the_serve_extra_the_command_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None\n"  # as if the [serve] extra were not installed
        "sys.argv = ['lineage', 'serve', '--store', sys.argv[1]]\n"
        "from lineage_cli.cli import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "pip install 'lineage-cli[serve]'" in done.stderr and "Traceback" not in done.stderr


# -- reads ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("scenario")) as started:
        emit_scenario(OpenLineageClient(transport=HttpTransport(HttpConfig(url=started.url))))
        yield started


@pytest.mark.parametrize(
    "args",
    [
        ("provenance", ident(DAILY)),
        ("ancestors", ident(DAILY)),
        ("descendants", ident(RAW)),
        ("impact", ident(RAW)),
        ("ancestors", ident(DAILY), "--depth", "1"),
    ],
)
def test_reads_return_the_cli_json_byte_for_byte(scenario_server: Server, args: tuple[str, ...]) -> None:
    name, artifact, *rest = args
    params = {"artifact": artifact}
    if rest:
        params["depth"] = rest[1]
    status, body = scenario_server.get(name, **params)
    assert status == 200
    expected = cli(name, artifact, *rest, "--json", "--store", str(scenario_server.store))
    assert expected.returncode == 0, expected.stderr
    assert body.decode() == expected.stdout


def test_a_read_at_a_past_moment(scenario_server: Server) -> None:
    status, body = scenario_server.get("descendants", artifact=ident(RAW), as_of="2026-03-01T00:30:00Z")
    assert status == 200 and orjson.loads(body)["descendants"] == [ident(CLEAN)]


def test_an_accepted_event_is_visible_to_the_next_read(server: Server) -> None:
    for i in range(3):
        assert server.post(run_event(f"visible-{i}", minute=10 + i))[0] == 201
        status, body = server.get("provenance", artifact=f"out/visible-{i}")
        assert status == 200 and orjson.loads(body)["recorded"] is True


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/v1/provenance?artifact=out%2Fnope", 404, "Unknown artifact 'out/nope'"),
        ("/api/v1/provenance", 400, "pass the artifact id as ?artifact=ID"),
        ("/api/v1/ancestors?artifact=x&depth=-1", 400, "`depth` must be a whole number"),
        ("/api/v1/ancestors?artifact=x&artifact=y", 400, "pass `artifact` once"),
        ("/api/v1/provenance?artifact=x&as_of=yesterday", 400, "as_of"),
        ("/api/v1/lunch?artifact=x", 404, "there is no read named 'lunch'"),
        ("/nowhere", 404, "there is no such route"),
    ],
)
def test_bad_reads_get_a_sentence(scenario_server: Server, path: str, status: int, words: str) -> None:
    got, headers, body = scenario_server.request("GET", path)
    assert got == status and headers["content-type"] == "application/json"
    assert words in orjson.loads(body)["error"]


def test_an_unknown_artifact_gets_close_matches(scenario_server: Server) -> None:
    status, body = scenario_server.get("provenance", artifact=ident(DAILY)[:-1])
    assert status == 404 and ident(DAILY) in orjson.loads(body)["suggestions"]


def test_a_read_of_an_empty_store_is_a_404(tmp_path: Path) -> None:
    with running(tmp_path / "empty") as server:
        status, body = server.get("provenance", artifact="x")
    assert status == 404 and "has no events yet" in orjson.loads(body)["error"]


def test_wrong_methods_are_405(server: Server) -> None:
    assert server.request("GET", "/api/v1/lineage")[0] == 405
    assert server.request("POST", "/api/v1/provenance?artifact=x", b"{}")[0] == 405


def _client_event(run: str) -> RunEvent:
    return RunEvent(
        eventType=RunState.COMPLETE,
        eventTime="2026-03-01T00:00:00Z",
        run=Run(runId="0190b2a4-0000-7000-8000-000000000001"),
        job=Job(namespace="tests", name=run),
        producer="https://example.com/tests",
        outputs=[OutputDataset(namespace="out", name=run)],
    )


# -- store-wide reads and the HTML view ----------------------------------------------


def cli_json(*args: str, store: Path) -> str:
    """What `lineage ARGS --json --store STORE` prints (status exits 1 when it finds something)."""
    done = cli(*args, "--json", "--store", str(store))
    assert done.returncode in (0, 1) and done.stdout, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("params", "args"),
    [
        ({}, ()),
        ({"fail_on": "none"}, ("--fail-on", "none")),
        ({"fail_on": "failed,unbuilt"}, ("--fail-on", "failed,unbuilt")),
    ],
)
def test_status_is_the_cli_json_byte_for_byte(
    scenario_server: Server, params: dict[str, str], args: tuple[str, ...]
) -> None:
    status, body = scenario_server.get("status", **params)
    assert status == 200  # whatever it finds: --fail-on only shapes `ok` and `failing`
    assert body.decode() == cli_json("status", *args, store=scenario_server.store)


@pytest.mark.parametrize(
    ("params", "args"),
    [
        ({}, ()),
        ({"select": f"+{ident(DAILY)}"}, (f"+{ident(DAILY)}",)),
        ({"select": ["workflow:*", ident(RAW)]}, ("workflow:*", ident(RAW))),
        (
            {"select": f"{ident(RAW)}+", "exclude": ident(CLEAN)},
            (f"{ident(RAW)}+", "--exclude", ident(CLEAN)),
        ),
        ({"as_of": "2026-03-01T00:30:00Z"}, ("--as-of", "2026-03-01T00:30:00Z")),
    ],
)
def test_ls_is_the_cli_json_byte_for_byte(
    scenario_server: Server, params: dict[str, Any], args: tuple[str, ...]
) -> None:
    status, body = scenario_server.get("ls", **params)
    assert status == 200
    assert body.decode() == cli_json("ls", *args, store=scenario_server.store)
    assert orjson.loads(body)["count"] > 0


def test_a_bad_selector_is_a_400_with_the_cli_sentence(scenario_server: Server) -> None:
    status, body = scenario_server.get("ls", select="a+,,")
    done = cli("ls", "a+,,", "--json", "--store", str(scenario_server.store))
    assert status == 400 and done.returncode == 2
    message = orjson.loads(body)["error"]
    assert "column 4" in message and message.splitlines()[0] in done.stderr


def test_an_unknown_name_in_a_selector_is_a_404_with_close_matches(scenario_server: Server) -> None:
    status, body = scenario_server.get("ls", select=ident(DAILY)[:-1])
    assert status == 404 and ident(DAILY) in orjson.loads(body)["suggestions"]


def test_store_reads_of_an_empty_store_are_404s(tmp_path: Path) -> None:
    with running(tmp_path / "empty") as server:
        answers = [server.get("status"), server.get("ls"), server.request("GET", "/")[::2]]
    assert [status for status, _ in answers] == [404, 404, 404]
    assert all("has no events yet" in orjson.loads(body)["error"] for _, body in answers)


def export_html(store: Path, *args: str) -> bytes:
    done = subprocess.run(
        [str(LINEAGE), "export", "--format", "html", "--store", str(store), *args],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("/", ()),
        ("/view?group_by=stage", ("--group-by", "stage")),
        (
            f"/view?root={ident(DAILY)}&direction=upstream&depth=1",
            ("--root", ident(DAILY), "--upstream", "--depth", "1"),
        ),
        ("/?as_of=2026-03-01T00:30:00Z", ("--as-of", "2026-03-01T00:30:00Z")),
    ],
)
def test_the_html_view_is_the_exported_page(
    scenario_server: Server, path: str, args: tuple[str, ...]
) -> None:
    status, headers, page = scenario_server.request("GET", path)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert page == export_html(scenario_server.store, *args)  # the page embeds no time of its own
    assert page.count(b'http-equiv="Content-Security-Policy"') == 1 and page.count(b"<script") == 2


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("direction=sideways&root=x", "`direction` is upstream, downstream or both"),
        ("depth=2", "need `root`"),
        ("group_by=colour", "`group_by` is one of"),
        ("root=nope.nothing", "Unknown artifact"),
    ],
)
def test_bad_view_parameters_get_a_sentence(scenario_server: Server, query: str, words: str) -> None:
    status, headers, body = scenario_server.request("GET", f"/view?{query}")
    assert status in (400, 404) and headers["content-type"] == "application/json"
    assert words in orjson.loads(body)["error"]


def test_the_served_view_loads_in_a_real_browser(scenario_server: Server) -> None:
    from tests.browser import chromium, require_browser, watched_page

    with chromium(require_browser()) as browser, watched_page(browser) as watched:
        watched.page.goto(scenario_server.url + "/")
        watched.page.evaluate("window.lineageView.ready.then(() => true)")
        shown = watched.view("visibleIds")
        violations = watched.page.evaluate("window.__csp")
    assert watched.errors == [] and watched.dialogs == [] and violations == []
    assert not [line for line in watched.console if "error" in line.lower() or "refused" in line.lower()]
    assert watched.requests == [scenario_server.url + "/"]  # the page asks for nothing more
    listed = orjson.loads(scenario_server.get("ls")[1])["artifacts"]
    assert shown == [row["id"] for row in listed]
