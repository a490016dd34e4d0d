"""HTML export: one self-contained, offline page that draws and explores the graph in the browser.

The page is ``html_assets/page.html`` with the vendored d3-zoom bundle and ``view-*.js`` inlined
as one script, pinned by its SHA-256 in a Content-Security-Policy that also forbids every
network request. The data rides in a non-executable ``<script type="application/json">``
block with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, read with ``JSON.parse``; above
:data:`COMPRESS_ABOVE` bytes it is gzipped and base64-encoded, and the page inflates it with
the browser's ``DecompressionStream``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import os
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import orjson

from lineage_cli.export.base import ExportOptions
from lineage_cli.export.html_data import Build, History, view_data
from lineage_cli.graph import LineageGraph
from lineage_cli.store.base import Store

__all__ = ["COMPRESS_ABOVE", "EXPORTERS", "MAX_BUILDS", "HtmlExporter", "escape_json", "render_page"]

COMPRESS_ABOVE = 1_000_000
"""Data blocks larger than this (bytes of JSON) are gzipped: 100,000 artifacts are about
17 MB of JSON and 2.5 MB gzipped and base64-encoded (level 4: a third of level 6's time for
5% more bytes)."""

VIEW_PARTS = ("view-model.js", "view-draw.js", "view-ui.js")
"""The page's own script, in ``html_assets/``, in order."""

MAX_BUILDS = 30
"""The time slider offers the store's latest builds, at most this many."""

_ESCAPES = (
    (b"&", b"\\u0026"),
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def escape_json(value: Any) -> bytes:
    r"""``value`` as JSON that is safe inside an HTML ``<script>`` element and loads back to ``value``.

    JSON's own syntax never uses these characters, so they only occur inside strings, where
    the ``\u`` escape means the same character.

    Examples
    --------
    >>> escape_json(["</script>", "a&b"])
    b'["\\u003c/script\\u003e","a\\u0026b"]'
    >>> json.loads(escape_json(["</script>\u2028"])) == ["</script>\u2028"]
    True
    """
    data = orjson.dumps(value)
    for raw, escaped in _ESCAPES:
        data = data.replace(raw, escaped)
    return data


@cache
def _asset(name: str) -> str:
    return (resources.files("lineage_cli.export") / "html_assets" / name).read_text(encoding="utf-8")


@cache
def _script() -> str:
    """The one inline script: the vendored bundles in lock order, then the view in one function."""
    lock = json.loads(_asset("vendor/vendor.lock.json"))
    parts = [_asset(f"vendor/{entry['file']}") for entry in lock["files"]]
    # The view's three files are fragments of one function body: they share its scope.
    view = "".join(_asset(name) for name in VIEW_PARTS)
    parts.append('(function () {\n  "use strict";\n' + view + "})();\n")
    script = "\n;\n".join(parts)
    lowered = script.lower()
    if "</script" in lowered or "<!--" in lowered:  # would end or confuse the script element
        raise RuntimeError("an HTML view asset contains '</script' or '<!--'")
    return script


def render_page(
    graph: LineageGraph, *, group_by: str = "workflow", title: str = "", history: History | None = None
) -> bytes:
    r"""The whole page for ``graph`` as UTF-8 bytes (the same input gives the same bytes).

    Examples
    --------
    >>> page = render_page(LineageGraph.from_pairs([("raw", "<clean>")]))
    >>> b"<clean>" in page, b"\\u003cclean\\u003e" in page, page.count(b"<script")
    (False, True, 2)
    """
    data = escape_json(view_data(graph, group_by=group_by, title=title, history=history))
    if len(data) > COMPRESS_ABOVE:
        packed = base64.b64encode(gzip.compress(data, compresslevel=4, mtime=0)).decode("ascii")
        block = f'<script type="text/plain" id="lineage-data" data-encoding="gzip-base64">{packed}</script>'
    else:
        block = f'<script type="application/json" id="lineage-data">{data.decode("utf-8")}</script>'
    script = _script()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "connect-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    page = (
        _asset("page.html")
        .replace("{{TITLE}}", html.escape(title or "lineage", quote=True))
        .replace("{{CSP}}", html.escape(csp, quote=True))
        .replace("{{STYLE}}", _asset("view.css"))
    )
    # The data and script go in last, so nothing inside them is ever mistaken for a placeholder.
    head, rest = page.split("{{DATA}}")
    middle, tail = rest.split("{{SCRIPT}}")
    return "".join((head, block, middle, script, tail)).encode("utf-8")


