"""The errors a SPARQL query can end in, each with the HTTP status the endpoint answers it with.

One hierarchy for both backends: the executor children raise them (and send them back over the pipe,
pickled), the remote-store backend raises the same ones, and the endpoint turns any of them into its
status and message in one place.
"""

from __future__ import annotations

from typing import Any


class QueryError(Exception):
    """A query that could not be answered; ``status`` is the HTTP status to report it with."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    status = 400


class ResultTooLarge(QueryError):
    status = 400


class QueryRejected(QueryError):
    """pyoxigraph parsed the query but would not evaluate it (e.g. an unknown extension function)."""

    status = 400


class QueryFailed(QueryError):
    status = 500


class QueryRefused(QueryError):
    """An update, or a SERVICE call this endpoint does not make."""

    status = 403


class NotAcceptable(QueryError):
    """No response type the client accepts fits the query's form; ``what`` names the form (the
    parent, which knows the request's Accept header, writes the 406)."""

    status = 406

    def __init__(self, message: str, what: str, kind: str):
        super().__init__(message)
        self.what = what
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        return (NotAcceptable, (self.message, self.what, self.kind))


class ProcessDied(QueryFailed):
    """The query process died while running the query (signal, engine panic, stack overflow)."""


class MemoryLimit(QueryFailed):
    """The query ran out of memory under the configured limit."""


class ServiceFailed(QueryError):
    status = 502


class QueryTimeout(QueryError):
    status = 503


class ExecutorBusy(QueryError):
    status = 503


class NeedsFederation(QueryError):
    """A sealed child read allow-listed SERVICE calls in the query: run it in a federation child."""

    status = 500
