"""One measured task per process: ``python -m bench.worker TASK …`` prints JSON lines.

Each task runs in a fresh interpreter so its peak memory (``ru_maxrss``) is its own and nothing
cached by an earlier task (parsed graphs, the in-memory schema closure, imported modules' warm
state) flatters it. The last line of output is the task's result; ``queries`` also prints one line
per query as it finishes, so a run cut short by its time budget still reports what it measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


# --- tasks ----------------------------------------------------------------------------------------


def task_build(args: argparse.Namespace) -> None:
    """A full build (ingest → export) of a data directory, as `kzkg build` runs it."""
    from kzkg import pipeline

    started = time.perf_counter()
    release = pipeline.build(Path(args.data), Path(args.build_dir), Path(args.ontology) if args.ontology else None)
    wall = time.perf_counter() - started
    manifest = release.manifest
    # The build forks its SHACL validation. The child's own RSS counts the mapped dataset it
    # shares copy-on-write with the build, so the memory held against the target is the build's
    # peak plus what the child did not share (its private pages, measured by the child when it
    # finished); the child's plain peak RSS is kept in the raw JSON too.
    child_unshared = manifest.get("peak_rss_mb", {}).get("validate (child, unshared)", 0.0)
    # CPU seconds (user + system, the build and its validation child): on a machine shared with
    # other work the wall clock measures the load as much as the build; CPU time much less so.
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    emit(
        cpu_seconds=own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        task="build",
        wall=wall,
        timings=manifest["timings_seconds"],
        quads=manifest["quads"],
        graphs=manifest["graphs"],
        release=str(release.path),
        peak_rss_mb=peak_rss_mb() + child_unshared,
        build_rss_mb=peak_rss_mb(),
        validation_rss_mb=child_unshared,
        validation_child_peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        stage_peaks_mb=manifest.get("peak_rss_mb", {}),
    )


def reasoning_input_from_release(release: Path) -> set[tuple]:
    """The build's reasoning input, rebuilt from its N-Quads dump (kzkg.namespaces.reasoned_over).

    Reading the dump instead of re-running ingest/map/validate keeps a 1M-triple comparison to
    the reasoning itself; the triples are the ones the build reasoned over.
    """
    import pyoxigraph as ox

    from kzkg.namespaces import reasoned_over
    from kzkg.oxterms import from_ox as term  # the same pyoxigraph → rdflib mapping the build uses

    triples = set()
    cache: dict = {}
    for quad in ox.parse(path=str(release / "dumps" / "kzkg.nq"), format=ox.RdfFormat.N_QUADS):
        if not reasoned_over(quad.graph_name):
            continue
        triples.add(tuple(cache.setdefault(x, term(x)) for x in (quad.subject, quad.predicate, quad.object)))
    return triples


def digest(triples) -> str:
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in triples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def task_reason(args: argparse.Namespace) -> None:
    """The reasoning stage alone (closure + noise filter) with one engine, on a build's input."""
    from kzkg.reason import infer_triples

    asserted = reasoning_input_from_release(Path(args.release))
    baseline = current_rss_mb()
    started = time.perf_counter()
    inferred = infer_triples(asserted, engine=args.engine)  # what `kzkg build` runs
    seconds = time.perf_counter() - started
    emit(
        task="reason",
        engine=args.engine,
        input_triples=len(asserted),
        inferred=len(inferred),
        seconds=seconds,
        digest=digest(inferred),
        peak_rss_mb=peak_rss_mb(),
        rss_before_mb=baseline,
    )


