"""Start ``lineage serve``: refuse an open door, bind the socket, and run the app under uvicorn."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from collections.abc import Callable
from typing import Final

from lineage_cli.errors import UsageError
from lineage_cli.serve.app import DEFAULT_MAX_BODY, LINEAGE_PATH, create_app
from lineage_cli.store.base import Store

__all__ = ["GRACE_SECONDS", "bind", "check_exposure", "is_loopback", "run_server"]

GRACE_SECONDS: Final = 30
"""On SIGTERM or Ctrl-C, requests in flight get this long to finish before the server stops."""


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (``localhost``, 127.x, ``::1``).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("")
    (True, True, False, False)
    """
    if not host:
        return False  # an empty host listens on every interface
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token: anyone who can reach it could write.

    Examples
    --------
    >>> check_exposure("127.0.0.1", None)
    >>> check_exposure("0.0.0.0", None)
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UsageError: --host '0.0.0.0' listens beyond this machine, ...
    """
    if token is None and not is_loopback(host):
        raise UsageError(
            f"--host {host!r} listens beyond this machine, so anyone who can reach it could write "
            "to the store; refusing to start without a token.",
            hint="Pass --token TOKEN (or set LINEAGE_TOKEN), or listen on 127.0.0.1.",
        )
    if token is not None and not token.strip():
        raise UsageError("the token is empty.", hint="Pass a long random --token, or unset LINEAGE_TOKEN.")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (``port`` 0 picks a free one), or a clear error.

    Examples
    --------
    >>> sock = bind("127.0.0.1", 0)
    >>> sock.getsockname()[1] > 0
    True
    >>> sock.close()
    """
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a TCP port (0-65535).")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"--host {host!r} is not an address of this machine ({exc}).") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use.",
                hint="Pass another --port, or stop the other server.",
            ) from None
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}).") from None
    sock.set_inheritable(True)
    return sock


def run_server(
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    token: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    assume_utc: bool = False,
    log: Callable[[str], None] | None = None,
) -> None:
    """Serve ``store`` over HTTP until SIGTERM or Ctrl-C, then finish the requests in flight.

    An event is appended to the log (a locked append) before its request is answered, so a
    graceful stop loses no accepted event; a request cut off by the stop got no 2xx, and the
    OpenLineage client sends it again (a resend adds nothing).

    Parameters
    ----------
    store:
        The store to append to and answer from.
    host, port:
        Where to listen. Beyond loopback a ``token`` is required.
    token:
        Writes need ``Authorization: Bearer TOKEN``.
    max_body:
        The largest request body accepted, in bytes.
    assume_utc:
        Read an ``eventTime`` without a timezone as UTC.
    log:
        Called with one line when the server is listening and for each problem.
    """
    import uvicorn

    check_exposure(host, token)
    say = log or (lambda _line: None)
    sock = bind(host, port)
    app = create_app(store, token=token, max_body=max_body, assume_utc=assume_utc, log=say)
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    writes = "writes need the token" if token else "open to this machine only"
    address = f"http://{shown}:{bound_port}{LINEAGE_PATH}"
    say(f"lineage serve: {address} -> {store.location} ({writes}); Ctrl-C stops.")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
