"""What leaving claims' assertion graphs out of the default graph costs the endpoint's queries.

pyoxigraph's ``use_default_graph_as_union=True`` unions every named graph, assertion graphs
included; passing the other graphs as ``default_graph`` keeps them out, and so does a default
graph materialised at build time. This times the three on the same data: every example query
without SERVICE (median of ``--runs``) and one-resource lookups (``SELECT ?p ?o WHERE { <iri> ?p ?o }``,
sampled IRIs), plus store loading time and size with and without the materialised graph.

    .venv/bin/python -m bench.default_graph build/current [more releases...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict

import pyoxigraph as ox

from bench.run import sample_subjects
from kzkg.examples import load_examples
from kzkg.namespaces import PREFIXES, in_default_graph
from kzkg.store import default_graph_lines, load_store, store_size


class _Dataset(TypedDict, total=False):
    """The keyword arguments of ``Store.query`` that define a mode's default graph, typed so they can
    be passed with ``**`` (a plain dict would be ``dict[str, object]``)."""

    use_default_graph_as_union: bool
    default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]


def _rows(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> int:
    """Rows of a SELECT or triples of a CONSTRUCT, consumed so the timing includes producing them; an
    ASK answer counts as its one row."""
    if isinstance(results, ox.QueryBoolean):
        return 1
    return sum(1 for _ in results)


def _timed(store: ox.Store, query: str, runs: int, dataset: _Dataset) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = _rows(store.query(query, prefixes=PREFIXES, **dataset))
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def _load(nquads: bytes, default_lines: list[bytes] | None, path: Path) -> tuple[ox.Store, float, int]:
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    load_store(path, nquads, default_lines or ())
    seconds = time.perf_counter() - started
    return ox.Store.read_only(str(path)), seconds, store_size(path)


def measure(release: Path, runs: int, lookups: int, workdir: Path) -> list[str]:
    """Three ways to define the default graph on the same data: pyoxigraph's union of all named
    graphs (what the endpoint did before assertion graphs existed: wrong with them, the reference
    for speed), the other graphs named as ``default_graph``, and the build's materialised default
    graph (kzkg.store.load_store). Stores are loaded here from the release's N-Quads dump."""
    nquads = (release / "dumps" / "kzkg.nq").read_bytes()
    named_only, t_named, size_named = _load(nquads, None, workdir / "named-only")
    materialised, t_mat, size_mat = _load(nquads, default_graph_lines(nquads), workdir / "materialised")
    graphs = list(named_only.named_graphs())
    curated: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [g for g in graphs if in_default_graph(g)]
    modes: dict[str, tuple[ox.Store, _Dataset]] = {
        "union": (named_only, {"use_default_graph_as_union": True}),
        "listed": (named_only, {"default_graph": curated}),
        "materialised": (materialised, {}),
    }
    lines = [
        (
            f"{release}: {len(graphs)} named graphs, {len(graphs) - len(curated)} of them assertion graphs; "
            f"store load {t_named:.2f} s / {size_named / 1e6:.1f} MB without the default graph, "
            f"{t_mat:.2f} s / {size_mat / 1e6:.1f} MB with it"
        )
    ]
    totals = dict.fromkeys(modes, 0.0)
    for example in load_examples():
        if "SERVICE" in example.sparql.upper():
            continue
        cells = []
        for mode, (store, dataset) in modes.items():
            _timed(store, example.sparql, 1, dataset)  # warm the page cache
            seconds, rows = _timed(store, example.sparql, runs, dataset)
            totals[mode] += seconds
            cells.append(f"{mode} {seconds * 1000:9.1f} ms ({rows} rows)")
        lines.append(f"  {example.slug:32s} " + "   ".join(cells))
    lines.append(
        f"  {'examples, sum of medians':32s} " + "   ".join(f"{m} {s * 1000:9.1f} ms" for m, s in totals.items())
    )
    queries = [f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}" for s in sample_subjects(release, limit=lookups)]
    cells = []
    for mode, (store, dataset) in modes.items():
        for query in queries[:20]:
            _timed(store, query, 1, dataset)
        started = time.perf_counter()
        for query in queries:
            _rows(store.query(query, **dataset))
        cells.append(f"{mode} {(time.perf_counter() - started) / len(queries) * 1e6:6.0f} µs")
    lines.append(f"  {'lookup, mean of ' + str(len(queries)):32s} " + "   ".join(cells))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.default_graph", description=__doc__.split("\n\n")[0])
    parser.add_argument("releases", nargs="+", type=Path, help="release directories (build/current)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kzkg-default-graph-") as workdir:
        for release in args.releases:
            print("\n".join(measure(release.resolve(), args.runs, args.lookups, Path(workdir))))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
