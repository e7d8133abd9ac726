"""Page times of the views (issue #14) through a real ``kzkg serve --no-build`` on loopback.

Each build directory gets its own server (one gunicorn worker, so "first request" is that worker's
first for the page: its SPARQL queries run cold, nothing in its answer cache), then every page is
fetched once more ``--runs`` times ("warm": what the next reader gets). Requests are plain HTTP/1.1
GETs with ``Accept: text/html`` and ``Accept-Encoding: gzip``, as a browser sends them; the time is
until the last byte of the body. The first build directory named is the reference for the ratios
(measure e.g. the real corpus in the same run: the machine is shared, seconds wander).

    .venv/bin/python -m bench.views build /tmp/kzkg-claims/build-1000000-with
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.run import Server, log

# The views and their sub-pages (filters in the query string, as the pages link them).
PAGES = (
    "/timeline",
    "/network",
    "/network?topic=deaths",
    "/figures",
    "/figures?scale=log",
    "/map",
    "/browse",
    "/browse?type=actor",
    "/browse?type=actor&page=2",
    "/browse?type=event",
    "/browse?type=place",
    "/browse?type=article",
    "/disagreements",
    "/ontology",
    "/search?q=protesters",
)


@dataclass(frozen=True)
class PageTime:
    """One page on one build: status, size on the wire, first request and warm times (seconds)."""

    path: str
    status: int
    wire_bytes: int
    first: float
    warm_median: float
    warm_max: float


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    response = connection.getresponse()
    body = response.read()
    return response.status, len(body), time.perf_counter() - started


def measure(build_dir: Path, runs: int, pages: tuple[str, ...] = PAGES, timeout: float = 300.0) -> list[PageTime]:
    """Every page on a fresh one-worker server of ``build_dir``: first request, then ``runs`` warm."""
    server = Server(build_dir, workers=1)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        measured = []
        for path in pages:
            status, size, first = _get(connection, path)
            warm = [_get(connection, path)[2] for _ in range(runs)]
            measured.append(PageTime(path, status, size, first, statistics.median(warm), max(warm)))
            log(f"{build_dir.name}{path}: {status}, first {first:.3f} s, warm {measured[-1].warm_median:.3f} s")
        connection.close()
        return measured
    finally:
        server.stop()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


def _factor(candidate: float, reference: float) -> str:
    if not reference:
        return "—"
    factor = candidate / reference
    return f"{factor:.1f}×" if factor < 10 else f"{factor:.0f}×"


def render(results: list[tuple[Path, str, list[PageTime]]]) -> str:
    """Markdown: a row per page, for each build first/warm ms (and the wire size), and each later
    build's warm time as a multiple of the first build's."""
    names = [f"{d.name} (load {load})" for d, load, _ in results]
    head = "| page | " + " | ".join(f"{n}: status, kB, first ms, warm ms (max)" for n in names)
    head += "".join(f" | warm ÷ {results[0][0].name}, {d.name}" for d, _, _ in results[1:]) + " |"
    lines = [head, "|---|" + "---|" * len(results) + "---:|" * (len(results) - 1)]
    by_path = [{p.path: p for p in pages} for _, _, pages in results]
    for path in [p.path for p in results[0][2]]:
        cells = []
        for measured in by_path:
            p = measured[path]
            cells.append(
                f"{p.status}, {p.wire_bytes / 1000:,.0f}, {_ms(p.first)}, {_ms(p.warm_median)} ({_ms(p.warm_max)})"
            )
        reference = by_path[0][path].warm_median
        ratios = [_factor(m[path].warm_median, reference) for m in by_path[1:]]
        lines.append(f"| `{path}` | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.views", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "build_dirs",
        nargs="+",
        type=Path,
        help="build directories (each serves <dir>/current); the first is the reference",
    )
    parser.add_argument("--runs", type=int, default=5, help="warm requests per page")
    args = parser.parse_args(argv)
    results = []
    for build_dir in args.build_dirs:
        if not (build_dir / "current" / "manifest.json").is_file():
            parser.error(f"{build_dir}: no release at {build_dir / 'current'} (run kzkg build first)")
        load = f"{os.getloadavg()[0]:.1f}"
        results.append((build_dir.resolve(), load, measure(build_dir.resolve(), args.runs)))
    print(render(results))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
