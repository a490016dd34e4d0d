"""Atomic file writes: a temp file beside the target, fsync, then os.replace."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from lineage_cli.errors import InputError

__all__ = ["write_atomic", "write_output"]


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

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.json"
    >>> write_atomic(target, b"{}")
    >>> target.read_bytes()
    b'{}'
    """
    target = Path(path)
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
    with contextlib.suppress(OSError):  # some filesystems refuse to open directories
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_output(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file the user named (``--output``) atomically; a failure is one clear sentence.

    Raises
    ------
    InputError
        When the file cannot be written (a missing permission, a file where a directory
        should be), naming the file and the reason.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.json"
    >>> write_output(target, b"{}")
    >>> write_output(target / "inside-a-file.json", b"{}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lineage_cli.errors.InputError: Cannot write .../out.json/inside-a-file.json: ... Check the path.
    """
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror}.", hint="Check the path.") from None
