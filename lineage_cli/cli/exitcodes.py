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
    NOT_EXECUTABLE = 126
    NOT_FOUND = 127
    INTERRUPTED = 130
    BROKEN_PIPE = 141


EXIT_CODE_TABLE: dict[ExitCode, str] = {
    ExitCode.OK: "Success.",
    ExitCode.NEGATIVE: (
        "A negative answer that scripts test for: no path, critical artifacts affected under "
        "`--fail-on-critical`, validation errors, stale artifacts, and `status` finding what "
        "`--fail-on` names (stale, failed or in-progress artifacts by default)."
    ),
    ExitCode.USAGE: (
        "Usage error or bad input: unknown option, missing or malformed file, "
        "unknown artifact id (close matches are suggested), ambiguous short name (the candidates "
        "are listed), selector syntax error (a caret marks the column), naive timestamp."
    ),
    ExitCode.NOT_EXECUTABLE: "`lineage run`: the command cannot be executed (as in a shell).",
    ExitCode.NOT_FOUND: (
        "`lineage run`: the command was not found (as in a shell). Otherwise `lineage run` exits "
        "with its command's own status."
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
