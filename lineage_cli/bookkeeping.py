"""The recorder's bookkeeping: path ids normalised, content hashed, provenance filled in, typos caught.

Each piece is cheap on the recording path: hashing reads only what the caller asked to hash,
the provenance (host, Python, git commit) is computed once per process, and the check of
unknown inputs is a dictionary lookup, with a fuzzy match only while few ids are known.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import platform
import posixpath
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "AutoProvenance",
    "InputChecker",
    "auto_provenance",
    "content_version",
    "hash_path",
    "is_path_like",
    "normalise_id",
    "normalise_ids",
]

_CHUNK: Final = 1 << 20
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
"""A URI scheme or a prefix such as ``model:``: such ids are names, never paths."""
VERSION_DIGITS: Final = 16
"""A content version is the first 16 hex digits of the SHA-256 (the full digest goes into metadata)."""


def is_path_like(artifact_id: str | os.PathLike[str]) -> bool:
    """Whether an id names a file.

    An ``os.PathLike`` does; so does text with no scheme that has a ``/`` or a leading ``.``,
    or that is the name of a file that exists here.

    Examples
    --------
    >>> is_path_like("./out/x.csv"), is_path_like("dim_customer"), is_path_like("s3://b/k")
    (True, False, False)
    """
    if not isinstance(artifact_id, str):
        return True
    if not artifact_id or _SCHEME.match(artifact_id):
        return False
    return "/" in artifact_id or artifact_id.startswith(".") or os.path.exists(artifact_id)


@functools.lru_cache(maxsize=64)
def _relation(here: str, root: str) -> tuple[str | None, str | None]:
    """Where ``here`` and ``root`` stand to each other.

    ``(here relative to root, None)`` when ``here`` is inside ``root`` (``""``: equal);
    ``(None, root relative to here)`` when ``root`` is below ``here``; else ``(None, None)``.
    """
    base = os.path.normpath(os.path.abspath(root))
    if here == base:
        return "", None
    if here.startswith(base.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(here, base)).as_posix(), None
    if base.startswith(here.rstrip(os.sep) + os.sep):
        return None, Path(os.path.relpath(base, here)).as_posix()
    return None, None


def _is_clean(text: str) -> bool:
    """Whether a relative path is already normal (no ``.``/``..`` parts, no doubled or trailing ``/``)."""
    return not (
        text.startswith(("/", "./", "../"))
        or text in (".", "..")
        or "//" in text
        or "/./" in text
        or "/../" in text
        or text.endswith(("/", "/.", "/.."))
        or os.sep != "/"
    )


def normalise_id(
    artifact_id: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    here: str | None = None,
) -> str:
    """The id one file always gets: ``./out/x.csv``, ``out//x.csv`` and ``Path("out/x.csv")`` agree.

    A path-like id (see :func:`is_path_like`) is normalised and, when it lies inside ``root``
    (the store's project directory), made relative to ``root``, with ``/`` separators, so
    recording from a subdirectory names the same artifact. Other ids are returned unchanged.
    ``here`` is the working directory (looked up when not given); an already clean relative
    path takes a fast path, because a job records thousands of them.

    Examples
    --------
    >>> from pathlib import PurePosixPath
    >>> normalise_id("./out//x.csv", root=os.getcwd()), normalise_id(PurePosixPath("out/x.csv"))
    ('out/x.csv', 'out/x.csv')
    >>> normalise_id("/srv/p/raw/a.csv", root="/srv/p"), normalise_id("/etc/hosts", root="/srv/p")
    ('raw/a.csv', '/etc/hosts')
    >>> normalise_id("warehouse://db/t")
    'warehouse://db/t'
    """
    if type(artifact_id) is str and "/" in artifact_id and root is not None:
        # The common case (a job's path ids), decided by the text alone: cached whole.
        return _normalise_slashed(artifact_id, os.fspath(root), here or os.getcwd())
    text = os.fspath(artifact_id)
    if not isinstance(text, str):
        raise TypeError(f"an artifact id must be text or a path, not {type(text).__name__}")
    if not is_path_like(artifact_id):
        return text
    if root is None:
        return posixpath.normpath(text.replace(os.sep, "/")) if text else text
    return _normalise_path(text, os.fspath(root), here or os.getcwd())


@functools.lru_cache(maxsize=16_384)
def _normalise_slashed(text: str, root: str, here: str) -> str:
    """:func:`normalise_id` for text with a ``/``: a name with a scheme, or a path."""
    return text if _SCHEME.match(text) else _normalise_path(text, root, here)


def _normalise_path(text: str, root: str, here: str) -> str:
    """:func:`normalise_id` for a path id: cached, as a job names the same inputs again and again."""
    if _is_clean(text):
        prefix, below = _relation(here, os.fspath(root))
        if prefix is not None:
            return f"{prefix}/{text}" if prefix else text
        if below is None or not (text == below or text.startswith(below + "/")):
            return text  # outside the project: kept relative, as given
    absolute = os.path.normpath(os.path.join(here, text))
    base = os.path.normpath(os.path.abspath(root))
    if absolute == base or absolute.startswith(base.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, base)).as_posix()
    return Path(absolute).as_posix() if os.path.isabs(text) else posixpath.normpath(text)


_SEEN: dict[tuple[str, str], dict[str, str]] = {}
"""Clean path ids already normalised, per (working directory, root): a job names its inputs again."""
_SEEN_LIMIT: Final = 100_000
_UNCLEAN: Final = re.compile(r"^\.{1,2}(/|$)|^/|//|/\.{1,2}(/|$)|/$")
"""A relative path that :func:`normalise_id` would change (``./``, ``..``, ``//``, a trailing ``/``)."""


def normalise_ids(ids: Iterable[object], root: str | None, here: str | None = None) -> list[object]:
    """:func:`normalise_id` for many ids at once (non-ids are passed through for the caller to reject).

    The common case, a clean relative path recorded from inside the project, costs two regular
    expression tests and no system call: a job records tens of thousands of them.

    Examples
    --------
    >>> normalise_ids(["out/x.csv", "./out/y.csv", "s3://b/k", 7], "/srv/p", "/srv/p/sub")
    ['sub/out/x.csv', 'sub/out/y.csv', 's3://b/k', 7]
    """
    if root is None:
        return [normalise_id(i) if isinstance(i, str | os.PathLike) else i for i in ids]
    here = here or os.getcwd()
    prefix = _relation(here, root)[0]
    lead = f"{prefix}/" if prefix else ""
    seen = _SEEN.get((here, root))
    if seen is None or len(seen) > _SEEN_LIMIT:
        seen = _SEEN[(here, root)] = {}
    result: list[object] = []
    for item in ids:
        known = seen.get(item) if type(item) is str else None
        if known is not None:
            result.append(known)
        elif (
            prefix is not None
            and type(item) is str
            and "/" in item
            and not _UNCLEAN.search(item)
            and not _SCHEME.match(item)
        ):
            result.append(seen.setdefault(item, lead + item))
        elif isinstance(item, str | os.PathLike):
            result.append(normalise_id(item, root, here))
        else:
            result.append(item)
    return result


def _hash_file(path: Path, digest: hashlib._Hash) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def hash_path(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's content (streamed), or of a directory's files, as hex.

    A directory hashes the sorted list of its files' relative paths and their own hashes, so
    renaming, adding or changing any file changes it, and nothing else (times, order) does.

    Raises
    ------
    OSError
        When the path does not exist or cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("hello")
    >>> hash_path(d / "a.txt")[:16]
    '2cf24dba5fb0a30e'
    >>> hash_path(d) == hash_path(d), len(hash_path(d))
    (True, 64)
    """
    root = Path(path)
    if not root.is_dir():
        digest = hashlib.sha256()
        _hash_file(root, digest)
        return digest.hexdigest()
    files: list[str] = []
    pending = [root]
    while pending:  # iterative walk: deep trees cannot overflow the stack
        directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file():
                    files.append(Path(entry.path).relative_to(root).as_posix())
    listing = hashlib.sha256()
    for name in sorted(files):
        file_digest = hashlib.sha256()
        _hash_file(root / name, file_digest)
        listing.update(f"{file_digest.hexdigest()}  {name}\n".encode())
    return listing.hexdigest()


def content_version(digest: str) -> str:
    """The artifact version for a content digest (its first hex digits).

    Examples
    --------
    >>> content_version("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    '2cf24dba5fb0a30e'
    """
    return digest[:VERSION_DIGITS]


@dataclass(frozen=True)
class AutoProvenance:
    """What the recorder fills in when the caller leaves it unset."""

    tool: str | None
    environment: str
    git_commit: str | None
    git_dirty: bool | None

    @functools.cached_property
    def metadata_items(self) -> tuple[tuple[str, object], ...]:
        """:meth:`metadata` as items, computed once (the recorder adds them to every record)."""
        return tuple(self.metadata().items())

    def metadata(self) -> dict[str, object]:
        """The git part, as node metadata (empty outside a git working tree)."""
        if self.git_commit is None:
            return {}
        return {"git_commit": self.git_commit, "git_dirty": bool(self.git_dirty)}


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            timeout=5,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _tool() -> str | None:
    argv = sys.argv
    if not argv or not argv[0] or argv[0] == "-c":
        return None
    name = os.path.basename(argv[0])
    return shlex.join([name, *argv[1:]]) if len(argv) > 1 else name


@functools.cache
def auto_provenance() -> AutoProvenance:
    """The tool (this script and its arguments), host and Python, and the git commit: once per process.

    Examples
    --------
    >>> p = auto_provenance()
    >>> "python " in p.environment, p is auto_provenance()
    (True, True)
    """
    commit = _git("rev-parse", "HEAD")
    dirty = None
    if commit is not None:
        status = _git("status", "--porcelain", "--untracked-files=no")
        dirty = bool(status) if status is not None else None
    return AutoProvenance(
        tool=_tool(),
        environment=f"{platform.node() or 'unknown-host'} python {platform.python_version()}",
        git_commit=commit,
        git_dirty=dirty,
    )


def _spelling(artifact_id: str) -> str:
    """A loose key: case, ``./``, separators and ``-``/``_`` do not count."""
    key = artifact_id.lower().removeprefix("./").replace("\\", "/").replace("-", "_")
    return posixpath.normpath(key) if "/." in key or "//" in key else key


class InputChecker:
    """Warns, once per id, about an input that is unknown but close to a known artifact id.

    Known ids are the artifacts recorded so far (and any ``seed`` ids). The check is a
    dictionary lookup by a loose spelling; a fuzzy match (``difflib``) runs only while fewer
    than ``fuzzy_limit`` ids are known, so it stays cheap in long jobs.

    Examples
    --------
    >>> checker = InputChecker()
    >>> checker.add("raw/orders.csv")
    >>> checker.check(["raw/Orders.csv"])
    ["input 'raw/Orders.csv' is not a known artifact; did you mean 'raw/orders.csv'?"]
    >>> checker.check(["raw/Orders.csv"]), checker.check(["raw/orders.csv"])
    ([], [])
    """

    def __init__(self, fuzzy_limit: int = 2_000) -> None:
        self._known: set[str] = set()
        self._by_spelling: dict[str, str] = {}
        self._unindexed: list[str] = []
        self._checked: set[str] = set()
        self._fuzzy_limit = fuzzy_limit
        self._lock = threading.Lock()

    def add(self, artifact_id: str) -> None:
        """Remember a recorded artifact id (indexed by spelling only when an unknown input needs it)."""
        if artifact_id not in self._known:  # set.add and list.append are atomic: no lock
            self._known.add(artifact_id)
            self._unindexed.append(artifact_id)

    def _index(self) -> None:
        with self._lock:
            pending, self._unindexed = self._unindexed, []
            for artifact_id in pending:
                self._by_spelling.setdefault(_spelling(artifact_id), artifact_id)

    def check(self, inputs: list[str]) -> list[str]:
        """The warnings for ``inputs`` not yet warned about (one sentence each).

        Each unknown input is checked once: an external source named a thousand times costs one
        lookup, not a thousand.
        """
        warnings: list[str] = []
        for source in inputs:
            if source in self._known or source in self._checked:
                continue
            with self._lock:
                if source in self._checked:
                    continue
                self._checked.add(source)
            if self._unindexed:
                self._index()
            match = self._by_spelling.get(_spelling(source))
            if match is None and len(self._known) < self._fuzzy_limit:
                close = difflib.get_close_matches(source, sorted(self._known), n=1, cutoff=0.85)
                match = close[0] if close else None
            if match is None or match == source:
                continue
            warnings.append(f"input {source!r} is not a known artifact; did you mean {match!r}?")
        return warnings
