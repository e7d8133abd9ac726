"""The hook for comparing kzkg's endpoint with Virtuoso loaded with the same data, in the same run.

``python -m bench --virtuoso URL`` sends every endpoint workload to ``URL`` as well (through the
same ``bench.load.measure_endpoint``), once per corpus, after calling :func:`load` with that
corpus's dump. Today :func:`load` does nothing, so ``--virtuoso`` assumes the caller has loaded
the data already (sensible with a single corpus: ``--no-real --sizes 1000000``). The engineer
adding Virtuoso replaces the body of :func:`load` — clear the store, bulk-load the N-Quads dump
(``ld_dir`` + ``rdf_loader_run()`` over isql, for instance), wait until it answers — and every
corpus of a run is then compared with Virtuoso holding exactly the same quads.
"""

from __future__ import annotations

from pathlib import Path


def load(endpoint_url: str, nquads_dump: Path) -> None:
    """Make the Virtuoso behind ``endpoint_url`` hold exactly ``nquads_dump`` (no-op for now)."""
    del endpoint_url, nquads_dump  # the data is expected to be loaded by whoever started Virtuoso
