"""The whole build, stage by stage: ingest → map → validate → reason → store → export.

The CLI and the tests call these functions; nothing here prints. A build either publishes a
complete new release or raises, leaving the served release exactly as it was.
"""

from __future__ import annotations

import gc
import itertools
import json
import multiprocessing
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kzkg import __version__, search
from kzkg.assertion_format import coverage
from kzkg.assertion_graphs import checked_triples
from kzkg.corpus import Corpus
from kzkg.enrich import load_enrichment
from kzkg.errors import BuildInterrupted, DataViolations, InputError, OutputError, ValidationCrashed
from kzkg.export import Canonical, gzip_dumps, void_description, write_dumps
from kzkg.ingest import load_corpus
from kzkg.map import MappedDataset, map_corpus
from kzkg.namespaces import INFERRED_GRAPH, reasoned_over, validated
from kzkg.oxterms import quads_to_ox
from kzkg.reason import infer_triples
from kzkg.resources import peak_rss_mb, private_mb, without_cyclic_gc
from kzkg.store import MANIFEST, STORE_DIR, Release, build_lock, content_id, load_store, new_staging_dir, publish
from kzkg.validate import Report, check_references, load_turtle, run_shapes

Progress = Callable[[str], None]


class BuildFailed(DataViolations):
    """The data has problems; nothing was published. ``report`` lists them."""

    def __init__(self, report: Report):
        super().__init__(
            f"{len(report.lines())} problem(s) in the data; the published build is unchanged", report.lines()
        )
        self.report = report


@dataclass
class Prepared:
    """The result of ingest + map + validate: what a build reasons over and publishes."""

    corpus: Corpus
    dataset: MappedDataset
    report: Report
    timings: dict[str, float] = field(default_factory=dict)


def default_ontology_dir(data_dir: Path) -> Path:
    return Path(data_dir).resolve().parent / "ontology"


def _quiet(_: str) -> None:
    return None


@dataclass
class _Mapped:
    """Ingest + map + the corpus checks: everything validation and the later stages start from."""

    corpus: Corpus
    dataset: MappedDataset
    problems: list
    shapes: Graph
    ontology: Graph
    lint: Graph
    timings: dict[str, float]
    peaks: dict[str, float] = field(default_factory=dict)  # MB, this process's peak RSS after each stage


def _ingest_and_map(data_dir: Path, ontology_dir: Path | None, progress: Progress) -> _Mapped:
    """Raises InputError when the input cannot be read at all."""
    ontology_dir = Path(ontology_dir or default_ontology_dir(data_dir))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    progress("ingest: reading articles and annotations")
    corpus = load_corpus(Path(data_dir))
    timings["ingest"] = time.perf_counter() - started
    ingest_peak = peak_rss_mb()

    started = time.perf_counter()
    progress("map: locating quotes and writing triples")
    try:
        ontology = load_turtle(ontology_dir / "kzkg.ttl")
        shapes = load_turtle(ontology_dir / "shapes.ttl")
        lint = load_turtle(ontology_dir / "annotation-shape.ttl")
    except (OSError, SyntaxError, ValueError) as broken:  # rdflib raises BadSyntax (a SyntaxError)
        raise InputError(
            f"the ontology or its shapes cannot be read: {_one_line(broken)}", file=ontology_dir
        ) from broken
    dataset, mapping_problems = map_corpus(corpus, ontology)
    try:  # external facts (kzkg enrich) in their own graph: published, never validated or reasoned over
        load_enrichment(dataset, Path(data_dir))
    except (OSError, SyntaxError, ValueError) as broken:
        raise InputError(f"cannot be read: {_one_line(broken)}", file=Path(data_dir) / "enrichment") from broken
    timings["map"] = time.perf_counter() - started

    started = time.perf_counter()
    problems = corpus.problems + check_references(corpus) + mapping_problems
    timings["validate"] = time.perf_counter() - started  # the SHACL part is added by the caller
    return _Mapped(
        corpus, dataset, problems, shapes, ontology, lint, timings, {"ingest": ingest_peak, "map": peak_rss_mb()}
    )


