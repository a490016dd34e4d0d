"""Exceptions of the lineage core: each carries the data a caller needs and says what to do next."""

from __future__ import annotations

from collections.abc import Sequence


class LineageError(Exception):
    """Base class for every error the lineage core raises on purpose.

    The message is one sentence that names the file, position or artifact and
    says what to do. ``hint`` is an optional follow-up sentence.

    Examples
    --------
    >>> str(LineageError("graph.json is empty.", hint="Run `lineage build` first."))
    'graph.json is empty. Run `lineage build` first.'
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class InputError(LineageError):
    """Bad input: a missing, unreadable or malformed file, or a bad value."""


class LineageFileError(InputError):
    """A lineage file (or event log) that cannot be read or parsed.

    Attributes
    ----------
    path:
        The file's name as the user gave it (``<stdin>`` for ``-``).
    line, column:
        1-based position of the problem, when known.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column
        where = path
        if line is not None:
            where += f", line {line}"
            if column is not None:
                where += f", column {column}"
        sentence = problem if problem.endswith((".", "?", "!")) else problem + "."
        super().__init__(f"{where}: {sentence}", hint=hint)


class UnknownArtifactError(InputError):
    """An artifact id that is not in the graph; carries close matches.

    Examples
    --------
    >>> e = UnknownArtifactError("rawdata", ["raw-data"])
    >>> e.suggestions
    ['raw-data']
    >>> str(e)
    "Unknown artifact 'rawdata'. Did you mean 'raw-data'?"
    """

    def __init__(self, artifact_id: str, suggestions: Sequence[str] = ()) -> None:
        self.artifact_id = artifact_id
        self.suggestions = list(suggestions)
        if self.suggestions:
            hint = "Did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        else:
            hint = "List known artifacts with `lineage export --format json` or check the id."
        super().__init__(f"Unknown artifact {artifact_id!r}.", hint=hint)


class TimestampError(InputError):
    """A timestamp that is not ISO-8601 or has no timezone."""


class UsageError(LineageError):
    """A request that cannot be carried out as asked (conflicting or out-of-range options)."""
