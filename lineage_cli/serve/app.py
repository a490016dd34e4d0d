"""The ASGI application of ``lineage serve`` (Starlette): HTTP in front of the ingest and the reads.

Status codes: 201 events accepted; 400 a malformed body, event or parameter (nothing of
the request written); 401 a write without the right bearer token; 404 an unknown artifact
or route; 405 a wrong method; 413 a body over the limit; 415 a body that is not
``application/json`` or has an unknown ``Content-Encoding``; 503 the store cannot be
written or read. Every error is a JSON object ``{"error": SENTENCE}``; nothing answers
with a traceback.
"""

from __future__ import annotations

import hmac
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lineage_cli.errors import InputError, LineageError, LineageFileError, UnknownArtifactError
from lineage_cli.serve.ingest import BadEvents, Ingestor
from lineage_cli.serve.reads import ARTIFACT_READS, STORE_READS, StoreReader
from lineage_cli.store.base import Store
from lineage_cli.store.events import LogProblem
from lineage_cli.store.layout import StorePaths
from lineage_cli.store.postgres.connect import StoreError  # the class only: no driver is imported

__all__ = ["DEFAULT_MAX_BODY", "LINEAGE_PATH", "create_app"]

DEFAULT_MAX_BODY: Final = 10 * 1024 * 1024
"""The largest request body accepted by default, in bytes (after gzip decompression too)."""

INLINE_BODY: Final = 64 * 1024
"""Bodies up to this size are ingested on the event loop itself, bigger ones in a worker thread."""

PAGE_HEADERS: Final = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
"""Sent with the HTML view; its Content-Security-Policy is the page's own ``<meta>`` tag."""

LINEAGE_PATH: Final = "/api/v1/lineage"
"""Where the OpenLineage HTTP transport posts (its default ``endpoint``, as Marquez serves it)."""


Handler = Callable[[Request], Awaitable[Response]]


class _Refused(Exception):
    """An HTTP error answer: status and one sentence."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


class _AnsweredAlready:
    """ASGI middleware: a response the server can no longer send is dropped, not a traceback.

    When a request's HTTP framing is broken after its headers (a bad chunk), uvicorn answers
    400 and closes the connection itself while the app may still be answering the request; the
    app's answer then fails inside the server. There is nobody left to tell.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_if_possible(message: Message) -> None:
            try:
                await send(message)
            except Exception:  # whatever the server raises: the connection is done
                return

        await self.app(scope, receive, send_if_possible)


class _App(Starlette):
    """Starlette, with a short way for event posts: the writes a producer sends by the thousand.

    A ``POST /api/v1/lineage`` goes straight to its (guarded) handler, without the
    middleware stack and the router: their layers cost about as much as mapping the event.
    Everything else takes Starlette's whole path.
    """

    post_events: Handler | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        post = self.post_events
        is_post = scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == LINEAGE_PATH
        if post is None or not is_post:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        response = await post(Request(scope, receive))
        await _AnsweredAlready(response)(scope, receive, send)


def _json(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # Indented like the CLI's --json, so a read returns byte for byte what the command prints.
    body = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return _json({"error": message, **extra}, status, headers)


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getlist(key) for key in request.query_params}


