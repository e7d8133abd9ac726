"""The SHACL decision, measured: kzkg's fast check, pyshacl and pyshacl-turbo on the same data.

``python -m bench.shacl_engines [--triples 100000] [--pyshacl]`` generates (or reuses, with
``--workdir``) a synthetic corpus with bench/synth.py, maps it as the build does, and validates the
asserted triples against ontology/shapes.ttl with each engine (best of ``--repeats``). Every engine
gets its input ready-made outside the timing: the fast check a list of triples (as the build hands
it), pyshacl and pyshacl-turbo an rdflib Graph, and pyshacl-turbo also N-Triples bytes with shapes
compiled once (its most favourable input). Agreement on (focus node, shape) pairs is what
tests/test_shacl_fast.py checks on broken data; here every engine must say "conforms".
Results and the decision: bench/README.md, *SHACL*.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyshacl import validate as pyshacl_validate
from rdflib import Graph

from bench.synth import generate
from kzkg.ingest import load_corpus
from kzkg.map import map_corpus
from kzkg.namespaces import validated
from kzkg.shacl_fast import fast_failures
from kzkg.validate import load_turtle

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeats: int, prepare: Callable[[], Any], run: Callable[[Any], bool]) -> tuple[float, bool]:
    """The fastest of ``repeats`` runs; ``prepare`` builds the input untimed each time (pyshacl
    validates in place, so an input is never reused)."""
    best, conforms = float("inf"), False
    for _ in range(repeats):
        value = prepare()
        gc.collect()
        started = time.perf_counter()
        conforms = run(value)
        best = min(best, time.perf_counter() - started)
    return best, conforms


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.shacl_engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="synthetic corpus size (default 100000)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--pyshacl", action="store_true", help="also time pyshacl alone (slow: ~10 s at 100k)")
    parser.add_argument("--workdir", type=Path, help="keep the corpus here (default: a temporary dir)")
    args = parser.parse_args(argv)
    try:
        import pyshacl_turbo
    except ImportError:
        parser.error("pyshacl-turbo is not installed: pip install -e '.[bench]'")

    with tempfile.TemporaryDirectory(prefix="kzkg-shacl-") as scratch:
        data_dir = (args.workdir or Path(scratch)) / f"synth-{args.triples}"
        if not (data_dir / "articles.yaml").exists():
            generate(args.triples, data_dir)
        ontology = load_turtle(ROOT / "ontology" / "kzkg.ttl")
        shapes = load_turtle(ROOT / "ontology" / "shapes.ttl")
        dataset, _ = map_corpus(load_corpus(data_dir), ontology)
        triples = [(s, p, o) for s, p, o, g in dataset.quads() if validated(g)]

        def graph() -> Graph:
            filled = Graph()
            for triple in triples:
                filled.add(triple)
            return filled

        options: dict[str, Any] = {"inference": "none", "allow_warnings": True}  # the same for every engine
        program = pyshacl_turbo.compile_shapes(shapes, advanced=True)
        ontology_nt = ontology.serialize(format="nt", encoding="utf-8")
        engines: list[tuple[str, Callable[[], Any], Callable[[Any], bool]]] = [
            (
                "kzkg fast check (list of triples)",
                lambda: triples,
                lambda d: fast_failures(d, shapes, ontology) == set(),
            ),
            (
                "pyshacl-turbo (rdflib Graph)",
                graph,
                lambda d: pyshacl_turbo.validate(
                    d, shacl_graph=shapes, ont_graph=ontology, advanced=True, inplace=True, **options
                )[0],
            ),
            (
                "pyshacl-turbo (N-Triples, compiled shapes)",
                lambda: graph().serialize(format="nt", encoding="utf-8") + ontology_nt,
                lambda d: program.validate(d, data_graph_format="nt", **options)[0],
            ),
        ]
        if args.pyshacl:
            engines.append(
                (
                    "pyshacl (rdflib Graph)",
                    graph,
                    lambda d: pyshacl_validate(
                        d, shacl_graph=shapes, ont_graph=ontology, advanced=True, inplace=True, **options
                    )[0],
                )
            )
        print(f"{len(triples)} asserted triples ({args.triples} requested), best of {args.repeats}")
        for name, prepare, run in engines:
            seconds, conforms = best_of(args.repeats, prepare, run)
            print(f"  {name:45s} {seconds:7.2f} s  conforms={conforms}", flush=True)


if __name__ == "__main__":
    main()
