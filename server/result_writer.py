"""Write a query result in the negotiated format, counting rows or triples and refusing past the limit.

Used by the executor children (pyoxigraph's own results) and by the remote-store backend (the
results it parses back from the store's answer), so both backends count and refuse in one place.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from .media import BY_MEDIA_TYPE
from .query_errors import QueryFailed, ResultTooLarge


class _TooMany(Exception):
    """Raised from inside a serialiser's write() to abandon an evaluation past the limit."""


class _CountingSink(io.BytesIO):
    """A write target for pyoxigraph's serialisers that counts results and stops past a limit.

    TSV results and N-Triples write exactly one line per row / triple (line breaks inside
    literals are escaped), so counting b"\\n" counts them; SPARQL XML results open every row with
    ``<result>``, which cannot occur inside a value (``<`` is always escaped there), so counting
    that marker — across write() boundaries — counts rows in a format whose parser, unlike TSV's
    and N-Triples', takes values of any size (both stop at 16 MiB per line).

    A BytesIO (not a bare RawIOBase) because that is the binary file pyoxigraph's ``serialize(output=...)``
    is typed to take, and it keeps the written bytes for ``getvalue()``.
    """

    def __init__(self, max_count: int, marker: bytes = b"\n"):
        super().__init__()
        self.max_count = max_count
        self.marker = marker
        self.count = 0
        self._tail = b""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        chunk = bytes(data)
        if len(self.marker) == 1:
            self.count += chunk.count(self.marker)
        else:  # a marker split between two writes is counted once, in the joined bytes
            self.count += (self._tail + chunk).count(self.marker)
            self._tail = (self._tail + chunk)[-(len(self.marker) - 1) :]
        if self.count > self.max_count:
            raise _TooMany(self.count)
        return super().write(chunk)

    @property
    def lines(self) -> int:
        return self.count


def in_memory(body: bytes | None) -> bytes:
    """pyoxigraph's ``serialize()`` is typed ``bytes | None``: None only when it wrote to an ``output``,
    which these calls never pass, so None here is a broken invariant, not bad input."""
    if body is None:
        raise RuntimeError("pyoxigraph serialize() without an output returned None")
    return body


def serialise(result: Any, media_type: str, max_results: int, prefixes: Mapping[str, str]) -> tuple[bytes, int | None]:
    """Write a query result in the negotiated format, refusing more than max_results results.

    ``result`` is what pyoxigraph's ``Store.query`` returns, or what ``parse_query_results`` /
    ``parse`` make of a remote store's answer (a QuadParser of triples for a graph): the remote
    backend reuses this function, so both backends count and refuse in one place.

    Nothing is parsed back from a format whose parser caps a line at 16 MiB (TSV, N-Triples):
    rows go out as TSV directly, or through SPARQL XML (counted by its ``<result>`` markers);
    triples are counted as they are read and serialised from the list, so a single value of any
    size is written in every format.
    """
    media = BY_MEDIA_TYPE[media_type]
    if isinstance(result, ox.QueryBoolean):
        if media.results is None:
            raise QueryFailed(f"an ASK query cannot be answered as {media_type}")
        return in_memory(result.serialize(format=media.results)), None
    if isinstance(result, ox.QuerySolutions):
        if media.results is None:
            raise QueryFailed(f"a SELECT query cannot be answered as {media_type}")
        if not result.variables:  # no variables: at most a handful of empty rows, size bounded by the query
            return in_memory(result.serialize(format=media.results)), None
        if media.results == ox.QueryResultsFormat.TSV:
            sink = _CountingSink(max_results + 1)  # header line + rows
            via = ox.QueryResultsFormat.TSV
        else:
            sink = _CountingSink(max_results, b"<result>")
            via = ox.QueryResultsFormat.XML
        try:
            result.serialize(sink, format=via)
        except _TooMany:
            raise ResultTooLarge(too_many_message(max_results, "rows")) from None
        body = sink.getvalue()
        rows = sink.count - 1 if via == ox.QueryResultsFormat.TSV else sink.count
        if media.results == via:
            return body, rows
        return in_memory(ox.parse_query_results(body, format=via).serialize(format=media.results)), rows
    if isinstance(result, (ox.QueryTriples, ox.QuadParser)):
        if media.rdf is None:
            raise QueryFailed(f"a CONSTRUCT or DESCRIBE query cannot be answered as {media_type}")
        if isinstance(result, ox.QueryTriples) and media.rdf == ox.RdfFormat.N_TRIPLES:
            sink = _CountingSink(max_results)
            try:
                result.serialize(sink, format=ox.RdfFormat.N_TRIPLES)
            except _TooMany:
                raise ResultTooLarge(too_many_message(max_results, "triples")) from None
            return sink.getvalue(), sink.count
        triples: list[ox.Triple] = []
        for item in result:
            triples.append(item.triple if isinstance(item, ox.Quad) else item)
            if len(triples) > max_results:
                raise ResultTooLarge(too_many_message(max_results, "triples"))
        return in_memory(ox.serialize(triples, format=media.rdf, prefixes=dict(prefixes) or None)), len(triples)
    raise QueryFailed(f"unexpected result type {type(result).__name__}")


def too_many_message(limit: int, what: str) -> str:
    return (
        f"result too large: the query produces more than {limit} {what}, the limit of this endpoint. "
        f"Add a LIMIT (at most {limit}) or narrow the pattern; use ORDER BY with LIMIT/OFFSET to page."
    )
