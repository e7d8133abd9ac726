"""The kzkg web service: SPARQL endpoint, linked-data pages, query UI and dumps.

Installed as ``kzkg_server`` (the source folder is ``server/``, which must not become a top-level
module of that generic name in users' environments). Run it with ``kzkg serve``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response

DEFAULTS: dict[str, Any] = {
    # Where `kzkg build` publishes releases; the served graph is <BUILD_DIR>/current.
    "BUILD_DIR": str(Path.cwd() / "build"),
    # A remote SPARQL 1.1 endpoint to put in front of instead of the embedded store (None: embedded),
    # loaded with `kzkg publish` (see server/remote.py). STORE_AUTH: "basic" or "digest".
    "STORE_URL": None,
    "STORE_USER": None,
    "STORE_PASSWORD": None,
    "STORE_AUTH": "basic",
    # The store's silent row cap (Virtuoso's ResultSetMaxRows, 10000 by default): an answer that
    # reaches it may be cut short and is refused. 0: the store has no such cap.
    "STORE_MAX_ROWS": 10_000,
    # "explicit": name kzkg's graphs as default-graph-uri and named-graph-uri on every query (any
    # store); "native": trust the store's own default graph to be the union of kzkg's graphs.
    "STORE_DATASET": "explicit",
    # The store's per-query time limit as a parameter template ("timeout={ms}" Virtuoso,
    # "timeout={s}" Fuseki/GraphDB); "auto" detects Virtuoso; None sends nothing.
    "STORE_TIMEOUT_PARAM": "auto",
    # Seconds a remote store's build id (its release record) is trusted before it is read again.
    "STORE_CHECK_SECONDS": 5.0,
    # Bytes of one remote answer read at most.
    "STORE_MAX_BYTES": 256_000_000,
    # Public-endpoint limits: wall-clock seconds per query, rows per result, bytes per request.
    "QUERY_TIMEOUT": 10.0,
    "MAX_RESULTS": 10_000,
    "MAX_CONTENT_LENGTH": 1_000_000,
    # Bytes of one form field (Flask 3.1's own default is 500 kB); None: MAX_CONTENT_LENGTH.
    "MAX_FORM_MEMORY_SIZE": None,
    # SERVICE endpoints a query may call (exact IRIs); everything else is refused. Wikidata's and
    # DBpedia's by default, so users can join our claims with their facts in one query
    # (KZKG_SERVICE_ALLOWLIST='["https://…"]' replaces the list; '[]' turns federation off).
    "SERVICE_ALLOWLIST": ["https://query.wikidata.org/sparql", "https://dbpedia.org/sparql"],
    # Entries in the in-process cache of query responses (keyed by build id, so a rebuild empties it).
    "QUERY_CACHE_SIZE": 1024,
    # Answer a GET query Flask has answered from that cache before straight from it, in front of
    # Flask (server/fastcache.py): same bytes, a fraction of the cost. False: always through Flask.
    "QUERY_FAST_PATH": True,
    # Seconds between re-reads of the served store's files, so kernels that reclaim idle file pages
    # (DAMON) do not make the first whole-graph query after a quiet minute read from disk; 0: off.
    # Stores larger than STORE_KEEP_WARM_MAX_BYTES are left to the kernel (None: half the RAM).
    "STORE_KEEP_WARM": 10.0,
    "STORE_KEEP_WARM_MAX_BYTES": None,
    # SPARQL endpoint (server/sparql.py, executor.py, run.py): killable query processes per server
    # worker, their address-space cap in bytes (None: no cap), the response cache's byte budget,
    # Cache-Control max-age of query answers, gunicorn threads per worker, gunicorn access log.
    "QUERY_EXECUTORS": 2,
    "QUERY_MEMORY_LIMIT": 2_000_000_000,
    "QUERY_CACHE_MAX_BYTES": 64_000_000,
    "SPARQL_CACHE_MAX_AGE": 300,
    "SERVER_THREADS": 8,
    "ACCESS_LOG": None,
    # Request framing (server/framing.py): seconds a request body may take to arrive (408 after).
    "REQUEST_BODY_TIMEOUT": 10.0,
    # Fairness between clients (server/admission.py; all per server worker, so with N workers a
    # client gets N times each): queries a client may have running or waiting at once, seconds of
    # query time it may use per rolling window, queries that may wait for a free query process
    # and for how long (None: QUERY_TIMEOUT + 2 s), query processes kept for clients whose recent
    # queries were all shorter than QUERY_SHORT_SECONDS, and the proxies whose X-Forwarded-For
    # names the client (addresses or networks; empty: the remote address is the client).
    # None for QUERY_CLIENT_CONCURRENCY or QUERY_CLIENT_BUDGET: no such limit.
    "QUERY_CLIENT_CONCURRENCY": 2,
    "QUERY_CLIENT_BUDGET": 30.0,
    "QUERY_BUDGET_WINDOW": 60.0,
    "QUERY_QUEUE_SIZE": 2,
    "QUERY_QUEUE_TIMEOUT": None,
    "QUERY_RESERVED_SLOTS": 1,
    "QUERY_SHORT_SECONDS": 1.0,
    "TRUSTED_PROXIES": [],
    # The IRI prefix whose resources this server resolves as linked data.
    "RESOURCE_BASE": "https://w3id.org/kzkg/id/",
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: defaults, then ``KZKG_*`` environment variables, then ``test_config``."""
    # Imported here, not at the top: `python -m kzkg_server.executor` (each query child) imports this
    # package first, and must not find its own module already imported by it.
    from kzkg_server.executor import QueryError
    from kzkg_server.state import GraphService

    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="KZKG")
    if test_config is not None:
        app.config.from_mapping(test_config)

    # Flask 3.1 refuses form fields beyond MAX_FORM_MEMORY_SIZE (500 kB by default) with a 413 of
    # its own, below MAX_CONTENT_LENGTH, and Werkzeug 3.1.0-3.1.8 apply it to urlencoded posts: a
    # 600 kB query posted as a form was refused while the same query as application/sparql-query
    # passed, and the 413 named the wrong limit. A form field cannot be larger than its body, so
    # one limit — the body's — applies to both, whichever Werkzeug is installed.
    if app.config.get("MAX_FORM_MEMORY_SIZE") is None:
        app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]

    app.extensions["kzkg"] = GraphService.from_config(app.config)

    from kzkg_server import admission, dumps, pages, sparql
    from kzkg_server.fastcache import FastCache
    from kzkg_server.framing import RequestFraming

    @app.errorhandler(QueryError)
    def _store_error(error: QueryError) -> Response:
        """A store that failed or refused (remote: unreachable, timed out, cut short) is a plain-text
        status with the reason, on every page — never a stack trace or an empty page."""
        return Response(error.message.rstrip("\n") + "\n", status=error.status, mimetype="text/plain",
                        headers={"Cache-Control": "no-store"})

    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(dumps.bp)
    # Queries that must run take a turn per client (429 beyond a client's limits); cache hits never do.
    admission.install(app)
    # Cached query answers are served in front of Flask; everything else passes through.
    app.wsgi_app = FastCache(app, app.wsgi_app)  # type: ignore[method-assign]
    # Outermost: every request body is read completely and within its limits first (400/408/413).
    app.wsgi_app = RequestFraming(app, app.wsgi_app)  # type: ignore[method-assign]
    return app
