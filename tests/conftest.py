"""Shared fixtures: the real corpus built once per session, the Flask app, and a live server.

The live server is the production path — ``kzkg serve`` (gunicorn, several workers) on a free
loopback port — so tests talk HTTP to what users run, through real clients.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kzkg import pipeline
from kzkg.store import Release
from kzkg_server import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ and ontology/ laid out as in the repository, for tests that break it."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    return tmp_path / "data"


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the real corpus, made once per test session in a private directory."""
    target = tmp_path_factory.mktemp("build")
    pipeline.build(DATA_DIR, target)
    return target


@pytest.fixture(scope="session")
def release(build_dir: Path) -> Release:
    from kzkg.store import current_release

    return current_release(build_dir)


@pytest.fixture(scope="session")
def store(release: Release):
    """The real build's store, opened read-only as the endpoint opens it."""
    from kzkg.store import open_read_only

    return open_read_only(release)


@pytest.fixture(scope="session")
def corpus():
    """The curated data as ingested (records, not RDF), for checks phrased in YAML terms."""
    from kzkg.ingest import load_corpus

    return load_corpus(DATA_DIR)


@pytest.fixture()
def app(build_dir: Path):
    return create_app({"TESTING": True, "BUILD_DIR": str(build_dir)})


@pytest.fixture()
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A `kzkg serve` subprocess on loopback; `url` is its base URL."""

    def __init__(self, build_dir: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "kzkg.cli", "serve", "--build-dir", str(build_dir),
                   "--host", "127.0.0.1", "--port", str(self.port), "--no-build", *(extra_args or [])]
        self.process = subprocess.Popen(command, env={**os.environ, **(env or {})},
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()  # never leave a server running with no owner
            raise

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kzkg serve exited early:\n{self.process.stdout.read()}")
            try:
                requests.get(self.url + "/sparql", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"kzkg serve did not answer on {self.url} within {timeout}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def live_server(build_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(build_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):
    """A real Virtuoso on loopback; `./dev test` installs it, so in CI its absence is a failure."""
    from bench import virtuoso_server as launcher

    if not launcher.available():
        if os.environ.get("CI"):
            pytest.fail("virtuoso-t is not installed (./dev test installs virtuoso-opensource-7-bin)")
        pytest.skip("virtuoso-t is not installed (run ./dev test to install it)")
    server = launcher.Virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()
