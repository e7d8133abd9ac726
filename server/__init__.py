"""The kzkg web service: SPARQL endpoint, linked-data pages, query UI and dumps.

Installed as ``kzkg_server`` (the source folder is ``server/``, which must not become a top-level
module of that generic name in users' environments). Run it with ``kzkg serve``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from . import settings

# Every setting, its type, default and help: server/settings.py. Kept under this name for callers
# that read a default (a copy: changing it changes nothing).
DEFAULTS: dict[str, Any] = settings.defaults()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: defaults, then ``KZKG_*`` environment variables, then ``test_config``.

    The defaults and the parsing of the environment are :mod:`kzkg_server.settings`; an unknown
    ``KZKG_*`` variable or a value of the wrong type raises :class:`~kzkg_server.settings.SettingsError`.
    """
    # Imported here, not at the top: `python -m kzkg_server.executor` (each query child) imports this
    # package first, and must not find its own module already imported by it.
    from .executor import QueryError
    from .state import GraphService

    app = Flask(__name__)
    app.config.from_mapping(settings.defaults())
    app.config.from_mapping(settings.from_environment())
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

    from . import admission, dumps, pages, sparql, views
    from .compress import Gzip
    from .fastcache import FastCache
    from .framing import RequestFraming

    @app.errorhandler(QueryError)
    def _store_error(error: QueryError) -> Response:
        """A store that failed or refused (remote: unreachable, timed out, cut short) is a plain-text
        status with the reason, on every page — never a stack trace or an empty page."""
        return Response(
            error.message.rstrip("\n") + "\n",
            status=error.status,
            mimetype="text/plain",
            headers={"Cache-Control": "no-store"},
        )

    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(dumps.bp)
    if app.config.get("REVIEW"):  # writes to data/: only with `kzkg serve --review`, never on the public endpoint
        from . import review

        app.register_blueprint(review.bp)
    app.register_blueprint(views.bp)
    # Queries that must run take a turn per client (429 beyond a client's limits); cache hits never do.
    admission.install(app)
    # Cached query answers are served in front of Flask; everything else passes through.
    app.wsgi_app = FastCache(app, app.wsgi_app)  # type: ignore[method-assign]
    # Around the cache, so cached answers and static files are compressed too (server/compress.py).
    if app.config["GZIP_MIN_BYTES"]:
        app.wsgi_app = Gzip(app.wsgi_app, minimum=int(app.config["GZIP_MIN_BYTES"]))  # type: ignore[method-assign]
    # Outermost: every request body is read completely and within its limits first (400/408/413).
    app.wsgi_app = RequestFraming(app, app.wsgi_app)  # type: ignore[method-assign]
    return app
