"""The endpoint's response cache and HTTP validators: ETags, 304s, the per-process LRU of answers.

A response depends only on (build id, query, dataset, media type, base IRI), so it carries an
ETag of those, answers If-None-Match with 304, and is kept in an in-process LRU that a new build
id invalidates by construction. The fast path (:mod:`.fastcache`) answers a request seen before
from the same entry with the same bytes: :func:`cached_answer` and the :class:`Prerendered`
status and headers made here by the very functions the Flask path answers with.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, request

from kzkg.store import CURRENT_LINK, NoReleaseError

from .backend import EmbeddedBackend, Statistics
from .executor import QueryError
from .state import GraphService

EXTENSION = "kzkg_sparql"
# Server-Timing of an answer given from the response cache.
CACHE_HIT_TIMING = "cache;desc=hit"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Content-Type, Server-Timing",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, Cache-Control",
    "Access-Control-Max-Age": "86400",
}


@dataclass(frozen=True)
class Prerendered:
    """The exact WSGI status and header lists the Flask path gives for a cached answer, made once
    when the answer is stored, so the fast path (:mod:`kzkg_server.fastcache`) sends the same bytes
    without running Flask: a 200 served from cache and the 304 for a matching If-None-Match."""

    etag: str  # unquoted, as If-None-Match values are compared
    status: str
    headers: tuple[tuple[str, str], ...]
    not_modified_status: str
    not_modified_headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    media_type: str
    count: int | None
    wsgi: Prerendered | None = None


# The WSGI environ key under which the fast path hands the Flask path the request's alias (its raw
# fields, see kzkg_server.fastcache.request_alias); only requests the fast path may answer get one.
ALIAS_ENVIRON_KEY = "kzkg.response_alias"
# Raw-request aliases kept per cached answer: a few Accept spellings (browser, curl, a library)
# reach the fast path; more variants are still answered from the cache, through Flask.
MAX_ALIASES_PER_ENTRY = 4


class ResponseCache:
    """An LRU of serialised responses, bounded in entries and in bytes.

    Besides its cache key (build id, query, dataset, media type, base IRI: what the answer depends
    on, known only after Flask has parsed and negotiated), an entry can be found by *aliases*: the
    raw request fields that were seen to produce that key. The fast path looks answers up by alias,
    so it never parses a query or negotiates; an alias lives and dies with its entry, and its bytes
    count against ``max_bytes`` like the body's. ``hits`` counts every answer given from the cache,
    ``fast_hits`` those given by alias before Flask.
    """

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries = max(0, int(max_entries))
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[tuple[Any, ...], CachedResponse] = OrderedDict()
        self._aliases: dict[Hashable, tuple[Any, ...]] = {}
        self._aliases_of: dict[tuple[Any, ...], list[tuple[Hashable, int]]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.fast_hits = 0

    def get(self, key: tuple[Any, ...], alias: Hashable | None = None) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            if alias is not None:
                self._add_alias(key, alias)
            return entry

    def get_by_alias(self, alias: Hashable, build_id: str) -> CachedResponse | None:
        """The entry a raw request was seen to map to, if it is still cached and of ``build_id``."""
        with self._lock:
            key = self._aliases.get(alias)
            if key is None or key[0] != build_id:
                return None
            entry = self._entries.get(key)
            if entry is None or entry.wsgi is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            self.fast_hits += 1
            return entry

    def put(self, key: tuple[Any, ...], entry: CachedResponse, alias: Hashable | None = None) -> None:
        size = len(entry.body)
        if self.max_entries == 0 or size > self.max_bytes // 8:
            return  # one huge result must not flush everything else
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += size
            if alias is not None:
                self._add_alias(key, alias)
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._aliases.clear()
            self._aliases_of.clear()
            self._bytes = 0

    # The helpers below run with self._lock held.

    def _add_alias(self, key: tuple[Any, ...], alias: Hashable) -> None:
        previous = self._aliases.get(alias)
        if previous == key:
            return
        if previous is not None:
            # The same raw request now means another key: an answer of an older build stored after
            # the cache was emptied for the new one. The alias follows the newest answer.
            self._forget_alias(previous, alias)
        known = self._aliases_of.setdefault(key, [])
        size = _alias_size(alias)
        if len(known) >= MAX_ALIASES_PER_ENTRY or size > self.max_bytes // 8:
            return  # enough spellings of this answer; further ones are still answered, by Flask
        self._aliases[alias] = key
        known.append((alias, size))
        self._bytes += size
        self._evict()

    def _forget_alias(self, key: tuple[Any, ...], alias: Hashable) -> None:
        del self._aliases[alias]
        known = self._aliases_of.get(key, [])
        for index, (other, size) in enumerate(known):
            if other == alias:
                del known[index]
                self._bytes -= size
                return

    def _drop(self, key: tuple[Any, ...]) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)
        for alias, size in self._aliases_of.pop(key, ()):
            del self._aliases[alias]
            self._bytes -= size

    def _evict(self) -> None:
        while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
            self._drop(next(iter(self._entries)))


def _alias_size(alias: Hashable) -> int:
    """Bytes an alias holds, roughly: its strings (the query string dominates)."""
    parts = alias if isinstance(alias, tuple) else (alias,)
    return 64 + sum(len(part) for part in parts if isinstance(part, (str, bytes)))


@dataclass
class Runtime:
    """What one server process keeps for the endpoint: its response cache and statistics.

    Created by the first request in each process (after gunicorn's fork, never before), which
    also starts the backend's per-process resources (the embedded store's executor children).
    """

    pid: int
    cache: ResponseCache
    last_build: str | None = None
    statistics: dict[str, Statistics] = field(default_factory=dict)
    # The embedded store's `current` link target and the build id it names, as the fast path last
    # resolved them: a readlink that gives the same target needs no path resolution.
    link_target: tuple[str, str] | None = None
    # The 304 the Flask path gives, rendered once (see _not_modified_template).
    not_modified: tuple[str, tuple[tuple[str, str], ...]] | None = None


@dataclass
class RuntimeHolder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    runtime: Runtime | None = None


def runtime(app: Flask | None = None) -> Runtime:
    """This process's endpoint runtime (a forked child process makes its own)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    holder: RuntimeHolder = app.extensions[EXTENSION]
    with holder.lock:
        current = holder.runtime
        if current is None or current.pid != os.getpid():
            config = app.config
            current = holder.runtime = Runtime(
                pid=os.getpid(),
                cache=ResponseCache(int(config["QUERY_CACHE_SIZE"]), int(config["QUERY_CACHE_MAX_BYTES"])),
            )
            graph_service(app).backend.start()
        return current


