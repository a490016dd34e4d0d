"""Ctrl-C while the CLI starts (imports, building the commands) ends with one line and exit 130."""

from __future__ import annotations

import os
import signal
from typing import Any

__all__ = ["guard", "release"]

_previous: list[Any] = []
"""The SIGINT handler to put back, while the start-up guard is installed."""


def _interrupted_while_starting(signum: int, frame: object) -> None:
    # Nothing has been read or written yet, so leave at once with the line and status a later
    # Ctrl-C gives (LineageGroup), instead of a KeyboardInterrupt traceback through importlib.
    os.write(2, b"error: interrupted.\n")
    os._exit(130)


def guard() -> None:
    """Install the start-up SIGINT handler (only the main thread may set one)."""
    if _previous:
        return
    try:
        previous = signal.signal(signal.SIGINT, _interrupted_while_starting)
    except ValueError:
        return
    _previous.append(previous if previous is not None else signal.default_int_handler)


def release() -> None:
    """Put the usual handler back: from here on Ctrl-C raises KeyboardInterrupt (cleanup runs).

    Examples
    --------
    >>> before = signal.getsignal(signal.SIGINT)  # not always the default: nohup ignores it
    >>> guard(); release()
    >>> signal.getsignal(signal.SIGINT) is before
    True
    """
    if _previous:
        signal.signal(signal.SIGINT, _previous.pop())