def store_history(store: Store, as_of: datetime | None = None) -> History | None:
    """The store's builds (at or before ``as_of``) as ``lineage at`` gives them, and its stale reasons.

    ``None`` when the store has no events (a lineage file alone has no history). ``store`` is a
    directory or a PostgreSQL store (:func:`~lineage_cli.store.base.open_store`).

    Examples
    --------
    >>> import tempfile
    >>> from lineage_cli.store.base import open_store
    >>> store_history(open_store(tempfile.mkdtemp())) is None
    True
    """
    if store.events_stamp() is None:
        return None
    from lineage_cli.model import format_timestamp, parse_timestamp

    moments = set()
    for entry in store.builds():
        last = entry.get("last_event_time")
        if isinstance(last, str):
            moment = parse_timestamp(last)
            if as_of is None or moment <= as_of:
                moments.add(moment)
    builds = [Build(format_timestamp(m), store.document_at(m)) for m in sorted(moments)[-MAX_BUILDS:]]
    stale = [reason.to_json() for reason in store.stale(as_of=as_of)]
    return History(builds=builds, stale=stale)


def export_page(
    graph_file: str | None,
    store: str | os.PathLike[str] | Store | None,
    as_of: datetime | None,
    request: Any,
) -> Any:
    """Open the graph, select what ``request`` asks for, and render the page with the store's history.

    ``request`` is an :class:`~lineage_cli.export.run.ExportRequest`; the result an
    :class:`~lineage_cli.export.run.ExportResult`. The time slider and stale reasons need the
    store's event log, so a page made from ``--graph FILE`` has neither.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lineage_cli.export.run import ExportRequest
    >>> from lineage_cli.lineagefile import save_graph
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> save_graph(LineageGraph.from_pairs([("raw", "clean")]), path)
    >>> export_page(str(path), None, None, ExportRequest("html")).data[:15]
    b'<!DOCTYPE html>'
    """
    from lineage_cli.export.run import ExportResult
    from lineage_cli.export.select import Selection, select
    from lineage_cli.source import GRAPH_ENV, open_lineage_graph
    from lineage_cli.store.base import open_store

    graph = open_lineage_graph(graph_file, store, as_of)
    if request.root is None and not request.max_nodes:
        chosen = Selection(graph, None)  # the whole graph: no need to order it for a cut
    else:
        chosen = select(
            graph,
            root=request.root,
            direction=request.direction,
            depth=request.depth,
            max_nodes=request.max_nodes or None,
        )
    history = None
    if not graph_file and not os.environ.get(GRAPH_ENV):
        history = store_history(open_store(store), as_of)
    page = render_page(chosen.graph, group_by=request.group_by, title=request.root or "", history=history)
    return ExportResult(page, False, chosen.cut)


class HtmlExporter:
    """An interactive page: layered layout, search, highlight, grouping, details; works offline.

    Examples
    --------
    >>> HtmlExporter().export(LineageGraph.from_pairs([("a", "b")]), ExportOptions())[:15]
    b'<!DOCTYPE html>'
    """

    name = "html"
    description = "An interactive page (one offline file): search, highlight, groups, time slider."
    binary = False
    picture = False

    def export(self, graph: LineageGraph, options: ExportOptions) -> bytes:
        """Render the page for ``graph`` (no store history: see :func:`export_page`)."""
        return render_page(graph, group_by=options.group_by)


EXPORTERS = {"html": HtmlExporter()}
