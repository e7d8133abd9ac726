"""Shared fixtures: the real corpus built once per session, the Flask app, and a live server.

The live server is the production path — ``kzkg serve`` (gunicorn, several workers) on a free
loopback port — so tests talk HTTP to what users run, through real clients.

Markers (registered in pyproject.toml, ``--strict-markers``) are applied here, so test files need
not repeat them: ``virtuoso`` and ``browser`` to every test that uses those fixtures, ``slow`` to
those and to the tests in :data:`SLOW_TESTS`; ``w3c`` is set where the suite is read.
``./dev test -m "not slow"`` is the fast core; ``./dev test`` runs everything.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kzkg import pipeline
from kzkg.store import Release
from kzkg_server import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"

# Fixtures that start an external program: every test using one (directly or through another
# fixture) gets these markers. Starting Virtuoso or chromium alone takes seconds. `twin_builds`
# (test_assertions.py) builds two copies of the corpus that differ by a claim's assertions: 8.1 s,
# paid by whichever of its tests runs first, so all of them are slow.
FIXTURE_MARKERS = {
    "virtuoso": ("virtuoso", "slow"),
    "browser": ("browser", "slow"),
    "twin_builds": ("slow",),
}

# Tests over ~1 s, with the seconds `--durations` measured on the shared 2-core machine under load
# from other work, by "file::test name" (parametrised cases share their function's entry); a
# module whose every test pays for its own fixture (a build, a server) is listed whole as
# "file::*". The rest, `-m "not slow"`, must stay well under a minute: README, first lines.
SLOW_TESTS: dict[str, float] = {
    "test_assertions.py::test_each_mistake_is_named_with_file_entry_and_statement": 3.5,
    "test_assertions.py::test_reasoner_input_unchanged_by_assertions": 4.3,
    "test_assertions.py::test_validate_report_lists_both_directions_and_exits_0": 3.9,
    "test_assertions.py::test_well_formed_assertions_validate_clean": 2.3,
    "test_cli.py::test_every_command_has_help_with_exit_codes": 1.1,
    "test_cli.py::test_malformed_query_is_exit_2_with_position": 1.2,
    "test_cli.py::test_query_from_rq_file_and_ask": 1.0,
    "test_cli.py::test_query_table_json_csv": 2.8,
    "test_cli.py::test_reason_engines_agree_from_the_command_line": 4.0,
    "test_code_quality.py::*": 11.3,  # mypy without its cache; ruff and cached mypy take ~2 s
    "test_curation.py::test_no_claim_without_a_claimant_an_article_and_evidence": 2.5,
    "test_dumps.py::test_each_dump_downloads_and_parses_back": 1.5,
    "test_dumps.py::test_full_dump_holds_the_corpus_claims": 1.7,
    "test_export.py::test_dump_parses_back_isomorphic_in_rdflib_and_pyoxigraph": 9.0,
    "test_export.py::test_export_command_writes_each_format": 1.2,
    "test_export.py::test_rebuild_is_byte_identical": 4.0,
    "test_extract.py::test_a_draft_entry_is_refused_by_validate_and_build": 4.6,
    "test_extract.py::test_an_article_already_in_the_corpus_and_bad_meta_are_refused": 2.4,
    "test_extract.py::test_extract_adds_the_article_and_writes_drafts_every_quote_of_which_is_found": 8.8,
    "test_extract.py::test_extraction_is_deterministic_and_runs_without_the_model": 2.4,
    "test_fastcache.py::test_a_new_release_is_never_answered_from_the_old_ones_cache": 1.7,
    # with ..._byte_for_byte_flasks: the two-server fixture
    "test_fastcache.py::test_load_against_the_real_server_gets_cached_answers": 3.8,
    "test_fastcache.py::test_load_is_bounded_by_time_and_by_the_request_timeout": 1.0,
    "test_fastcache.py::test_over_http_a_new_release_is_seen_at_once": 6.7,
    "test_fastcache.py::test_over_http_the_fast_answer_is_byte_for_byte_flasks": 1.7,
    "test_limits.py::*": 37.6,  # its own build, a server, and tests that wait for time and memory limits
    "test_link.py::*": 34.9,  # a stand-in server per test (each ~0.5 s to shut down)
    "test_namespaces.py::test_the_store_default_graph_and_merged_dumps_hold_exactly_the_policys_graphs": 1.4,
    "test_pipeline.py::*": 20.1,  # every test builds a copy of the corpus
    "test_reason_engines.py::test_adding_an_article_incrementally_gives_the_full_closure": 2.6,
    "test_reason_engines.py::test_infer_gives_the_same_graph_with_either_engine": 5.9,
    "test_reason_engines.py::test_real_corpus_same_filtered_closure": 16.8,
    "test_reason_engines.py::test_rule_gap_is_closed": 2.0,
    "test_reason_engines.py::test_synthetic_corpus_same_filtered_closure": 4.1,
    "test_reason_engines.py::test_unsupported_schema_falls_back_to_owlrl": 2.0,
    "test_remote_store.py::test_a_redirecting_store_is_reported_not_followed": 5.0,
    "test_remote_store.py::test_dead_store_is_a_clear_502": 3.8,
    "test_review.py::test_accept_edit_reject_and_add_write_the_yaml_and_report_problems": 4.0,
    "test_review.py::test_approving_a_proposal_puts_it_in_the_registry_and_renames_it_in_claims": 3.3,
    "test_shacl_fast.py::test_fast_check_flags_exactly_what_pyshacl_reports_on_broken_data": 6.4,
    "test_shacl_fast.py::test_fast_check_flags_exactly_what_pyshacl_reports_on_the_ontology_lint": 1.5,
    "test_shacl_fast.py::test_shapes_beyond_the_fast_subset_are_validated_by_pyshacl": 6.8,
    "test_sparql_protocol.py::test_a_new_build_changes_answers_and_etags": 6.0,
    "test_sparql_protocol.py::test_get_post_form_and_post_direct_give_the_same_answer": 1.4,
    "test_sparql_ux.py::test_results_page_is_cached_and_respects_max_results": 4.0,
    "test_store_warm.py::test_a_live_server_keeps_its_store_warm_unless_told_not_to": 4.8,
    "test_validate.py::test_broken_data_leaves_the_published_build_untouched": 6.3,
    "test_validate.py::test_build_command_exit_codes": 5.7,
    "test_validate.py::test_quote_not_in_article_is_named_with_file_and_entry": 3.2,
    "test_validate.py::test_unknown_key_and_bad_reference_are_reported_together": 4.0,
    # added this round, measured with --durations on the 2-core machine at load ~2
    "test_bench_scale.py::*": 6.2,  # real synthetic builds and a real server per test
    "test_w3c.py::test_a_missing_suite_is_an_error_not_a_skip": 2.8,
    "test_sparql_ux.py::test_curl_and_sparqlwrapper_never_get_html": 2.0,
    "test_extract.py::test_speakers_carry_over_quotations_appositions_and_possessive_names": 1.5,
    "test_extract.py::test_leave_one_out_hides_what_only_that_article_introduced": 1.1,
    "test_review.py::test_a_claim_added_on_a_later_occurrence_of_its_words_validates_and_is_highlighted_there": 2.2,
    "test_disagreements_page.py::*": 7.3,  # its own `kzkg serve` with small parts of disagreements
}


def pytest_configure(config: pytest.Config) -> None:
    """With pytest-xdist's ``-n``, keep each module on one worker (``--dist loadscope``) unless
    ``--dist`` is given: xdist's default spreads a module's tests over the workers, so each worker
    would start its own copy of the module's build or server (test_w3c, test_sparql_protocol)."""
    if getattr(config.option, "dist", "no") == "load" and not any(
        arg.startswith("--dist") for arg in config.invocation_params.args
    ):
        config.option.dist = "loadscope"


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Apply the fixture and measured-time markers; warn when a SLOW_TESTS entry names no test
    (a renamed test would otherwise silently join the fast core)."""
    seen: set[str] = set()
    files = {item.path.name for item in items}
    for item in items:
        for fixture, marks in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                for mark in marks:
                    item.add_marker(mark)
        name = getattr(item, "originalname", item.name)
        for key in (f"{item.path.name}::{name}", f"{item.path.name}::*"):
            if key in SLOW_TESTS:
                item.add_marker("slow")
                seen.add(key)
    for key in SLOW_TESTS.keys() - seen:
        if key.split("::")[0] in files:
            warnings.warn(
                pytest.PytestWarning(f"tests/conftest.py SLOW_TESTS names {key}, which is not a test"), stacklevel=2
            )


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
        command = [
            sys.executable,
            "-m",
            "kzkg.cli",
            "serve",
            "--build-dir",
            str(build_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-build",
            *(extra_args or []),
        ]
        self.process = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
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
