"""What leaving claims' assertion graphs out of the default graph costs the endpoint's queries.

pyoxigraph's ``use_default_graph_as_union=True`` unions every named graph, assertion graphs
included; passing the other graphs as ``default_graph`` keeps them out, and so does a default
graph materialised at build time. This times the three on the same data: every example query
without SERVICE (median of ``--runs``) and one-resource lookups (``SELECT ?p ?o WHERE { <iri> ?p ?o }``,
sampled IRIs), plus store loading time and size with and without the materialised graph.

    .venv/bin/python -m bench.default_graph build/current [more releases...]

``--claims WITH WITHOUT`` instead compares two releases of the same corpus, built with and without
claims as data (``bench.claims``): the endpoint as it was before assertions ("today": the release
without them, pyoxigraph's union default graph), that release's own store as the build now writes
it (materialised default graph), and the release with assertions (its own store, materialised);
issue #12 allows the example queries and lookups at 1M to grow by at most 10% over "today".

    .venv/bin/python -m bench.default_graph --claims /tmp/kzkg-claims/build-1000000-with/current \
        /tmp/kzkg-claims/build-1000000-without/current
"""

from __future__ import annotations

import argparse
import os
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


def compare_claims(with_claims: Path, without: Path, runs: int, lookups: int, workdir: Path) -> list[str]:
    """The example queries and lookups on "today's" endpoint and on the builds' own stores (see the
    module docstring). Per query the three modes run one after the other (median of ``runs`` each),
    and the lookups run in three rotations of the modes, the best mean kept, so that load from
    other work on the machine falls on all three alike."""
    loads = []  # (what, seconds, bytes): the store stage's RocksDB load with and without the copy
    for name, release in (("no claims", without), ("claims", with_claims)):
        nquads = (release / "dumps" / "kzkg.nq").read_bytes()
        default_lines = default_graph_lines(nquads)
        for copy in (False, True):
            loaded, seconds, size = _load(nquads, default_lines if copy else None, workdir / "loaded")
            del loaded  # closes it before the next load replaces its directory
            loads.append((f"{name}, {'with' if copy else 'without'} the default graph", seconds, size))
        shutil.rmtree(workdir / "loaded")
    today, t_load, size_today = _load((without / "dumps" / "kzkg.nq").read_bytes(), None, workdir / "today")
    modes: dict[str, tuple[ox.Store, _Dataset]] = {
        "today (no claims, union)": (today, {"use_default_graph_as_union": True}),
        "no claims, materialised": (ox.Store.read_only(str(without / "store")), {}),
        "claims, materialised": (ox.Store.read_only(str(with_claims / "store")), {}),
    }
    names = list(modes)
    lines = [
        (
            f"today's store (no default graph) loaded in {t_load:.2f} s, {size_today / 1e6:.1f} MB; built stores "
            f"{store_size(without / 'store') / 1e6:.1f} MB (no claims), "
            f"{store_size(with_claims / 'store') / 1e6:.1f} MB (claims)"
        ),
        "store load (kzkg.store.load_store from the release's N-Quads): "
        + "; ".join(f"{what} {seconds:.2f} s, {size / 1e6:.1f} MB" for what, seconds, size in loads),
        "| query | "
        + " | ".join(f"{n} ms (rows)" for n in names)
        + " | claims ÷ today | claims ÷ no claims (both materialised) |",
        "|---|" + "---:|" * (len(names) + 2),
    ]
    totals = {kind: dict.fromkeys(names, 0.0) for kind in (False, True)}
    for example in load_examples():
        if "SERVICE" in example.sparql.upper():
            continue
        measured = {}
        for name, (store, dataset) in modes.items():
            _timed(store, example.sparql, 1, dataset)  # warm the page cache
            measured[name] = _timed(store, example.sparql, runs, dataset)
            totals[reads_claims_as_data(example.sparql)][name] += measured[name][0]
        cells = [f"{measured[n][0] * 1000:,.1f} ({measured[n][1]:,})" for n in names]
        lines.append(
            f"| {example.slug} | " + " | ".join(cells) + f" | {_ratio(measured[names[2]][0], measured[names[0]][0])}"
            f" | {_ratio(measured[names[2]][0], measured[names[1]][0])} |"
        )
    for new, what in (
        (False, "sum, the examples that predate claims as data"),
        (True, "sum, the claims-as-data examples"),
    ):
        sums = totals[new]
        lines.append(
            f"| **{what}** | "
            + " | ".join(f"**{sums[n] * 1000:,.0f}**" for n in names)
            + f" | **{_ratio(sums[names[2]], sums[names[0]])}** | **{_ratio(sums[names[2]], sums[names[1]])}** |"
        )
    queries = [f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}" for s in sample_subjects(without, limit=lookups)]
    best = dict.fromkeys(names, float("inf"))
    for rotation in range(3):
        for name in names[rotation:] + names[:rotation]:
            store, dataset = modes[name]
            started = time.perf_counter()
            for query in queries:
                _rows(store.query(query, **dataset))
            best[name] = min(best[name], (time.perf_counter() - started) / len(queries))
    lines.append(
        f"| lookup, mean of {len(queries)} (best of 3 rotations), µs | "
        + " | ".join(f"{best[n] * 1e6:,.0f}" for n in names)
        + f" | {_ratio(best[names[2]], best[names[0]])} | {_ratio(best[names[2]], best[names[1]])} |"
    )
    return lines


def reads_claims_as_data(sparql: str) -> bool:
    """Whether an example reads what claims assert (kz:asserts) or the disagreements computed from
    it: such examples are new with issue #12 and answer nothing on a corpus without assertions, so
    they are summed apart from the examples "today" already had."""
    return "kz:asserts" in sparql or "Disagreement" in sparql


def _ratio(candidate: float, reference: float) -> str:
    return f"{candidate / reference:.2f}" if reference else "—"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.default_graph", description=__doc__.split("\n\n")[0])
    parser.add_argument("releases", nargs="*", type=Path, help="release directories (build/current)")
    parser.add_argument(
        "--claims",
        nargs=2,
        type=Path,
        metavar=("WITH", "WITHOUT"),
        help="two releases of one corpus, with and without claims as data",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args(argv)
    if not args.releases and not args.claims:
        parser.error("name release directories, or --claims WITH WITHOUT")
    with tempfile.TemporaryDirectory(prefix="kzkg-default-graph-") as workdir:
        if args.claims:
            with_claims, without = (r.resolve() for r in args.claims)
            load = f"{os.getloadavg()[0]:.1f}"
            print("\n".join(compare_claims(with_claims, without, args.runs, args.lookups, Path(workdir))))
            print(f"load average {load} before, {os.getloadavg()[0]:.1f} after")
        for release in args.releases:
            print("\n".join(measure(release.resolve(), args.runs, args.lookups, Path(workdir))))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
