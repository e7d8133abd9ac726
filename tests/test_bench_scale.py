"""The scale measurements of claims as data, search and the views (bench/claims.py, bench/search.py,
bench/views.py, bench/default_graph.py --claims) run end to end on a small synthetic corpus: real
fresh-process builds, a real `kzkg serve --no-build` on loopback, the build's own search index.

No timing is asserted (the machine is shared); what is asserted is that each script measures what
its table says: both variants built from the same corpus, the searches chosen from the index find
rows, every view answers 200, and the endpoint comparison runs every example query in all modes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench import claims, default_graph, search, views
from bench.run import ROOT
from kzkg.examples import load_examples

SIZE = 10_000  # its corpus has Deaths figures, which /figures shows by default (3k and 5k have none)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """One round of (with, without) builds of one small corpus, through `python -m bench.claims`."""
    workdir = tmp_path_factory.mktemp("bench-claims")
    raw = workdir / "raw.json"
    claims.main(["--size", str(SIZE), "--rounds", "1", "--workdir", str(workdir), "--json", str(raw)])
    return workdir, json.loads(raw.read_text(encoding="utf-8"))


def test_claims_builds_the_same_corpus_with_and_without_assertions(
    builds: tuple[Path, list[dict]], capsys: pytest.CaptureFixture[str]
) -> None:
    workdir, results = builds
    assert [(r["variant"], r["round"]) for r in results] == [("with", 1), ("without", 1)]  # ABBA from round 2 on
    with_claims, without = results
    # Same articles, entities and claims; assertions add their graphs and the disagreements graph.
    assert with_claims["quads"] > without["quads"]
    assertion_graphs = [g for g in with_claims["graphs"] if "/assertion/" in g]
    assert assertion_graphs
    assert not [g for g in without["graphs"] if "/assertion/" in g]
    assert set(without["graphs"]) <= set(with_claims["graphs"])
    for result in results:
        assert {"ingest", "map", "reason", "store", "export", "rebuild", "total"} <= result["timings"].keys()
        assert result["peak_rss_mb"] > 0
        assert result["cpu_seconds"] > 0
        assert float(result["load_before"]) >= 0
    table = claims.render(results)
    assert "| 10,000 | with | 1 |" in table
    assert "| 10,000 | 1 pair(s) |" in table
    assert all(line.count("|") == table.splitlines()[0].count("|") for line in table.splitlines()[:4])
    for variant in claims.VARIANTS:
        assert (workdir / f"build-{SIZE}-{variant}" / "current" / "manifest.json").is_file()


def test_default_graph_compares_today_with_the_claims_build(builds: tuple[Path, list[dict]], tmp_path: Path) -> None:
    workdir, _ = builds
    lines = default_graph.compare_claims(
        workdir / f"build-{SIZE}-with" / "current",
        workdir / f"build-{SIZE}-without" / "current",
        runs=1,
        lookups=20,
        workdir=tmp_path,
    )
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| query")]
    slugs = [e.slug for e in load_examples() if "SERVICE" not in e.sparql.upper()]
    assert [row.split(" | ")[0][2:] for row in rows[: len(slugs)]] == slugs
    assert rows[len(slugs)].startswith("| **sum, the examples that predate claims as data**")
    assert rows[len(slugs) + 1].startswith("| **sum, the claims-as-data examples**")
    assert rows[-1].startswith("| lookup, mean of 20 ")
    # The curated answers do not depend on how the default graph is made: the claims-free release
    # answers the first example (death tolls) with the same rows through the union as through its
    # materialised default graph.
    first = rows[0].split(" | ")
    assert first[1].split("(")[1] == first[2].split("(")[1]


def test_search_chooses_searches_that_find_rows(builds: tuple[Path, list[dict]]) -> None:
    workdir, _ = builds
    build_dir = workdir / f"build-{SIZE}-with"
    chosen = dict(search.representative(build_dir / "current"))
    assert list(chosen) == ["rare word", "common name", "number", "two-word phrase", "most common word"]
    timings = search.time_search(build_dir / "current", runs=3)
    assert all(t.matched > 0 for t in timings), timings
    rare, most = timings[0], timings[-1]
    assert rare.matched <= most.matched
    pages = search.time_page(build_dir, runs=2)
    table = search.render([(build_dir / "current", timings, pages)])
    assert table.count("\n") == 1 + len(timings)


def test_views_answer_every_page_from_a_real_server(builds: tuple[Path, list[dict]]) -> None:
    workdir, _ = builds
    build_dir = workdir / f"build-{SIZE}-with"
    measured = views.measure(build_dir, runs=1)
    assert [p.path for p in measured] == list(views.PAGES)
    assert {p.path: p.status for p in measured} == dict.fromkeys(views.PAGES, 200)
    assert all(p.wire_bytes > 0 and p.first > 0 and p.warm_median > 0 for p in measured)
    table = views.render([(build_dir, "0.0", measured), (build_dir, "0.0", measured)])
    assert "| `/timeline` | 200," in table
    assert table.splitlines()[2].endswith("| 1.0× |")


def test_claims_as_data_leave_the_curated_corpus_unchanged(tmp_path: Path) -> None:
    """With and without claims as data the generator writes the same curated corpus: claims as data
    draw from their own random stream (they once drew actors and places from the corpus's, and the
    two variants then differed in 12 of 14 files at 20k triples)."""
    from bench.synth import generate

    generate(20_000, tmp_path / "with", seed=5, claims_as_data=True)
    generate(20_000, tmp_path / "without", seed=5, claims_as_data=False)
    files = sorted(f.relative_to(tmp_path / "without") for f in (tmp_path / "without").rglob("*") if f.is_file())
    assert files == sorted(f.relative_to(tmp_path / "with") for f in (tmp_path / "with").rglob("*") if f.is_file())
    asserted = 0
    for name in files:
        without = (tmp_path / "without" / name).read_text(encoding="utf-8")
        with_claims = (tmp_path / "with" / name).read_text(encoding="utf-8")
        if name.parts[0] != "annotations":
            assert with_claims == without, name
            continue
        annotations = yaml.safe_load(with_claims)
        for claim in annotations.get("claims", []):
            asserted += "asserts" in claim
            claim.pop("kind", None)
            claim.pop("asserts", None)
        assert annotations == yaml.safe_load(without), name
    assert asserted > 0


def test_claims_as_data_disagree_in_the_real_corpus_proportions(tmp_path: Path) -> None:
    """The synthetic corpus's keys hold as many claims as the real corpus's, and conflicting pairs
    per claim stay near the real ratio as the corpus grows (an earlier generator put claims on
    Zipf-popular events: 525 claims on one key at 1M, 25x the real pairs per claim)."""
    from bench.synth import REAL_CLAIMS_PER_KEY, generate

    real = claims.proportions(ROOT / "data")
    assert real["conflicting pairs"] > 0 and real["claims"] > 0
    assert real["claims in the largest key"] == max(REAL_CLAIMS_PER_KEY)
    synthetic = {}
    for size in (10_000, 100_000):
        generate(size, tmp_path / str(size), seed=size)
        synthetic[size] = claims.proportions(tmp_path / str(size))
    for shape in synthetic.values():
        assert shape["claims in the largest key"] <= max(REAL_CLAIMS_PER_KEY)
        assert abs(shape["keys with 2+ claims, share"] - real["keys with 2+ claims, share"]) < 0.05
    # pairs grow with the claims, not with their square: at 100k as many per claim as in data/
    assert real["pairs per claim"] / 3 <= synthetic[100_000]["pairs per claim"] <= 2 * real["pairs per claim"]
    table = claims.render_proportions([("real corpus (data/)", real), ("synthetic 100,000", synthetic[100_000])])
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in table.splitlines()[2:]}
    assert rows.keys() == real.keys()
    assert rows["pairs per claim"] == [
        f"{real['pairs per claim']:.3f}",
        f"{synthetic[100_000]['pairs per claim']:.3f} |",
    ]