def _shacl_lines(mapped: _Mapped) -> list[str]:
    """The data shapes over everything asserted by us, and the annotation lint over the ontology."""
    # Plain triples: run_shapes fills an rdflib Graph only if pyshacl has to write the report.
    asserted = {
        triple for graph in mapped.dataset.graphs() if validated(graph.identifier) for triple in checked_triples(graph)
    }
    return run_shapes(asserted, mapped.shapes, mapped.ontology) + [
        line.replace("shacl:", "shacl (ontology annotations):", 1)
        for line in run_shapes(mapped.ontology, mapped.lint, Graph())
    ]


def prepare(data_dir: Path, ontology_dir: Path | None = None, progress: Progress = _quiet) -> Prepared:
    """Ingest, map and validate. Raises InputError when the input cannot be read at all."""
    with without_cyclic_gc():  # why: see _build
        mapped = _ingest_and_map(data_dir, ontology_dir, progress)
    started = time.perf_counter()
    progress("validate: corpus checks and SHACL shapes")
    report = Report(problems=mapped.problems, checked_files=len(mapped.corpus.files), shacl=_shacl_lines(mapped))
    mapped.timings["validate"] += time.perf_counter() - started
    return Prepared(mapped.corpus, mapped.dataset, report, mapped.timings)


def _one_line(error: BaseException) -> str:
    """A library's message on one line (rdflib's parse errors span several)."""
    return " ".join(str(error).split())


def _validate_in_child(mapped: _Mapped, send: Connection) -> None:
    """Runs in the forked child: the verdict and how long it took go back through the pipe."""
    # The build's handlers turn SIGTERM/SIGINT into an exception for its own cleanup; here that
    # would print a traceback when the build cancels us. The build cleans up; the child just goes.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    started = time.perf_counter()
    lines = _shacl_lines(mapped)
    send.send((lines, time.perf_counter() - started, private_mb()))
    send.close()