def graph_service(app: Flask | None = None) -> GraphService:
    return (app or current_app).extensions["kzkg"]


def cacheable(response: Response, etag: str | None) -> Response:
    """Validators and caching headers; without an ETag (a remote store with no build id, so no way
    to tell when its answers change) the answer must be revalidated every time."""
    response.headers.update(CORS_HEADERS)
    response.headers["Vary"] = "Accept, Accept-Encoding"
    if etag is None:
        response.headers["Cache-Control"] = "no-cache"
        return response
    response.set_etag(etag.strip('"'))
    response.headers["Cache-Control"] = f"public, max-age={int(current_app.config['SPARQL_CACHE_MAX_AGE'])}"
    return response


def make_etag(*parts: Any) -> str | None:
    """An ETag of the parts, led by the build id (None: no build id, no ETag)."""
    if parts[0] is None:
        return None
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
    return f'"{parts[0]}-{digest}"'


def not_modified_response(etag: str | None) -> Response | None:
    if (
        etag is not None
        and request.method in {"GET", "HEAD"}
        and request.if_none_match
        and request.if_none_match.contains_weak(etag.strip('"'))
    ):
        return cacheable(Response(status=304), etag)
    return None


def body_response(body: bytes, media_type: str, etag: str | None, timing: str | None = None) -> Response:
    response = Response(body, mimetype=media_type)
    if timing:
        response.headers["Server-Timing"] = timing
    return cacheable(response, etag)


def prerender(state: Runtime, body: bytes, media_type: str, etag: str) -> Prerendered:
    """What Flask will send for this answer once it is cached, as WSGI status and headers: made
    by the very functions the Flask path answers with, so both paths give the same bytes.

    The 304 differs between answers only by its ETag, so it is rendered once per process (with a
    placeholder ETag, see :func:`_not_modified_template`) and the ETag put in: rendering it for
    every stored answer cost as much again as the 200 (~40 µs of every cache miss).
    """
    hit = body_response(body, media_type, etag, CACHE_HIT_TIMING)
    not_modified_status, template = _not_modified_template(state)
    quoted = hit.headers["ETag"]
    return Prerendered(
        etag=etag.strip('"'),
        status=hit.status,
        headers=tuple(hit.get_wsgi_headers(request.environ).to_wsgi_list()),
        not_modified_status=not_modified_status,
        not_modified_headers=tuple((name, quoted if value == ETAG_PLACEHOLDER else value) for name, value in template),
    )


# Stands for the ETag in the 304 rendered once per process; no real ETag (build id and digest
# in hex, quoted) can equal it.
ETAG_PLACEHOLDER = '"kzkg etag placeholder"'


def _not_modified_template(state: Runtime) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The status and WSGI headers of the Flask path's 304, with ETAG_PLACEHOLDER as the ETag."""
    if state.not_modified is None:
        response = cacheable(Response(status=304), ETAG_PLACEHOLDER)
        state.not_modified = (response.status, tuple(response.get_wsgi_headers(request.environ).to_wsgi_list()))
    return state.not_modified


def cached_answer(app: Flask, alias: Hashable) -> tuple[bytes, Prerendered] | None:
    """The cached answer to a request known by its raw fields, for the fast path; None when Flask
    must answer: the process has no runtime yet, nothing is served (no build, remote store down:
    Flask gives the error), the build changed since the cache was filled (Flask empties it), or
    the request was never seen to produce a cached answer of the current build."""
    holder: RuntimeHolder = app.extensions[EXTENSION]
    state = holder.runtime
    if state is None or state.pid != os.getpid():
        return None
    try:
        build_id = _served_build_id(graph_service(app), state)
    except (NoReleaseError, QueryError, OSError):
        return None
    if build_id is None or build_id != state.last_build:
        return None
    entry = state.cache.get_by_alias(alias, build_id)
    if entry is None or entry.wsgi is None:
        return None
    return entry.body, entry.wsgi


def _served_build_id(service: GraphService, state: Runtime) -> str | None:
    """The build id served now, as ``service.served()`` gives it, for one readlink with the
    embedded store (``served()`` resolves the whole path every time, ~40 µs: as much as the rest
    of the fast path together).

    A build is published by re-pointing ``current`` at ``releases/<build id>``, so the link's target
    changes whenever the build does; the id is resolved from the target just read, exactly as
    :func:`kzkg.store.current_release` resolves it, and reused while readlink gives that target.
    """
    if not isinstance(service.backend, EmbeddedBackend):
        return service.served().build_id
    link = service.build_dir / CURRENT_LINK
    target = str(link.readlink())  # FileNotFoundError (no build yet) is for Flask to answer
    known = state.link_target
    if known is None or known[0] != target:
        known = state.link_target = (target, (link.parent / target).resolve().name)
    return known[1]
