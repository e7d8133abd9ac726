"""Virtuoso, loaded with exactly the same data, as the reference for kzkg's endpoint in the same run.

``python -m bench`` starts a throwaway Virtuoso on loopback (``--virtuoso auto``, the default when
Debian's virtuoso-t is installed; ``./dev bench`` installs it), and before each corpus's endpoint
workloads :func:`load` replaces its graphs with that corpus's release through ``kzkg publish``
(Graph Store Protocol, counts verified), so both servers answer the same workloads over the same
quads. ``--virtuoso URL`` points the same load at a Virtuoso you run yourself (its dba password in
``KZKG_BENCH_VIRTUOSO_PASSWORD``); ``--virtuoso none`` skips the comparison.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench import virtuoso_server
from kzkg.namespaces import HOME
from kzkg.publish import Target, publish
from kzkg.store import Release

_started: list[virtuoso_server.Virtuoso] = []


def start() -> str | None:
    """Start a private Virtuoso on loopback and return its SPARQL URL (None if not installed)."""
    if not virtuoso_server.available():
        return None
    server = virtuoso_server.Virtuoso(Path(tempfile.mkdtemp(prefix="kzkg-bench-virtuoso-")))
    _started.append(server)
    return server.sparql_url


def stop() -> None:
    while _started:
        _started.pop().stop()


def load(endpoint_url: str, nquads_dump: Path) -> None:
    """Make the Virtuoso behind ``endpoint_url`` hold the release that ``nquads_dump`` belongs to.

    Each of the release's graphs is replaced (PUT) and its size checked; graphs of an earlier
    corpus are dropped first so that the two servers hold the same quads.
    """
    base = endpoint_url.rsplit("/sparql", 1)[0]
    target = Target(
        query_url=endpoint_url,
        gsp_url=base + "/sparql-graph-crud-auth",
        graph_param="graph-uri",
        update_url=base + "/sparql-auth",
        user="dba",
        password=os.environ.get("KZKG_BENCH_VIRTUOSO_PASSWORD", virtuoso_server.Virtuoso.password),
        auth_scheme="digest",
    )
    _drop_kzkg_graphs(target)
    release_dir = nquads_dump.parent.parent
    publish(Release(build_id=release_dir.name, path=release_dir), target)


def _drop_kzkg_graphs(target: Target) -> None:
    import requests
    from requests.auth import HTTPDigestAuth

    found = requests.post(
        target.query_url,
        data={"query": f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), '{HOME}/')) }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=600,
    )
    found.raise_for_status()
    graphs = [b["g"]["value"] for b in found.json()["results"]["bindings"]]
    if graphs:
        update = " ; ".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
        response = requests.post(
            target.sparql_update_url(),
            data=update.encode("utf-8"),
            timeout=600,
            headers={"Content-Type": "application/sparql-update"},
            auth=HTTPDigestAuth(target.user or "", target.password or ""),
        )
        response.raise_for_status()
