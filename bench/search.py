"""Search latency on a build's own index (``search.sqlite``): in-process and the ``/search`` page.

Issue #14 asks for search "fast at 1M triples". This times ``kzkg.search.search`` (the 25 best of
each kind, as the page asks) and the ``/search`` page through Flask (the app's test client: routing,
the index, the template; no HTTP) for representative searches chosen from the index itself, so the
same command means the same thing on any build:

* *rare word*: the word of four letters or digits or more in the fewest rows (a name only one
  resource has; letters preferred at equal counts: the synthetic corpora's prose has 32 words);
* *common name*: the label of the actor that makes the most claims (the top of the Zipf curve);
* *number*: a number the index holds, the one in the median number of rows among the numbers
  (as a reader types "164");
* *two-word phrase*: the first two words of a quote (two words, the last one a prefix);
* *most common word*: the word in the most rows (the worst case: every row scored by BM25).

    .venv/bin/python -m bench.search build /tmp/kzkg-claims/build-1000000-with

Absolute milliseconds on a shared 2-core machine wander; each table also gives the ratio to the
first release named (measure a reference, e.g. the real corpus, in the same run).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from kzkg.namespaces import PREFIXES
from kzkg.search import INDEX_FILE, search

_TOP_CLAIMANT = """
SELECT ?label WHERE {
  { SELECT ?a (COUNT(?c) AS ?n) WHERE { ?c kz:claimedBy ?a } GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 1 }
  ?a rdfs:label ?label
} LIMIT 1"""


@dataclass(frozen=True)
class Timing:
    """One search's latencies: what was typed, how many rows matched, median and p95 in ms."""

    what: str
    text: str
    matched: int
    median_ms: float
    p95_ms: float


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _vocabulary(index: Path) -> list[tuple[str, int]]:
    """Every indexed word with the number of rows it occurs in (FTS5's own vocabulary table)."""
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        db.execute("CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, docs, 'row')")
        return list(db.execute("SELECT term, doc FROM temp.vocabulary"))
    finally:
        db.close()


def _first(store: ox.Store, query: str, name: str) -> str | None:
    results = store.query(query, prefixes=PREFIXES)
    assert isinstance(results, ox.QuerySolutions)  # a SELECT
    for row in results:
        value = row[name]
        if value is not None:
            return value.value
    return None


def representative(release: Path) -> list[tuple[str, str]]:
    """(what, text) for the searches described in the module docstring, chosen from this release."""
    vocabulary = _vocabulary(release / INDEX_FILE)
    words = [(n, not t.isalpha(), t) for t, n in vocabulary if len(t) >= 4]
    chosen = []
    if words:
        chosen.append(("rare word", min(words)[2]))
    store = ox.Store.read_only(str(release / "store"))
    name = _first(store, _TOP_CLAIMANT, "label")
    if name:
        chosen.append(("common name", name))
    del store
    numbers = sorted(((n, t) for t, n in vocabulary if t.isdigit()), reverse=True)
    if numbers:
        chosen.append(("number", numbers[len(numbers) // 2][1]))
    db = sqlite3.connect(f"file:{release / INDEX_FILE}?mode=ro", uri=True)
    try:
        quotes = db.execute("SELECT quotes FROM docs WHERE quotes != '' ORDER BY rowid LIMIT 1").fetchone()
    finally:
        db.close()
    if quotes:
        first_two = re.findall(r"[^\W\d_]{3,}", quotes[0])[:2]
        if len(first_two) == 2:
            chosen.append(("two-word phrase", " ".join(first_two)))
    if vocabulary:
        chosen.append(("most common word", max(vocabulary, key=lambda w: (w[1], w[0]))[0]))
    return chosen


def time_search(release: Path, runs: int) -> list[Timing]:
    """Each representative search ``runs`` times in this process (after one untimed run)."""
    index = release / INDEX_FILE
    timings = []
    for what, text in representative(release):
        search(index, text, per_kind=25)
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            results = search(index, text, per_kind=25)
            seconds.append(time.perf_counter() - started)
        timings.append(
            Timing(
                what,
                text,
                sum(results.totals.values()),
                statistics.median(seconds) * 1000,
                _percentile(seconds, 0.95) * 1000,
            )
        )
    return timings


def time_page(build_dir: Path, runs: int) -> list[Timing]:
    """The ``/search`` page (HTML) through Flask's test client, for the same searches."""
    from kzkg_server import create_app

    release = build_dir / "current"
    client = create_app({"TESTING": True, "BUILD_DIR": str(build_dir)}).test_client()
    timings = []
    for what, text in representative(release):
        url = f"/search?q={quote(text)}"
        first = client.get(url)
        if first.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {first.status_code} on {release}")
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url).close()
            seconds.append(time.perf_counter() - started)
        timings.append(Timing(what, text, -1, statistics.median(seconds) * 1000, _percentile(seconds, 0.95) * 1000))
    return timings


def index_rows(release: Path) -> int:
    db = sqlite3.connect(f"file:{release / INDEX_FILE}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM docs").fetchone()[0])
    finally:
        db.close()


def render(measured: list[tuple[Path, list[Timing], list[Timing]]]) -> str:
    """One markdown table: a row per (release, search), the page's times beside the function's."""
    reference = {t.what: t for t in measured[0][1]} if measured else {}
    lines = [
        (
            "| release (index rows, MB) | search | typed | matching rows | median ms | p95 ms"
            " | ÷ first release's median | /search page median ms | page p95 ms |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for release, timings, pages in measured:
        size = (release / INDEX_FILE).stat().st_size / 1e6
        where = f"{release.parent.name} ({index_rows(release):,}, {size:.0f})"
        for t, page in zip(timings, pages, strict=True):
            ref = reference.get(t.what)
            factor = f"{t.median_ms / ref.median_ms:.1f}×" if ref and ref.median_ms else "—"
            lines.append(
                f"| {where} | {t.what} | `{t.text}` | {t.matched:,} | {t.median_ms:.1f} | {t.p95_ms:.1f} | {factor}"
                f" | {page.median_ms:.1f} | {page.p95_ms:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "build_dirs",
        nargs="+",
        type=Path,
        help="build directories (each serves <dir>/current); the first is the reference",
    )
    parser.add_argument("--runs", type=int, default=50, help="timed runs per search")
    args = parser.parse_args(argv)
    measured = []
    for build_dir in args.build_dirs:
        release = build_dir / "current"
        if not (release / INDEX_FILE).is_file():
            parser.error(f"{release}: no {INDEX_FILE} (no release there, or one built before the search index)")
        load = f"{os.getloadavg()[0]:.1f}"
        measured.append((release, time_search(release, args.runs), time_page(build_dir, args.runs)))
        print(f"{build_dir}: load average {load} → {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(render(measured))


if __name__ == "__main__":
    main()