class _ShapesBeside:
    """SHACL validation in a forked child while this process reasons, stores and exports.

    Why a fork: validation only reads the mapped dataset, and the later stages do not depend on
    its verdict until publication, so on two cores the build's wall time becomes
    max(validate, reason + store + export) instead of their sum. The child inherits the dataset
    copy-on-write (nothing is pickled), and the build publishes only after the child's verdict:
    a failing shape still means nothing is published.
    """

    def __init__(self, mapped: _Mapped):
        context = multiprocessing.get_context("fork")
        self._verdict, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_validate_in_child, args=(mapped, send), name="kzkg-validate", daemon=True
        )
        self._process.start()
        send.close()  # ours; the child holds its own, so its death reads as EOF here

    def verdict(self) -> tuple[list[str], float, float]:
        """The SHACL lines, the child's seconds and the memory it did not share with this process
        (MB); waits for the child if it is still working."""
        try:
            lines, seconds, private = self._verdict.recv()
        except EOFError as died:
            self._process.join()
            code = self._process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}, error above"
            raise ValidationCrashed(
                f"SHACL validation stopped without a verdict ({how}); nothing was published"
            ) from died
        finally:
            self._verdict.close()
        self._process.join()
        return lines, seconds, private

    def cancel(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._verdict.close()


def validate(data_dir: Path, ontology_dir: Path | None = None, progress: Progress = _quiet) -> Report:
    return prepare(data_dir, ontology_dir, progress).report


def reasoning_triples(dataset: MappedDataset) -> set[tuple]:
    """Everything asserted, ontology included, except the owl:sameAs links (see kzkg.reason), the
    external facts of the enrichment graph (someone else's statements, not ours to reason over),
    and claims' assertion graphs and the disagreements computed from them (claims, not facts).

    A plain set: the reasoner only iterates and tests membership, and filling an rdflib Graph
    costs a build time for nothing (figures: bench/README.md).
    """
    return {triple for graph in dataset.graphs() if reasoned_over(graph.identifier) for triple in graph}


def reasoning_input(dataset: MappedDataset) -> Graph:
    """The reasoner's input (:func:`reasoning_triples`) as an rdflib Graph."""
    graph = Graph()
    for triple in reasoning_triples(dataset):
        graph.add(triple)
    return graph


def to_quads(dataset: MappedDataset, inferred: Iterable[tuple]) -> Iterator[ox.Quad]:
    """rdflib → pyoxigraph term by term (the same quads as an N-Quads round trip, several times
    faster), streamed: at scale a list of them would add to the build's peak memory."""
    inferred_quads = ((s, p, o, INFERRED_GRAPH) for s, p, o in inferred)
    return quads_to_ox(itertools.chain(dataset.quads(), inferred_quads))


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise BuildInterrupted, so the build's ``finally`` blocks remove its
    staging folder (a default SIGTERM would end the process with no cleanup at all).

    Only the first signal raises: a second one during the cleanup is ignored rather than allowed
    to cut it short (SIGKILL still ends everything; the next build sweeps what is left).
    """
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def stop(number: int, _frame: object) -> None:
        for each in previous:
            signal.signal(each, signal.SIG_IGN)
        raise BuildInterrupted(
            f"stopped by {signal.Signals(number).name}; nothing was published, the served build is unchanged"
        )

    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    for number in previous:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def build(data_dir: Path, build_dir: Path, ontology_dir: Path | None = None, progress: Progress = _quiet) -> Release:
    """Build and publish a release; raise BuildFailed (nothing published) if the data has problems.

    One build at a time per build directory (:func:`kzkg.store.build_lock`; a second raises
    BuildLocked). Any failure — violations, unreadable input, a full disk (OutputError), a signal
    (BuildInterrupted) — removes the staging folder and leaves ``current`` as it was.
    """
    with build_lock(Path(build_dir)), _stopped_by_signals():
        try:
            return _build(data_dir, build_dir, ontology_dir, progress)
        except OSError as failed:  # reading is checked where it happens: what is left is writing
            where = failed.filename or build_dir
            raise OutputError(
                f"could not write the release: {failed.strerror or failed}; nothing was published, "
                "the served build is unchanged",
                file=where,
            ) from failed


def _build(data_dir: Path, build_dir: Path, ontology_dir: Path | None, progress: Progress) -> Release:
    build_started = time.perf_counter()
    # Ingest and map build the corpus and the dataset, millions of objects that live until the end
    # of the build and leave almost no cyclic garbage: with the collector running, every burst of
    # allocations walked all of them again, most of these two stages' CPU at scale, and more with
    # claims as data, whose YAML and terms are more objects to walk (figures: bench/README.md).
    with without_cyclic_gc():
        mapped = _ingest_and_map(data_dir, ontology_dir, progress)
        # The mapped dataset lives until the end of the build: keep the collector from walking it
        # again and again, and from dirtying the child's shared pages. Frozen before the collector
        # is back, so that it never walks the objects made above even once.
        gc.freeze()
    timings = mapped.timings
    rebuild_started = build_started + timings["ingest"]
    staging: Path | None = None
    try:
        progress("validate: SHACL shapes, in a child process beside reasoning and export")
        validation = _ShapesBeside(mapped)
        try:
            if mapped.problems:  # the build fails anyway: only wait for the complete report
                shacl, _, _ = validation.verdict()
                raise BuildFailed(Report(problems=mapped.problems, shacl=shacl, checked_files=len(mapped.corpus.files)))
            staging, canonical, build_id = _reason_store_export(mapped, build_dir, timings, progress)
            waited = time.perf_counter()
            shacl, validate_seconds, validate_private = validation.verdict()
            timings["validate_wait"] = time.perf_counter() - waited
        finally:
            validation.cancel()
        timings["validate"] += validate_seconds
        mapped.peaks["validate (child, unshared)"] = validate_private
        if shacl:
            raise BuildFailed(Report(problems=mapped.problems, shacl=shacl, checked_files=len(mapped.corpus.files)))
        timings["rebuild"] = time.perf_counter() - rebuild_started  # map..export, wall clock
        timings["total"] = time.perf_counter() - build_started
        _write_release_files(mapped, staging, canonical, build_id, timings)
        progress(f"publish: release {build_id}")
        release = publish(build_dir, staging, build_id)
        staging = None
        return release
    finally:
        gc.unfreeze()
        if staging is not None:  # failed or interrupted: the half-made release goes, current stays
            shutil.rmtree(staging, ignore_errors=True)


def _reason_store_export(
    mapped: _Mapped, build_dir: Path, timings: dict[str, float], progress: Progress
) -> tuple[Path, Canonical, str]:
    started = time.perf_counter()
    progress("reason: OWL-RL closure")
    inferred = infer_triples(reasoning_triples(mapped.dataset))  # a set: no rdflib Graph to fill
    timings["reason"] = time.perf_counter() - started
    mapped.peaks["reason"] = peak_rss_mb()

    started = time.perf_counter()
    progress("store: canonical quads")
    canonical = Canonical.from_quads(to_quads(mapped.dataset, inferred))
    del inferred
    nquads = canonical.nquads()
    default_graph = canonical.triple_lines("all")  # made before the threads, which both read it
    build_id = content_id(nquads)
    staging = new_staging_dir(build_dir)
    timings["canonical"] = time.perf_counter() - started
    try:
        # pyoxigraph loads RocksDB with the GIL released, so the store is written on one core while
        # the dumps are serialised on the other; the release waits for both.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kzkg-store") as loader:
            progress("store: loading the release store, beside the export")
            loading = loader.submit(_timed, load_store, staging / STORE_DIR, nquads, default_graph)
            # The search index reads the loaded store (same thread, after it), still beside the dumps.
            indexing = loader.submit(_timed, search.write_index, staging / STORE_DIR, staging / search.INDEX_FILE)
            started = time.perf_counter()
            progress("export: dumps and VoID")
            dumps = write_dumps(canonical, staging / "dumps")
            void = void_description(canonical, [p.name for p in dumps])
            (staging / "dumps" / "void.ttl").write_bytes(void)
            (staging / "void.ttl").write_bytes(void)
            gzip_dumps(staging / "dumps")
            timings["export"] = time.perf_counter() - started
            timings["store"] = timings["canonical"] + loading.result()
            timings["search_index"] = indexing.result()
        mapped.peaks["export"] = mapped.peaks["store"] = peak_rss_mb()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, canonical, build_id


def _timed(work: Callable[..., object], *args: object) -> float:
    """Run ``work`` and return its seconds (for a stage that runs in another thread)."""
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def _write_release_files(
    mapped: _Mapped, staging: Path, canonical: Canonical, build_id: str, timings: dict[str, float]
) -> None:
    """The article texts and the manifest, beside the store and the dumps."""
    # The article texts travel with the release, so a server installed anywhere can show them.
    for article in mapped.corpus.articles.values():
        copy = staging / article.file
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(article.text, encoding="utf-8", newline="")

    manifest = {
        "build_id": build_id,
        "kzkg_version": __version__,
        "quads": len(canonical),
        "triples": len(canonical.triple_lines("all")),  # distinct triples: the union default graph's size
        "graphs": dict(sorted(canonical.graph_sizes().items())),
        "articles": {a.id: a.file for a in mapped.corpus.articles.values()},
        "counts": {
            "claims": len(mapped.corpus.claims),
            "events": len(mapped.corpus.events),
            "entities": len(mapped.corpus.entities),
        },
        "claims_as_data": coverage(mapped.corpus.claims.values()),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "peak_rss_mb": {k: round(v, 1) for k, v in mapped.peaks.items()},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
