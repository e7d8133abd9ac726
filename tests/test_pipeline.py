"""The build as a whole: validation runs beside reasoning and export, and still gates publication.

``kzkg.pipeline.build`` forks SHACL validation into a child process while it reasons, loads the
store and writes the dumps. These tests make sure that overlap never lets a graph through that
validation would have stopped: a violation found only by the shapes, or a validation process that
dies, leaves ``current`` where it was and no half-made release behind.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from kzkg import pipeline
from kzkg.namespaces import KZ
from kzkg.store import RELEASES_DIR, Release, current_release

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def published(data_copy: Path, tmp_path: Path) -> tuple[Path, Release]:
    """A build dir with one good release of the copied data already published."""
    build_dir = tmp_path / "build"
    return build_dir, pipeline.build(data_copy, build_dir)


def leftovers(build_dir: Path) -> list[str]:
    return sorted(p.name for p in (build_dir / RELEASES_DIR).iterdir() if p.name.startswith("."))


def test_manifest_times_the_overlapped_stages(published: tuple[Path, Release]) -> None:
    """Validation's own time and the wall time of map..export are both recorded, so a benchmark
    can tell the overlap from the sum of the stages."""
    _, release = published
    timings = release.manifest["timings_seconds"]
    for stage in ("ingest", "map", "validate", "reason", "canonical", "store", "export", "validate_wait",
                  "rebuild", "total"):
        assert timings[stage] >= 0, stage
    assert timings["rebuild"] <= timings["total"]
    # the store is loaded in a thread while the dumps are written: they overlap, nothing else does
    sequential = timings["map"] + timings["reason"] + max(timings["store"], timings["canonical"] + timings["export"])
    assert timings["rebuild"] >= sequential - 0.005  # the manifest rounds to milliseconds


def test_a_violation_only_the_shapes_see_publishes_nothing(published: tuple[Path, Release], data_copy: Path) -> None:
    """An ontology term that lost its rdfs:comment passes every corpus check; only the annotation
    lint (run in the validation child) catches it, after reasoning and export have already run."""
    build_dir, good = published
    ontology_file = data_copy.parent / "ontology" / "kzkg.ttl"
    ontology = Graph().parse(ontology_file, format="turtle")
    claim = URIRef(str(KZ.Claim))
    assert (claim, RDFS.comment, None) in ontology
    ontology.remove((claim, RDFS.comment, None))
    ontology.serialize(ontology_file, format="turtle")

    with pytest.raises(pipeline.BuildFailed) as failed:
        pipeline.build(data_copy, build_dir)

    lines = failed.value.report.lines()
    assert lines and all(line.startswith("shacl (ontology annotations):") for line in lines), lines
    assert any(str(claim) in line for line in lines), lines
    assert current_release(build_dir) == good
    assert leftovers(build_dir) == []


def test_a_validation_process_killed_midway_publishes_nothing(
        published: tuple[Path, Release], data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the child dies without a verdict (the OOM killer, a segfault in a native library), the
    build says so and publishes nothing: no verdict is not a pass."""
    build_dir, good = published

    def killed(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(pipeline, "run_shapes", killed)  # takes effect in the forked child
    with pytest.raises(pipeline.ValidationCrashed, match="without a verdict"):
        pipeline.build(data_copy, build_dir)
    assert current_release(build_dir) == good
    assert leftovers(build_dir) == []


def test_validate_alone_reports_the_same_as_the_build(data_copy: Path) -> None:
    """`kzkg validate` runs the shapes in-process; the build's child must see the same graph."""
    ontology_file = data_copy.parent / "ontology" / "kzkg.ttl"
    ontology = Graph().parse(ontology_file, format="turtle")
    ontology.remove((URIRef(str(KZ.Event)), RDFS.label, None))
    ontology.serialize(ontology_file, format="turtle")

    report = pipeline.validate(data_copy)
    with pytest.raises(pipeline.BuildFailed) as failed:
        pipeline.build(data_copy, data_copy.parent / "build")
    assert report.lines() and failed.value.report.lines() == report.lines()
