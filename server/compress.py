"""gzip for responses that benefit: HTML, JSON, SPARQL results, RDF, scripts and styles over ~1 kB.

A WSGI middleware, outermost, so that it also compresses what the fast path (``fastcache.FastCache``)
answers in front of Flask and the static files (YASGUI's script, the largest, shrinks to a third or so).

Why not compress everything: bodies under a kilobyte gain nothing, archives and images are
compressed already, partial (Range) and streamed bodies of unknown length would have to be held
in memory. A gzipped body is a different representation of the resource, so its ETag gets a
``-gz`` suffix (RFC 9110 §8.8.3: a strong validator must change with the content coding) and
``If-None-Match`` loses the suffix on its way in, so the application's own 304 logic still works.
Dumps are offered gzipped as files (``kzkg.nt.gz``…, written by the build) rather than compressed
per download.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.http import parse_accept_header

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]

COMPRESSIBLE = re.compile(
    r"^(text/[^;]+|application/(json|javascript|xml|ld\+json|n-triples|n-quads|trig|rdf\+xml|sparql-results\+json"
    r"|sparql-results\+xml|[^;]*\+json|[^;]*\+xml)|image/svg\+xml)\s*(;.*)?$",
    re.IGNORECASE,
)
_ETAG_SUFFIX = "-gz"


def _etag_gz(value: str) -> str:
    """``"abc"`` -> ``"abc-gz"``, ``W/"abc"`` -> ``W/"abc-gz"``."""
    return re.sub(r'"$', f'{_ETAG_SUFFIX}"', value.strip()) if value.strip().endswith('"') else value


def _strip_gz(value: str) -> str:
    return value.replace(f'{_ETAG_SUFFIX}"', '"')


class Gzip:
    """Compress a response when the client accepts gzip and the body is compressible and of known,
    moderate size (``minimum`` to ``maximum`` bytes)."""

    def __init__(
        self,
        app: Callable[[dict, StartResponse], Iterable[bytes]],
        minimum: int = 1024,
        maximum: int = 16_000_000,
        level: int = 6,
        skip_prefixes: tuple[str, ...] = ("/dumps/",),
    ):
        self.app = app
        self.minimum = minimum
        self.maximum = maximum
        self.level = level
        # Dump files are sent from disk (sendfile) and offered gzipped as files already: compressing
        # each download again would cost CPU per request for what a `.gz` link gives for free.
        self.skip_prefixes = skip_prefixes

    @staticmethod
    def accepts_gzip(environ: dict) -> bool:
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING", ""))
        return accept.quality("gzip") > 0 or ("*" in accept.values() and accept.quality("gzip") > 0)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if (
            not self.accepts_gzip(environ)
            or environ.get("REQUEST_METHOD") not in ("GET", "POST")
            or environ.get("PATH_INFO", "").startswith(self.skip_prefixes)
        ):
            return self.app(environ, self._add_vary(start_response))
        sent_tags = environ.get("HTTP_IF_NONE_MATCH", "")
        if sent_tags:
            environ["HTTP_IF_NONE_MATCH"] = _strip_gz(sent_tags)
        captured: dict[str, Any] = {}
        written: list[bytes] = []

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return written.append

        body = self.app(environ, capture)
        if not captured:  # a generator that starts the response on its first item
            first = next(iter(body), b"")
            body = _chain([first], body)
        status, headers = captured["status"], list(captured["headers"])
        if not self._worth_it(status, headers):
            if status.startswith("304"):
                # Not modified: name the representation the client holds (gzipped if it sent that tag).
                headers = [
                    (k, _etag_gz(v) if k.lower() == "etag" and _etag_gz(v) in sent_tags else v) for k, v in headers
                ]
            start_response(status, self._vary(headers), captured["exc_info"])
            return _chain(written, body)
        try:
            raw = b"".join(written) + b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        packed = gzip.compress(raw, compresslevel=self.level, mtime=0)
        out = [(k, v) for k, v in headers if k.lower() not in ("content-length", "etag", "accept-ranges")]
        out += [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))]
        out += [("ETag", _etag_gz(v)) for k, v in headers if k.lower() == "etag"]
        start_response(status, self._vary(out))
        return [packed]

    def _worth_it(self, status: str, headers: Headers) -> bool:
        if not status.startswith("200"):
            return False
        found = {k.lower(): v for k, v in headers}
        if "content-encoding" in found or not COMPRESSIBLE.match(found.get("content-type", "")):
            return False
        try:
            length = int(found.get("content-length", ""))
        except ValueError:
            return False  # streamed, of unknown length: passed through as it comes
        return self.minimum <= length <= self.maximum

    @staticmethod
    def _vary(headers: Headers) -> Headers:
        """Caches must keep the gzipped and the plain answer apart."""
        for i, (key, value) in enumerate(headers):
            if key.lower() == "vary":
                if "accept-encoding" not in value.lower() and value.strip() != "*":
                    headers[i] = (key, f"{value}, Accept-Encoding")
                return headers
        headers.append(("Vary", "Accept-Encoding"))
        return headers

    def _add_vary(self, start_response: StartResponse) -> StartResponse:
        def start(status: str, headers: Headers, exc_info: Any = None) -> Any:
            found = {k.lower(): v for k, v in headers}
            if COMPRESSIBLE.match(found.get("content-type", "")):
                headers = self._vary(list(headers))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return start


def _chain(first: Iterable[bytes], rest: Iterable[bytes]) -> Iterator[bytes]:
    """The buffered start and the rest of a body, closing the application's iterable at the end
    (WSGI requires ``close`` to be called; a generator wrapper alone would lose it)."""
    try:
        yield from first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()
