"""The build as a whole: validation runs beside reasoning and export, and still gates publication.

``kzkg.pipeline.build`` forks SHACL validation into a child process while it reasons, loads the
store and writes the dumps. These tests make sure that overlap never lets a graph through that
validation would have stopped: a violation found only by the shapes, or a validation process that
dies, leaves ``current`` where it was and no half-made release behind.
"""

from __future__ import annotations

import gc
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from kzkg import pipeline
from kzkg.errors import BuildLocked
from kzkg.namespaces import KZ
from kzkg.store import RELEASES_DIR, STAGING_PREFIX, Release, build_lock, current_release

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
    for stage in (
        "ingest",
        "map",
        "validate",
        "reason",
        "canonical",
        "store",
        "export",
        "validate_wait",
        "rebuild",
        "total",
    ):
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
    published: tuple[Path, Release], data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_the_collector_is_given_back_after_a_build_and_a_validation(
    published: tuple[Path, Release], data_copy: Path
) -> None:
    """The build pauses the cyclic collector through ingest + map and freezes what they made; the
    process that built (a test run, a long-lived tool) must get it back running, nothing frozen."""
    assert gc.isenabled() and gc.get_freeze_count() == 0
    pipeline.validate(data_copy)
    assert gc.isenabled() and gc.get_freeze_count() == 0


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


# --- one build at a time; nothing left behind on any exit -----------------------------------


def kzkg_build(data_dir: Path, build_dir: Path, stderr_file: Path, **popen: object) -> subprocess.Popen:
    """`kzkg build` as a user starts it, its progress going to a file the test can watch."""
    return subprocess.Popen(
        [sys.executable, "-m", "kzkg.cli", "build", "--data-dir", str(data_dir), "--build-dir", str(build_dir)],
        stdout=subprocess.PIPE,
        stderr=stderr_file.open("w", encoding="utf-8"),
        text=True,
        **popen,
    )


def wait_for(condition, what: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the build ended (exit {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout}s"
        time.sleep(0.01)


def staging_dirs(build_dir: Path) -> list[Path]:
    return sorted((build_dir / RELEASES_DIR).glob(f"{STAGING_PREFIX}*"))


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]


def test_a_second_build_into_the_same_folder_is_refused(
    published: tuple[Path, Release], data_copy: Path, tmp_path: Path
) -> None:
    """Two real `kzkg build`s at once: the second says who holds the folder and exits 2; the first,
    held mid-build, then finishes. (The first is stopped with SIGSTOP while it holds the lock, so
    the overlap does not depend on timing.)"""
    build_dir, good = published
    first = kzkg_build(data_copy, build_dir, tmp_path / "first.err")
    try:
        wait_for(lambda: "map:" in (tmp_path / "first.err").read_text(), "mapping", first)
        first.send_signal(signal.SIGSTOP)
        second = subprocess.run(
            [sys.executable, "-m", "kzkg.cli", "build", "--data-dir", str(data_copy), "--build-dir", str(build_dir)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        first.send_signal(signal.SIGCONT)
        assert first.wait(timeout=300) == 0, (tmp_path / "first.err").read_text()
    finally:
        first.send_signal(signal.SIGCONT)
        if first.poll() is None:
            first.kill()
            first.wait()
    assert second.returncode == 2
    assert error_lines(second.stderr) == [
        (f"error: another kzkg build (pid {first.pid}) is running in {build_dir}/; wait for it to finish")
    ]
    assert current_release(build_dir) == good  # the same data: the same release
    assert staging_dirs(build_dir) == []


def test_the_library_build_takes_the_same_lock(published: tuple[Path, Release], data_copy: Path) -> None:
    build_dir, good = published
    with build_lock(build_dir), pytest.raises(BuildLocked, match=f"pid {os.getpid()}"):
        pipeline.build(data_copy, build_dir)
    assert pipeline.build(data_copy, build_dir) == good  # released on leaving the block


def test_a_killed_builds_staging_folder_is_swept_by_the_next_build(
    published: tuple[Path, Release], data_copy: Path, tmp_path: Path
) -> None:
    """SIGKILL leaves no chance to clean up; the next build removes the folder as soon as it holds
    the lock, even a build that then fails on the data."""
    build_dir, good = published
    killed = kzkg_build(data_copy, build_dir, tmp_path / "killed.err")
    try:
        wait_for(lambda: staging_dirs(build_dir), "staging folder", killed)
    finally:
        killed.kill()
        killed.wait()
    abandoned = staging_dirs(build_dir)
    assert abandoned and current_release(build_dir) == good

    annotations = data_copy / "annotations" / "001.yaml"
    annotations.write_text(
        annotations.read_text(encoding="utf-8").replace("claimed_by:", "claimd_by:", 1), encoding="utf-8"
    )
    with pytest.raises(pipeline.BuildFailed):
        pipeline.build(data_copy, build_dir)
    assert staging_dirs(build_dir) == [] and current_release(build_dir) == good


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_by_a_signal_removes_its_staging_folder(
    published: tuple[Path, Release], data_copy: Path, tmp_path: Path, signal_number: int
) -> None:
    build_dir, good = published
    stopped = kzkg_build(data_copy, build_dir, tmp_path / "stopped.err")
    try:
        wait_for(lambda: staging_dirs(build_dir), "staging folder", stopped)
        stopped.send_signal(signal_number)
        assert stopped.wait(timeout=120) == 2
    finally:
        if stopped.poll() is None:
            stopped.kill()
            stopped.wait()
    name = signal.Signals(signal_number).name
    assert error_lines((tmp_path / "stopped.err").read_text()) == [
        f"error: stopped by {name}; nothing was published, the served build is unchanged"
    ]
    assert staging_dirs(build_dir) == [] and current_release(build_dir) == good


def test_a_full_disk_is_one_line_and_exit_2_with_current_untouched(
    published: tuple[Path, Release], data_copy: Path, tmp_path: Path
) -> None:
    """A file-size limit (RLIMIT_FSIZE) makes every write past 1 MB fail with EFBIG, as a full
    disk fails them with ENOSPC: the store and the dumps cannot be written."""
    build_dir, good = published

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    full = kzkg_build(data_copy, build_dir, tmp_path / "full.err", preexec_fn=small_disk)
    assert full.wait(timeout=300) == 2
    lines = error_lines((tmp_path / "full.err").read_text())
    assert len(lines) == 1 and "could not write the release: File too large" in lines[0], lines
    assert current_release(build_dir) == good
    assert staging_dirs(build_dir) == []
