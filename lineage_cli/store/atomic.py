"""Atomic file writes: a temp file beside the target, fsync, then os.replace."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from lineage_cli.errors import InputError

__all__ = ["remove_atomic", "write_atomic"]


def _file_mode(target: Path) -> int:
    """The mode a plain ``open(target, "wb")`` would leave: the existing file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)  # there is no call that only reads the umask: read it, put it back
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temp file lives in the target's directory (``os.replace`` is only atomic within
    one filesystem); the data and then the directory are fsynced so a crash after
    return cannot lose the rename.

    Raises
    ------
    InputError
        When the file cannot be written, naming it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.json"
    >>> write_atomic(target, b"{}")
    >>> target.read_bytes()
    b'{}'
    """
    target = Path(path)
    try:
        _replace(target, data)
    except OSError as exc:  # a directory in the way, a read-only or full disk: one sentence, no traceback
        raise InputError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            hint="Check the path: its directory must be writable, and it must not be a directory.",
        ) from None


def remove_atomic(path: str | os.PathLike[str]) -> None:
    """Remove ``path`` (if it exists) so that the removal survives a crash: the directory is fsynced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.json"
    >>> write_atomic(target, b"{}"); remove_atomic(target); remove_atomic(target)
    >>> target.exists()
    False
    """
    target = Path(path)
    try:
        target.unlink()
    except FileNotFoundError:
        return
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse to open directories
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _replace(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; give what open() would (an export is shared)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _sync_directory(target.parent)
