"""Connecting to a PostgreSQL store: the driver on demand, timeouts, a masked name, one-sentence errors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from lineage_cli.errors import InputError

if TYPE_CHECKING:
    import psycopg

__all__ = ["CONNECT_TIMEOUT", "STATEMENT_TIMEOUT_MS", "StoreError", "connect", "describe", "driver", "mask"]

CONNECT_TIMEOUT: Final = 5
"""Seconds to wait for a server (a host that accepts TCP but never answers would block forever)."""

STATEMENT_TIMEOUT_MS: Final = 0
"""No limit for commands (a full build may run for minutes); the recorder's shipper sets its own."""

INSTALL_HINT: Final = "Install it with: pip install 'lineage-cli[postgres]'."


class StoreError(InputError):
    """A PostgreSQL store that cannot be used as asked: unreachable, refused, missing, too new, read-only.

    ``lasting`` is true when trying again later will not help (a refused login, a read-only
    role, a missing database, a newer schema), false for a server that could not be reached.
    """

    lasting = True


_PASSWORD_IN_NETLOC = re.compile(r"^(?P<head>[a-z]+://[^:/@?#]*):[^@/?#]*@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(?P<key>(?:^|[?&\s])password=)(?:'[^']*'|[^&\s]*)", re.IGNORECASE)


def mask(location: str) -> str:
    """``location`` with any password replaced by ``***``: the only form that may be shown.

    Examples
    --------
    >>> mask("postgresql://ci:s3cret@db.example/lineage?sslmode=require")
    'postgresql://ci:***@db.example/lineage?sslmode=require'
    >>> mask("postgresql:///lineage?host=/tmp&password=s3cret")
    'postgresql:///lineage?host=/tmp&password=***'
    """
    masked = _PASSWORD_IN_NETLOC.sub(lambda m: f"{m['head']}:***@", location)
    return _PASSWORD_PARAM.sub(lambda m: f"{m['key']}***", masked)


def driver() -> Any:
    """The ``psycopg`` module, or a one-sentence error saying what to install.

    Examples
    --------
    >>> driver().__name__
    'psycopg'
    """
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "A postgresql:// store needs the psycopg driver, which is not installed.", hint=INSTALL_HINT
        ) from None
    return psycopg


def describe(location: str, exc: BaseException) -> StoreError:
    """One sentence for a database error: what went wrong with which store (password masked), what to do.

    Examples
    --------
    >>> print(describe("postgresql://u:pw@h/db", OSError('FATAL:  database "db" does not exist')))
    The PostgreSQL store postgresql://u:***@h/db does not exist (database missing). Create it ...
    """
    name = mask(location)
    text = str(exc).strip()
    lowered = text.lower()
    code = getattr(getattr(exc, "diag", None), "sqlstate", None) or getattr(exc, "sqlstate", None)
    if "does not exist" in lowered and "database" in lowered:
        return StoreError(
            f"The PostgreSQL store {name} does not exist (database missing).",
            hint="Create it (createdb NAME) or fix the URL.",
        )
    if "password authentication failed" in lowered or "no password supplied" in lowered or code == "28P01":
        return StoreError(
            f"The PostgreSQL store {name} refused the login (wrong or missing password).",
            hint="Check the user and password in the URL, PGPASSWORD, ~/.pgpass or the service file.",
        )
    if code == "25006" or "read-only transaction" in lowered or "during recovery" in lowered:
        return StoreError(
            f"The PostgreSQL store {name} is read-only (a read replica, or a read-only server setting),"
            " so it may be queried but not recorded into or built.",
            hint="Record and build against the primary (LINEAGE_STORE); name replicas in LINEAGE_STORE_READ.",
        )
    if code == "42501" or "permission denied" in lowered:
        return StoreError(
            f"The PostgreSQL store {name} is read-only for this role (it may query but not record or build).",
            hint="Record and build with a role that may write, on the primary server.",
        )
    if "authentication" in lowered or code in ("28000",):
        return StoreError(
            f"The PostgreSQL store {name} refused the connection ({_first_line(text, location)}).",
            hint="Check pg_hba.conf and the role's login rights.",
        )
    unreachable = StoreError(
        f"Cannot reach the PostgreSQL store {name} ({_first_line(text, location)}).",
        hint="Check that the server is running and the host, port and sslmode in the URL are right.",
    )
    unreachable.lasting = False
    return unreachable


def _first_line(text: str, location: str) -> str:
    """The server's or libpq's first line, with anything that may carry the URL's password masked."""
    line = text.splitlines()[0] if text else "no answer"
    line = line.replace(location, mask(location))
    password = re.match(r"^[a-z]+://[^:/@?#]*:([^@/?#]*)@", location, re.IGNORECASE)
    if password and password.group(1):
        line = line.replace(password.group(1), "***")
    return line.rstrip(".")


def connect(
    location: str, *, autocommit: bool = False, timeout: float = CONNECT_TIMEOUT
) -> psycopg.Connection[Any]:
    """Open a connection with a connect timeout; any failure is one :class:`StoreError` sentence.

    Credentials come from the URL or from libpq (``PGPASSWORD``, ``~/.pgpass``, ``PGSERVICE``),
    and TLS settings (``sslmode`` and friends) pass through unchanged.
    """
    psycopg = driver()
    try:
        return psycopg.connect(  # type: ignore[no-any-return]
            location, autocommit=autocommit, connect_timeout=max(1, round(timeout))
        )
    except psycopg.Error as exc:
        raise describe(location, exc) from None
    except ValueError as exc:  # a malformed URL (psycopg.conninfo rejects it before connecting)
        raise StoreError(
            f"The PostgreSQL store URL {mask(location)} is not valid ({_first_line(str(exc), location)}).",
            hint="Write it as postgresql://USER@HOST:PORT/DATABASE?sslmode=require.",
        ) from None
