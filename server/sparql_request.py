"""What every answer of the SPARQL endpoint reads and refuses alike: parameters, protocol errors, 406."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, request, url_for

from kzkg.store import NoReleaseError

from .backend import Served
from .media import MediaType
from .response_cache import CORS_HEADERS, graph_service

HTML_TYPES = ("text/html", "application/xhtml+xml")


class ProtocolError(Exception):
    """A request the protocol does not allow; answered as text/plain with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def served_now() -> Served:
    """What is served now; 503 before the first build, the backend's error when its store is down."""
    try:
        return graph_service().served()
    except NoReleaseError as missing:
        raise ProtocolError(503, f"no graph is published yet: {missing}") from None


def endpoint_url() -> str:
    return url_for("sparql.endpoint", _external=True)


# --- responses ------------------------------------------------------------------------------


def text_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers.update(CORS_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(dict(headers or {}))
    return response


def not_acceptable(offered: tuple[MediaType, ...], what: str) -> ProtocolError:
    choices = ", ".join(f"{m.media_type} (format={m.names[0]})" for m in offered)
    return ProtocolError(
        406,
        f"cannot produce any of the requested types ({request.headers.get('Accept', '')!r}"
        f"{', format=' + repr(param('format')) if param('format') else ''}) for {what}; "
        f"available: {choices}",
    )


def param(name: str) -> str | None:
    values = params(name)
    return values[0] if values else None


def params(name: str) -> list[str]:
    """A parameter from the URL and, for form posts, the body (the W3C tests mix both)."""
    values = request.args.getlist(name)
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.getlist(name)
    return values
