"""Answer a repeated SPARQL query from the response cache before Flask sees the request.

Why: looking a cached answer up costs microseconds, but serving it through Flask costs far more —
a request context, URL routing, parsing the query string, scanning the query, negotiating the
media type, building the endpoint's base IRI and hashing the ETag — which kept a 2-core server at
~2,000 cached answers a second. This WSGI middleware sits in front of the Flask app
(``create_app`` wraps ``app.wsgi_app``) and answers a request it has seen before with the stored
bytes.

Why it is exact:

* **One cache.** Answers live only in :class:`kzkg_server.response_cache.ResponseCache`, under the key the
  Flask path computes (build id, query, dataset, media type, base IRI). The fast path never
  computes that key: when Flask answers an eligible request from or into the cache, it records the
  request's *alias* — its raw fields, :func:`request_alias` — next to the entry. The fast path
  looks the alias up; an alias lives and dies with its entry.
* **The alias is everything the answer depends on.** For a GET without a body, the Flask path
  reads the path, the raw query string (query, format, default-graph-uri / named-graph-uri), the
  Accept header and, for the base IRI, the host, scheme and script root; everything else it uses
  is configuration. A GET with a Content-Type, a POST, a HEAD, a path other than the endpoint's,
  and a request without a query string (the service description) are never eligible.
* **The build is checked on every request**, as the Flask path does: the served build id is read
  again (one readlink for the embedded store) and an entry of another build, or a cache the Flask
  path has not yet emptied after a new build, sends the request to Flask.
* **Same bytes.** The status and header lists were made, when the answer was stored, by the
  functions Flask answers a cache hit with (:func:`kzkg_server.response_cache.prerender`), including the
  ETag, Cache-Control, Vary and CORS headers; If-None-Match is compared as Flask compares it.

Only successful, cacheable answers are ever found here; errors, answers without a build id (a
remote store with no release record) and anything Flask has not answered before go to Flask.
``QUERY_FAST_PATH = False`` turns the middleware off (every request through Flask).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.http import parse_etags

from .response_cache import ALIAS_ENVIRON_KEY, cached_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The endpoint's paths (the canonical one and the trailing-slash spelling both route to it).
ENDPOINT_PATHS = frozenset({"/sparql", "/sparql/"})

Alias = tuple[str | None, ...]


def request_alias(environ: WSGIEnvironment) -> Alias:
    """The raw request fields a GET answer of the endpoint depends on (see the module docstring).

    Raw, not normalised: two spellings of one request are two aliases of one cached answer, which
    costs a second trip through Flask, never a wrong answer.
    """
    return (
        environ.get("PATH_INFO"),
        environ.get("QUERY_STRING"),
        environ.get("HTTP_ACCEPT"),
        environ.get("HTTP_HOST"),
        environ.get("wsgi.url_scheme"),
        environ.get("SCRIPT_NAME"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
    )


def eligible(environ: WSGIEnvironment) -> bool:
    """Whether the fast path may answer this request at all: a query by GET, with no body type
    (a Content-Type, even on a GET, can make the Flask path refuse the request)."""
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and environ.get("PATH_INFO") in ENDPOINT_PATHS
        and bool(environ.get("QUERY_STRING"))
        and not environ.get("CONTENT_TYPE")
    )


class FastCache:
    """WSGI middleware: answer eligible requests from the response cache, pass the rest to ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not eligible(environ) or not self.app.config.get("QUERY_FAST_PATH", True):
            return self.wsgi_app(environ, start_response)
        alias = request_alias(environ)
        found = cached_answer(self.app, alias)
        if found is None:
            # Flask answers, and records the alias if the answer is cached.
            environ[ALIAS_ENVIRON_KEY] = alias
            return self.wsgi_app(environ, start_response)
        body, rendered = found
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(rendered.etag):
            start_response(rendered.not_modified_status, list(rendered.not_modified_headers))
            return []
        start_response(rendered.status, list(rendered.headers))
        return [body]