def task_load(args: argparse.Namespace) -> None:
    """Parse an N-Triples file into an in-memory graph: rdflib Graph or pyoxigraph Store."""
    import pyoxigraph as ox  # imported before the baseline so only the data counts
    import rdflib

    baseline = current_rss_mb()
    started = time.perf_counter()
    if args.lib == "rdflib":
        graph = rdflib.Graph()
        graph.parse(args.file, format="nt")
        size = len(graph)
    else:
        store = ox.Store()
        store.bulk_load(path=args.file, format=ox.RdfFormat.N_TRIPLES)
        size = len(store)
    seconds = time.perf_counter() - started
    emit(
        task="load",
        lib=args.lib,
        triples=size,
        seconds=seconds,
        rss_mb=current_rss_mb() - baseline,
        peak_rss_mb=peak_rss_mb(),
    )


LOAD = "(parse the N-Quads dump)"


def task_queries(args: argparse.Namespace) -> None:
    """Each example query, ``--repeat`` times, on the release store (pyoxigraph) or on rdflib."""
    from kzkg.examples import load_examples
    from kzkg.namespaces import PREFIXES

    examples = [e for e in load_examples() if "SERVICE" not in e.sparql.upper()]  # never leave loopback
    release = Path(args.release)
    if args.lib == "oxigraph":
        import pyoxigraph as ox

        store = ox.Store.read_only(str(release / "store"))

        def run(text: str) -> int:
            results = store.query(text, prefixes=PREFIXES)  # the endpoint's default graph
            if isinstance(results, ox.QueryBoolean):
                return 1
            return sum(1 for _ in results)

        failures: tuple[type[Exception], ...] = (SyntaxError, OSError)
    else:
        import rdflib

        emit(task="start", lib=args.lib, slug=LOAD)  # the watchdog limits the parse as well
        started = time.perf_counter()
        dataset = rdflib.Dataset(default_union=True)
        dataset.parse(str(release / "dumps" / "kzkg.nq"), format="nquads")
        emit(task="query", lib=args.lib, slug=LOAD, seconds=[time.perf_counter() - started], rows=None)

        def run(text: str) -> int:
            result = dataset.query(text, initNs=PREFIXES)
            return 1 if result.type == "ASK" else len(list(result))

        from rdflib.plugins.sparql.sparql import SPARQLError

        failures = (SPARQLError,)  # rdflib fails some valid queries on some data (NotBoundError)

    skip = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))  # abandoned by the watchdog
    deadline = time.perf_counter() + args.budget
    for example in examples:
        if example.slug in skip:
            continue
        emit(task="start", lib=args.lib, slug=example.slug)
        times, rows = [], None
        for _ in range(args.repeat):
            if time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            try:
                rows = run(example.sparql)
            except failures as failed:
                emit(
                    task="query",
                    lib=args.lib,
                    slug=example.slug,
                    seconds=[],
                    rows=None,
                    error=f"{type(failed).__name__}: {failed}",
                )
                break
            times.append(time.perf_counter() - started)
            if times[-1] > 2.0:
                break  # one slow run is enough to know it is slow, and repeats would eat the budget
        if times:
            emit(task="query", lib=args.lib, slug=example.slug, seconds=times, rows=rows)
    emit(task="queries", lib=args.lib, peak_rss_mb=peak_rss_mb())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    tasks = parser.add_subparsers(dest="task", required=True)
    build = tasks.add_parser("build")
    build.add_argument("--data", required=True)
    build.add_argument("--build-dir", required=True)
    build.add_argument("--ontology")
    reason = tasks.add_parser("reason")
    reason.add_argument("--release", required=True)
    reason.add_argument("--engine", required=True, choices=("reasonable", "owlrl"))
    load = tasks.add_parser("load")
    load.add_argument("--file", required=True)
    load.add_argument("--lib", required=True, choices=("rdflib", "oxigraph"))
    queries = tasks.add_parser("queries")
    queries.add_argument("--release", required=True)
    queries.add_argument("--lib", required=True, choices=("rdflib", "oxigraph"))
    queries.add_argument("--repeat", type=int, default=5)
    queries.add_argument("--budget", type=float, default=120.0)
    args = parser.parse_args(argv)
    {"build": task_build, "reason": task_reason, "load": task_load, "queries": task_queries}[args.task](args)


if __name__ == "__main__":
    main()
