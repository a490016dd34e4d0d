"""The one table of exit codes, and the one map from exceptions to them."""

from __future__ import annotations

from enum import IntEnum

from lineage_cli.errors import LineageError

__all__ = ["EXIT_CODE_TABLE", "ExitCode", "exit_code_for"]


class ExitCode(IntEnum):
    """Process exit codes; the README's table is checked against this enum by a test."""

    OK = 0
    NEGATIVE = 1
    USAGE = 2
    INTERRUPTED = 130
    BROKEN_PIPE = 141


EXIT_CODE_TABLE: dict[ExitCode, str] = {
    ExitCode.OK: "Success.",
    ExitCode.NEGATIVE: (
        "A negative answer that scripts test for: no path, critical artifacts affected under "
        "`--fail-on-critical`, validation errors, stale artifacts."
    ),
    ExitCode.USAGE: (
        "Usage error or bad input: unknown option, missing or malformed file, "
        "unknown artifact id (close matches are suggested), ambiguous short name (the candidates "
        "are listed), selector syntax error (a caret marks the column), naive timestamp."
    ),
    ExitCode.INTERRUPTED: "Interrupted (Ctrl-C).",
    ExitCode.BROKEN_PIPE: "The reader of stdout went away (for example `| head`); output was cut short.",
}


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to its exit code: the only place where this mapping lives."""
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, BrokenPipeError):
        return ExitCode.BROKEN_PIPE
    if isinstance(error, OSError):
        # A file system failure no core function anticipated (full disk, a path of the wrong kind).
        return ExitCode.USAGE
    if isinstance(error, LineageError):
        # Every deliberate core error is bad input or a request that cannot be met as asked.
        return ExitCode.USAGE
    raise TypeError(f"no exit code for {type(error).__name__}") from error
