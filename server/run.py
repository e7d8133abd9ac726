"""Serve kzkg under gunicorn: the production way to run the app, used by ``kzkg serve``.

gunicorn forks ``workers`` processes; each builds its own Flask app (no ``preload_app``), so no
store, thread or executor child exists before the fork — RocksDB handles and threads do not
survive a fork safely. Workers are ``gthread``: ``SERVER_THREADS`` threads each, so cached answers,
pages and dumps are served while up to ``QUERY_EXECUTORS`` queries per worker run in their
killable child processes (see :mod:`kzkg_server.executor`). Admission control
(:mod:`kzkg_server.admission`) never lets queries — running or waiting for a child — hold more
than ``SERVER_THREADS - FREE_THREADS`` of those threads, so there are always threads for the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication

from . import create_app
from .admission import FREE_THREADS, parse_proxies
from .settings import SettingsError, resolve

# gunicorn refuses request lines longer than this (its maximum); longer queries must be POSTed.
MAX_REQUEST_LINE = 8190


class KzkgApplication(BaseApplication):
    """A gunicorn application whose options come from Python, not a config file or argv."""

    def __init__(self, config: Mapping[str, Any], options: Mapping[str, Any]):
        self.app_config = dict(config)
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.app_config)


def gunicorn_options(host: str, port: int, workers: int, config: Mapping[str, Any]) -> dict[str, Any]:
    """gunicorn settings derived from the app config, so one set of keys tunes both.

    Resolved like create_app does (defaults, ``KZKG_*`` environment, overrides), so that
    e.g. ``KZKG_QUERY_TIMEOUT`` also moves gunicorn's worker timeout.
    """
    settings = resolve(config)
    parse_proxies(settings["TRUSTED_PROXIES"])  # a SettingsError now, not in every worker as it boots
    query_timeout = float(settings["QUERY_TIMEOUT"])
    return {
        "bind": f"{host}:{port}",
        "workers": max(1, int(workers)),
        "worker_class": "gthread",
        # Never fewer than the threads admission keeps free of queries, plus one for a query.
        "threads": max(FREE_THREADS + 1, int(settings["SERVER_THREADS"])),
        # A worker is only "stuck" if it outlives the longest legitimate request by a margin:
        # queries are bounded by QUERY_TIMEOUT, plus waiting for a free executor as long again.
        "timeout": int(2 * query_timeout + 30),
        "graceful_timeout": int(query_timeout + 5),
        "limit_request_line": MAX_REQUEST_LINE,
        # Each worker listens on its own SO_REUSEPORT socket (gunicorn >= 23, benoitc/gunicorn#2938),
        # so the kernel spreads connections over the workers. With one shared socket, a few
        # long-lived keep-alive clients sometimes all landed on one worker, which then served
        # everything on one core (measured: 2,500 instead of 7,000 cached answers a second).
        "reuse_port": True,
        "accesslog": settings.get("ACCESS_LOG"),
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
        "proc_name": "kzkg",
        "post_worker_init": _start_query_processes,
    }


def _start_query_processes(worker: Any) -> None:
    """Right after the fork, start this worker's per-process resources (the embedded store's
    executor children, which then import pyoxigraph while the worker waits for its first request
    instead of during it; nothing for a remote store), and make gunicorn's own error answers plain
    text like the app's."""
    from .response_cache import runtime

    gunicorn_util.write_error = write_plain_error
    runtime(worker.wsgi)


def write_plain_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it could not parse (a malformed request line or header, a
    URI too long, bytes after a body's Content-Length), as one line of plain text instead of
    gunicorn's HTML page. Same signature as ``gunicorn.util.write_error``, which gunicorn's workers
    look up when they answer (``util.write_error(...)``), so setting it in a worker is enough.
    Bad input gets one line naming the problem, whichever layer refuses it."""
    detail = " ".join("".join(c if c.isprintable() else " " for c in str(mesg)).split())[:300]
    body = (f"{reason.lower()}: {detail}\n" if detail else f"{reason.lower()}\n").encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1", "replace")
    gunicorn_util.write_nonblock(sock, head + body)


def serve(build_dir: Path, host: str, port: int, workers: int, settings: dict[str, object]) -> None:
    """Run the server until interrupted; ``settings`` override the app config (e.g. QUERY_TIMEOUT).

    A None value means "not given" and leaves the default in place.
    """
    config = {key: value for key, value in settings.items() if value is not None}
    config["BUILD_DIR"] = str(Path(build_dir).resolve())
    try:
        options = gunicorn_options(host, port, workers, config)
    except SettingsError as problem:  # before any worker starts: one line, not a worker's traceback
        print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    KzkgApplication(config, options).run()