def _read_error(exc: LineageError, say: Callable[[str], None]) -> Response:
    """The answer to a read that failed: 404 unknown or nothing yet, 503 unreadable, else 400."""
    if isinstance(exc, UnknownArtifactError):
        return _error(404, str(exc), suggestions=exc.suggestions)
    if isinstance(exc, LineageFileError | StoreError):  # the log, or the database, cannot be read now
        say(f"error: {exc}")
        return _error(503, str(exc))
    if isinstance(exc, InputError) and "has no events yet" in exc.message:
        return _error(404, str(exc))
    return _error(400, str(exc))


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, decompressed, or :class:`_Refused` (413 over ``limit``, 415 an unknown encoding)."""
    too_big = _Refused(413, f"the request body is over the limit of {limit:,} bytes; send smaller batches.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise _Refused(415, f"Content-Encoding {encoding!r} is not supported; send gzip or none.")
    inflate = zlib.decompressobj(wbits=31) if encoding == "gzip" else None
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            if inflate is not None:
                # max_length bounds what one chunk may inflate to: a small bomb stays small here.
                chunk = inflate.decompress(chunk, limit + 1 - size)
                if inflate.unconsumed_tail:
                    raise too_big
            size += len(chunk)
            if size > limit:
                raise too_big
            parts.append(chunk)
        if inflate is not None and not inflate.eof:
            raise _Refused(400, "the gzip body is cut short; send the whole compressed body.")
    except zlib.error as exc:
        raise _Refused(400, f"the body is not valid gzip ({exc}).") from None
    return b"".join(parts)


def _check_json(request: Request) -> None:
    # Requiring application/json also keeps web pages out: a browser must ask (CORS) before
    # sending it cross-site, and this server never says yes.
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        shown = repr(media) if media else "none"
        raise _Refused(415, f"the Content-Type is {shown}; send OpenLineage events as application/json.")


def _check_token(request: Request, token: str | None) -> None:
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.encode()
    # compare_digest: the time taken does not tell how much of a guessed token was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise _Refused(
            401,
            "writes need the server's token: send `Authorization: Bearer TOKEN` "
            "(the OpenLineage client's OPENLINEAGE_API_KEY).",
            {"WWW-Authenticate": 'Bearer realm="lineage"'},
        )


def create_app(
    store: StorePaths | Store,
    *,
    token: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    assume_utc: bool = False,
    log: Callable[[str], None] | None = None,
) -> Starlette:
    """The ASGI app serving one store (run it with any ASGI server; ``lineage serve`` uses uvicorn).

    Parameters
    ----------
    store:
        The store events are appended to and queries are answered from.
    token:
        When set, ``POST`` requests need ``Authorization: Bearer TOKEN``.
    max_body:
        The largest body accepted, in bytes, before and after gzip decompression.
    assume_utc:
        Read an ``eventTime`` without a timezone as UTC.
    log:
        Called with one line for each problem worth an operator's attention.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> app = create_app(StorePaths(pathlib.Path(tempfile.mkdtemp())))
    >>> sorted(route.path for route in app.routes)
    ['/', '/api/v1/lineage', '/api/v1/{name}', '/view']
    """
    ingestor = Ingestor(store, assume_utc=assume_utc)
    say = log or (lambda _line: None)

    def on_problem(problem: LogProblem) -> None:
        say(f"warning: {problem}")

    reader = StoreReader(store, on_problem=on_problem)

    async def post_lineage(request: Request) -> Response:
        try:
            _check_token(request, token)
            _check_json(request)
            body = await _read_body(request, max_body)
            # The locked append happens before the answer: a 201 means the events are in the log.
            if len(body) <= INLINE_BODY:
                # A small body is parsed, mapped and appended here: a hop to a worker thread
                # costs more than that work, and that thread and this loop fight for the GIL.
                result = ingestor.ingest(body)
            else:  # a big batch in a thread, so the loop keeps serving meanwhile
                result = await run_in_threadpool(ingestor.ingest, body)
        except _Refused as refused:
            return _error(refused.status, refused.message, refused.headers)
        except BadEvents as exc:
            return _error(400, str(exc), problems=exc.problems)
        except (LineageFileError, StoreError) as exc:  # the store cannot be appended to: the client may retry
            say(f"error: {exc}")
            return _error(503, str(exc))
        return _json(
            {
                "received": result.read,
                "appended": result.appended,
                "duplicates": result.duplicates,
                "ignored": result.ignored,
            },
            201,
        )

    async def get_read(request: Request) -> Response:
        name = request.path_params["name"]
        if request.url.path == LINEAGE_PATH:  # the write route, reached by GET
            return _error(405, "POST OpenLineage events here; reads are GET /api/v1/NAME?artifact=ID.")
        if name not in ARTIFACT_READS and name not in STORE_READS:
            known = ", ".join(sorted([*ARTIFACT_READS, *STORE_READS]))
            return _error(404, f"there is no read named {name!r}; the reads are {known}.")
        try:
            document = await run_in_threadpool(reader.read, name, _params(request))
        except LineageError as exc:
            return _read_error(exc, say)
        return _json(document)

    async def get_page(request: Request) -> Response:
        try:
            page = await run_in_threadpool(reader.page, _params(request))
        except LineageError as exc:
            return _read_error(exc, say)
        return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    async def http_error(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        messages = {404: "there is no such route", 405: "this route does not take that method"}
        message = messages.get(status, "the request was refused")
        return _error(status, f"{message}; see README, 'lineage serve'.")

    def guarded(handler: Handler) -> Handler:
        # Starlette's own 500 handler re-raises for the server to log a traceback; a bug here
        # is one line in the server's log and one sentence to the client instead.
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                say(f"error: unexpected {type(exc).__name__} answering {request.url.path}: {exc}")
                return _error(500, f"the server failed unexpectedly ({type(exc).__name__}); see its log.")

        return run

    app = _App(
        routes=[
            Route(LINEAGE_PATH, guarded(post_lineage), methods=["POST"]),
            Route("/api/v1/{name}", guarded(get_read), methods=["GET"]),
            Route("/", guarded(get_page), methods=["GET"]),
            Route("/view", guarded(get_page), methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
        middleware=[Middleware(_AnsweredAlready)],
    )
    app.post_events = guarded(post_lineage)
    return app
