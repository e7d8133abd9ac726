"""Read every request body to its end, within its limits, before the application sees it.

Why: under gunicorn a chunked body reached Flask as a stream without a length
(``wsgi.input_terminated``), which Werkzeug 3.1 wraps in ``LimitedStream(is_max=True)``.
``request.get_data()`` reads that stream *up to* ``MAX_CONTENT_LENGTH`` and stops: the 413 is
raised only by a read after the limit, which nothing makes, so a body over the limit was cut at
the limit and the cut query ran (200). A malformed chunk size raised gunicorn's
``InvalidChunkSize`` from inside that read, which Flask answered as an HTML 500. And a body
shorter than its ``Content-Length`` (the client stopped sending) parked a server thread until
the client went away, then ran what had arrived.

So this WSGI middleware, outermost in the app, frames the body itself, the same way for every
server (gunicorn, Werkzeug's dev server, the test client):

* a ``Content-Length`` over the limit is a 413 before anything is read;
* a chunked body is read to at most limit + 1 bytes: one byte more than the limit is a 413;
* a malformed chunk (size, extension, terminator, trailer) is a 400 naming gunicorn's reason;
* a body that ends before its ``Content-Length`` is a 400; one that does not arrive within
  ``REQUEST_BODY_TIMEOUT`` seconds (the whole body, not per read) is a 408, so a slow sender
  cannot hold a server thread for longer than that;
* a body that was read completely is handed on as a plain ``Content-Length`` body (chunked
  framing removed), so Flask and Werkzeug see the same request either way and keep their own
  limit (``MAX_CONTENT_LENGTH``, and form fields with ``MAX_FORM_MEMORY_SIZE``).

Every refusal is one line of plain text. A refusal that leaves unread bytes on the connection
makes gunicorn close it (a failed body read marks it unusable; for a 413 gunicorn drains a bounded
amount or closes), so the next request on the connection is never read from the middle of a body.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

try:  # the framing errors of gunicorn's body readers, when running under gunicorn
    from gunicorn.http.errors import ParseException as _GunicornParseError
except ImportError:  # pragma: no cover - gunicorn is a dependency, but the app does not need it

    class _GunicornParseError(Exception):  # type: ignore[no-redef]
        """Stands for gunicorn's parse errors where gunicorn is not installed."""


if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Bytes asked of the server's input stream per read.
READ_STEP = 64 * 1024


class BodyRefused(Exception):
    """A body this server will not hand on; ``status`` and a one-line ``message`` for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large"}


def too_large_message(limit: int) -> str:
    """The 413 text (the endpoint's own 413 handler says the same, see kzkg_server.sparql)."""
    return f"request too large: this endpoint accepts request bodies up to {limit} bytes"


class RequestFraming:
    """WSGI middleware: read the body completely and within limits, or answer 400/408/413."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chunked = _is_chunked(environ)
        declared = environ.get("CONTENT_LENGTH") or ""
        if not chunked and declared in {"", "0"}:
            return self.wsgi_app(environ, start_response)  # no body: nothing to frame
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        timeout = float(self.app.config.get("REQUEST_BODY_TIMEOUT") or 0) or None
        try:
            body = _read_body(
                environ, None if chunked else _content_length(declared), None if limit is None else int(limit), timeout
            )
        except BodyRefused as refused:
            return _refuse(start_response, refused)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        # Werkzeug takes a request with Transfer-Encoding: chunked for a stream of unknown length
        # whatever CONTENT_LENGTH says; the body is no longer chunked.
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)


def _is_chunked(environ: WSGIEnvironment) -> bool:
    codings = [part.strip().lower() for part in environ.get("HTTP_TRANSFER_ENCODING", "").split(",")]
    return "chunked" in codings


def _content_length(declared: str) -> int:
    """The declared length; servers check it, but not every server (nor every test client) does."""
    if not declared.isdigit():
        raise BodyRefused(400, f"malformed Content-Length {declared[:40]!r}: it must be a decimal number of bytes")
    return int(declared)


def _read_body(environ: WSGIEnvironment, length: int | None, limit: int | None, timeout: float | None) -> bytes:
    """The whole body: ``length`` bytes (a Content-Length body) or up to the end of a chunked one."""
    if length is not None and limit is not None and length > limit:
        raise BodyRefused(413, too_large_message(limit))
    wanted = length if length is not None else (None if limit is None else limit + 1)
    stream = environ["wsgi.input"]
    sock = environ.get("gunicorn.socket")
    deadline = None if timeout is None else time.monotonic() + timeout
    prior = _socket_timeout(sock)
    parts: list[bytes] = []
    received = 0
    try:
        while wanted is None or received < wanted:
            step = READ_STEP if wanted is None else min(READ_STEP, wanted - received)
            if deadline is not None and sock is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
            try:
                data = stream.read(step)
            except TimeoutError:
                raise
            except OSError:
                if length is None:
                    raise
                break  # the client closed its side early (gunicorn: NoMoreData): reported below
            if not data:
                break
            parts.append(data)
            received += len(data)
    except TimeoutError:
        raise BodyRefused(
            408, f"request body not received in time: {received} bytes arrived within {timeout:g} s"
        ) from None
    except _GunicornParseError as error:
        raise BodyRefused(400, f"malformed chunked request body: {_one_line(error)}") from None
    except (ValueError, OSError) as error:  # other servers' chunk decoders (Werkzeug's: OSError)
        raise BodyRefused(400, f"malformed request body: {_one_line(error)}") from None
    finally:
        if sock is not None and deadline is not None:
            _restore_timeout(sock, prior)
    if limit is not None and received > limit:
        raise BodyRefused(413, too_large_message(limit))
    if length is not None and received < length:
        raise BodyRefused(
            400, f"request body ended after {received} of the {length} bytes its Content-Length announced"
        )
    return b"".join(parts)


def _socket_timeout(sock: Any) -> float | None:
    try:
        return sock.gettimeout() if sock is not None else None
    except OSError:
        return None


def _restore_timeout(sock: Any, prior: float | None) -> None:
    with contextlib.suppress(OSError):  # the client is gone; the response will fail on its own
        sock.settimeout(prior)


def _one_line(error: BaseException) -> str:
    """gunicorn's reason (e.g. ``InvalidChunkSize: Invalid chunk size: 'zz'``), one line, bounded."""
    text = " ".join(str(error).split())
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:200]


def _refuse(start_response: StartResponse, refused: BodyRefused) -> list[bytes]:
    body = (refused.message.rstrip("\n") + "\n").encode("utf-8")
    start_response(
        f"{refused.status} {REASONS.get(refused.status, 'Bad Request')}",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    )
    return [body]
