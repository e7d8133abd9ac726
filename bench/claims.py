"""What claims as data cost a build: the same synthetic corpus with and without ``kind``/``asserts``.

Issue #12 allows the build at 1M triples to grow by at most 10% over "today's" (the corpus without
assertions, ``bench.synth.generate(..., claims_as_data=False)``). On a 2-core machine shared with
other work, two builds run minutes apart can differ by 2x on load alone, so the builds are
interleaved — with, without, then without, with (ABBA) — each in a fresh process (``bench.worker build``), and
the load average is recorded beside each: a ratio is only read between neighbours that saw the
same machine.

    .venv/bin/python -m bench.claims --size 1000000 --rounds 2 --workdir /tmp/kzkg-claims

``--workdir`` keeps the corpora and the last build of each variant (``build-with``,
``build-without``), which ``bench.default_graph --compare``, ``bench.search`` and ``bench.views``
then measure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.run import ROOT, log, worker
from bench.synth import generate
from kzkg.disagreements import _key, compute_disagreements
from kzkg.ingest import load_corpus

VARIANTS = ("with", "without")
# The stages a row shows, in the manifest's names. "store" includes "canonical" (the canonical
# quads and lines, before the RocksDB load that runs in a thread beside the export).
COLUMNS = ("ingest", "map", "validate", "reason", "canonical", "store", "export", "search_index", "rebuild", "total")


def corpus_dirs(size: int, workdir: Path) -> dict[str, Path]:
    """The two data directories of one size and seed, generated once and reused by later runs
    (the generator is deterministic: same size and seed, same files)."""
    dirs = {}
    for variant in VARIANTS:
        data = workdir / f"corpus-{size}-{variant}" / "data"
        if not (data / "articles.yaml").is_file():
            log(f"{size:,} triples, claims as data {variant}: generating")
            shutil.rmtree(data, ignore_errors=True)
            generate(size, data, seed=size, claims_as_data=variant == "with")
        dirs[variant] = data
    return dirs


def load_average() -> str:
    """The 1-minute load average now (2 cores: above 2 means builds waited for a core)."""
    return f"{os.getloadavg()[0]:.1f}"


def run_builds(size: int, rounds: int, workdir: Path) -> list[dict]:
    """``rounds`` × (with, without) fresh-process builds, interleaved; one result per build."""
    dirs = corpus_dirs(size, workdir)
    results = []
    for round_ in range(1, rounds + 1):
        # ABBA: with, without, without, with, … so that whatever the previous build leaves behind
        # (page cache, writeback, a warmer CPU) falls on both variants alike.
        for variant in VARIANTS if round_ % 2 else VARIANTS[::-1]:
            build_dir = workdir / f"build-{size}-{variant}"
            shutil.rmtree(build_dir, ignore_errors=True)  # a fresh build each time, as the bench does
            # The previous build's release (hundreds of MB at 1M) may still be in the page cache,
            # dirty: write it out now, not while the next build reads its corpus.
            os.sync()
            before = load_average()
            result = worker(
                "build",
                "--data",
                str(dirs[variant]),
                "--build-dir",
                str(build_dir),
                "--ontology",
                str(ROOT / "ontology"),
                timeout=3600,
            )[-1]
            result.update(variant=variant, round=round_, size=size, load_before=before, load_after=load_average())
            log(
                f"{size:,} {variant} claims as data, round {round_}: {result['wall']:.1f} s, "
                f"{result['peak_rss_mb']:.0f} MB, load {before} → {result['load_after']}"
            )
            results.append(result)
    return results


def proportions(data_dir: Path) -> dict[str, float]:
    """How a corpus's claims disagree, read as the build reads it: claims per (subject, property)
    key and conflicting pairs per claim. Issue #12 wants the synthetic corpora in the real
    corpus's proportions; the pairs grow with the square of a key's claims, so one outsized key
    (the Zipf-popular events of an earlier generator: 525 claims) decides what a build costs."""
    claims = list(load_corpus(data_dir).claims.values())
    keys: dict[tuple, set[str]] = {}
    for claim in claims:
        for statement in claim.asserts:
            key = None if statement.asserted_event else _key(statement)
            if key is not None:
                keys.setdefault(key, set()).add(claim.id)
    found = compute_disagreements(claims)
    sizes = sorted(len(members) for members in keys.values())
    sides = sorted(len({side.claim for side in point.sides}) for point in found)
    pairs = sum(len(point.conflicts) for point in found)
    in_conflict = {claim for point in found for pair in point.conflicts for claim in pair}
    return {
        "claims": len(claims),
        "statements": sum(len(claim.asserts) for claim in claims),
        "keys": len(sizes),
        "keys with 2+ claims, share": sum(size > 1 for size in sizes) / max(1, len(sizes)),
        "claims in the largest key": sizes[-1] if sizes else 0,
        "disagreements": len(found),
        "claims in the largest disagreement": sides[-1] if sides else 0,
        "conflicting pairs": pairs,
        "pairs per claim": pairs / max(1, len(claims)),
        "claims in a conflict, share": len(in_conflict) / max(1, len(claims)),
    }


def render_proportions(rows: list[tuple[str, dict[str, float]]]) -> str:
    """Markdown: one column per corpus (the real one first), one row per measure."""
    lines = ["| measure | " + " | ".join(name for name, _ in rows) + " |", "|---|" + "---:|" * len(rows)]
    for measure in rows[0][1]:
        cells = []
        for _, values in rows:
            value = values[measure]
            cells.append(f"{value:.3f}" if isinstance(value, float) else f"{value:,}")
        lines.append(f"| {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _stage(build: dict, stage: str) -> float:
    return build["timings"].get(stage) or 0.0


def _pair_ratio(pairs: list[tuple[dict, dict]], get: Callable[[dict], float]) -> str:
    """Median over the (with, without) pairs of with ÷ without."""
    values = [get(w) / get(o) for w, o in pairs if get(o)]
    return f"{statistics.median(values):.2f}" if values else "—"


def render(results: list[dict]) -> str:
    """Markdown: one row per build in the order they ran, then the ratio with ÷ without per stage
    (median over the rounds of each round's own ratio, so each ratio compares neighbours)."""
    head = (
        "| size | claims as data | round | load avg before → after | quads | "
        + " | ".join(COLUMNS)
        + " | CPU s (build + validation child) | peak RSS MB |"
    )
    lines = [head, "|---|---|---:|---|---:|" + "---:|" * (len(COLUMNS) + 2)]
    for r in results:
        t = r["timings"]
        lines.append(
            f"| {r['size']:,} | {r['variant']} | {r['round']} | {r['load_before']} → {r['load_after']} | "
            f"{r['quads']:,} | "
            + " | ".join(_cell(t.get(c)) for c in COLUMNS)
            + f" | {_cell(r.get('cpu_seconds'))} | {r['peak_rss_mb']:.0f} |"
        )
    lines += ["", "| size | with ÷ without, median of the rounds | " + " | ".join(COLUMNS) + " | CPU s | peak RSS |"]
    lines.append("|---|---|" + "---:|" * (len(COLUMNS) + 2))
    for size in sorted({r["size"] for r in results}):
        pairs = [
            (w, o)
            for w in results
            for o in results
            if w["size"] == o["size"] == size and w["round"] == o["round"] and (w["variant"], o["variant"]) == VARIANTS
        ]
        if not pairs:
            continue

        cells = [_pair_ratio(pairs, partial(_stage, stage=c)) for c in COLUMNS]
        cpu = _pair_ratio(pairs, lambda b: b.get("cpu_seconds") or 0.0)
        memory = _pair_ratio(pairs, lambda b: b["peak_rss_mb"])
        lines.append(f"| {size:,} | {len(pairs)} pair(s) | " + " | ".join(cells) + f" | {cpu} | {memory} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.claims", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, action="append", help="target triples (repeatable; default 100000)")
    parser.add_argument("--rounds", type=int, default=2, help="(with, without) pairs per size")
    parser.add_argument("--workdir", type=Path, help="keep corpora and the last builds here (default: temporary)")
    parser.add_argument("--json", type=Path, help="also write every build's raw result here")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kzkg-claims-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    shapes = [("real corpus (data/)", proportions(ROOT / "data"))]
    try:
        for size in args.size or [100_000]:
            results += run_builds(size, args.rounds, workdir)
            shapes.append((f"synthetic {size:,}", proportions(corpus_dirs(size, workdir)["with"])))
    finally:
        if args.json:
            args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(results))
    print()
    print(render_proportions(shapes))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
