"""The kzkg web service: SPARQL endpoint, linked-data pages, query UI and dumps.

Installed as ``kzkg_server`` (the source folder is ``server/``, which must not become a top-level
module of that generic name in users' environments). Run it with ``kzkg serve``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from kzkg_server.state import GraphService

DEFAULTS: dict[str, Any] = {
    # Where `kzkg build` publishes releases; the served graph is <BUILD_DIR>/current.
    "BUILD_DIR": str(Path.cwd() / "build"),
    # A remote SPARQL 1.1 endpoint to put in front of instead of the embedded store (None: embedded).
    "STORE_URL": None,
    "STORE_USER": None,
    "STORE_PASSWORD": None,
    # Public-endpoint limits: wall-clock seconds per query, rows per result, bytes per request.
    "QUERY_TIMEOUT": 10.0,
    "MAX_RESULTS": 10_000,
    "MAX_CONTENT_LENGTH": 1_000_000,
    # SERVICE endpoints a query may call (exact IRIs); everything else is refused. Wikidata's and
    # DBpedia's by default, so users can join our claims with their facts in one query
    # (KZKG_SERVICE_ALLOWLIST='["https://…"]' replaces the list; '[]' turns federation off).
    "SERVICE_ALLOWLIST": ["https://query.wikidata.org/sparql", "https://dbpedia.org/sparql"],
    # Entries in the in-process cache of query responses (keyed by build id, so a rebuild empties it).
    "QUERY_CACHE_SIZE": 1024,
    # SPARQL endpoint (server/sparql.py, executor.py, run.py): killable query processes per server
    # worker, their address-space cap in bytes (None: no cap), the response cache's byte budget,
    # Cache-Control max-age of query answers, gunicorn threads per worker, gunicorn access log.
    "QUERY_EXECUTORS": 2,
    "QUERY_MEMORY_LIMIT": 2_000_000_000,
    "QUERY_CACHE_MAX_BYTES": 64_000_000,
    "SPARQL_CACHE_MAX_AGE": 300,
    "SERVER_THREADS": 4,
    "ACCESS_LOG": None,
    # The IRI prefix whose resources this server resolves as linked data.
    "RESOURCE_BASE": "https://w3id.org/kzkg/id/",
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: defaults, then ``KZKG_*`` environment variables, then ``test_config``."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="KZKG")
    if test_config is not None:
        app.config.from_mapping(test_config)

    app.extensions["kzkg"] = GraphService.from_config(app.config)

    from kzkg_server import dumps, pages, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(dumps.bp)
    return app
