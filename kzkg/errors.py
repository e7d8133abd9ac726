"""One error hierarchy for the library: what can go wrong, located where a user can fix it.

Every failure the library expects (input it cannot read, data with violations, no build yet, a
bad query, a full disk) is a :class:`KzkgError`. Each carries where it happened — the file, the
entry and, for YAML, the line and column — and prints as one line in the corpus's own
``file:line:col: entry: problem`` form. The CLI turns any of them into that line on stderr and
the documented exit code in one place (:class:`kzkg.cli.KzkgGroup`), as sqlite-utils and pyshacl
do, so no command needs its own try/except and no user sees a traceback.

The classes say *what kind* of failure it is; which exit code a kind gets is the CLI's contract
and lives with the CLI (``kzkg.cli.EXIT_CODES``).
"""

from __future__ import annotations

from collections.abc import Sequence


def locate(
    file: str | None = None, line: int | None = None, column: int | None = None, entry: str | None = None
) -> str:
    """``file:line:col: entry`` with whatever parts are known (lines and columns counted from 1)."""
    where = str(file or "")
    if file and line is not None:
        where += f":{line}" + (f":{column}" if column is not None else "")
    if entry:
        where = f"{where}: {entry}" if where else entry
    return where


class KzkgError(Exception):
    """Something the library expected could go wrong, described in one line.

    ``message`` is the problem; ``file``, ``line``, ``column`` and ``entry`` say where, and are
    kept separately so callers (and tests) need not parse the text.
    """

    def __init__(
        self,
        message: str,
        *,
        file: object = None,
        entry: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.message = message
        self.file = str(file) if file is not None else None
        self.entry = entry
        self.line = line
        self.column = column
        super().__init__(message)

    def __str__(self) -> str:
        where = locate(self.file, self.line, self.column, self.entry)
        return f"{where}: {self.message}" if where else self.message


class InputError(KzkgError):
    """The input cannot be read at all: a missing folder, a file that is not UTF-8 or not valid
    YAML, an article path that is not a readable file. Nothing was checked; fix the file first."""


class OutputError(KzkgError):
    """The build could not write its release (a full disk, a file-size limit, a read-only folder).
    The served release is untouched and the half-written one is removed."""


class BuildLocked(KzkgError):
    """Another build holds the build directory's lock; two builds at once would race on it."""


class BuildInterrupted(KzkgError):
    """A signal (SIGTERM, SIGINT) stopped the build; its staging folder was removed."""


class DataViolations(KzkgError):
    """The data was read but breaks a rule; nothing was published. ``details`` lists every problem
    (one ``file: entry: problem`` line each), so a curator fixes them all in one pass."""

    def __init__(self, message: str, details: Sequence[str] = (), **where: object):
        super().__init__(message, **where)  # type: ignore[arg-type]
        self.details = list(details)


class NoBuildError(KzkgError):
    """The build directory has no published release yet (run ``kzkg build``)."""


class QueryError(KzkgError):
    """The query is malformed, its file cannot be read, or the endpoint refused it."""


class QueryCrashed(QueryError):
    """The query engine died while running the query (a signal, a stack overflow, an engine panic).
    It ran in a child process, so only the child died and the message names the cause."""


class ValidationCrashed(KzkgError):
    """The SHACL validation process died without a verdict; nothing was published."""
