"""The `kzkg` command as users type it: help texts, queries in every output format, stats."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

COMMANDS = ("build", "validate", "reason", "export", "query", "stats", "serve", "publish", "link", "enrich")


def kzkg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kzkg.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_exit_codes(command: str) -> None:
    result = kzkg(command, "--help")
    assert result.returncode == 0
    assert "Exit codes: 0 success, 1 data violations" in result.stdout
    summary = result.stdout.split("\n\n")[1].strip()
    assert len(summary) > 20, f"{command} has no real help text"


DEATH_TOLL_QUERY = """SELECT ?figure WHERE { ?c kz:quantityKind kz:Deaths ; kz:quantity ?figure ;
                        kz:claimedBy kzid:health-ministry } ORDER BY ?figure"""


def test_query_table_json_csv(build_dir: Path) -> None:
    table = kzkg("query", "--build-dir", str(build_dir), DEATH_TOLL_QUERY)
    assert table.returncode == 0, table.stderr
    assert "164" in table.stdout and "row" in table.stdout.splitlines()[-1]
    as_json = json.loads(kzkg("query", "--build-dir", str(build_dir), "--format", "json", DEATH_TOLL_QUERY).stdout)
    figures = {b["figure"]["value"] for b in as_json["results"]["bindings"]}
    assert "164" in figures
    rows = list(
        csv.DictReader(
            io.StringIO(kzkg("query", "--build-dir", str(build_dir), "--format", "csv", DEATH_TOLL_QUERY).stdout)
        )
    )
    assert {r["figure"] for r in rows} == figures


def test_query_from_rq_file_and_ask(build_dir: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "ask.rq"
    query_file.write_text("ASK { kzid:tokayev a kz:Person }", encoding="utf-8")
    result = kzkg("query", "--build-dir", str(build_dir), str(query_file))
    assert result.returncode == 0
    assert result.stdout.strip() == "true"


def test_malformed_query_is_exit_2_with_position(build_dir: Path) -> None:
    result = kzkg("query", "--build-dir", str(build_dir), "SELECT ?x WHERE { ?x ?p }")
    assert result.returncode == 2
    assert "malformed query" in result.stderr
    assert "Traceback" not in result.stderr
    assert "1:" in result.stderr or "line" in result.stderr.lower() or "column" in result.stderr.lower()


def test_query_without_a_build_is_exit_2(tmp_path: Path) -> None:
    result = kzkg("query", "--build-dir", str(tmp_path / "nothing"), "ASK {}")
    assert result.returncode == 2
    assert "run `kzkg build`" in result.stderr


def test_stats_reports_the_build(build_dir: Path) -> None:
    result = kzkg("stats", "--build-dir", str(build_dir))
    manifest = json.loads(result.stdout)
    assert manifest["counts"]["claims"] > 50
    assert "https://w3id.org/kzkg/id/graph/inferred" in manifest["graphs"]


def test_reason_engines_agree_from_the_command_line(release) -> None:
    """`kzkg reason --engine owlrl` (the reference) prints the same inferences as the default
    engine, and both are exactly the published build's inferred graph."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    root = Path(__file__).resolve().parent.parent
    printed = {}
    for engine in ("reasonable", "owlrl"):
        result = kzkg("reason", "--data-dir", str(root / "data"), "--engine", engine)
        assert result.returncode == 0, result.stderr
        printed[engine] = Graph().parse(data=result.stdout, format="turtle")
    assert len(printed["reasonable"]) > 1000
    assert isomorphic(printed["reasonable"], printed["owlrl"])
    published = Graph().parse(release.dumps_path / "kzkg-inferred.nt", format="nt")
    assert isomorphic(printed["reasonable"], published)
    refused = kzkg("reason", "--engine", "pellet")
    assert refused.returncode == 2 and "pellet" in refused.stderr


# --- errors: one line, the documented exit code, never a traceback --------------------------


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error line, after checking it is the only thing on stderr that is not progress."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("  ")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    return lines[0]


def test_a_query_that_crashes_the_engine_is_exit_2_naming_the_cause(build_dir: Path, tmp_path: Path) -> None:
    """10,000 nested parentheses overflow pyoxigraph's parser stack: SIGSEGV (exit 139) when the
    query ran in the CLI's own process. In the child, only the child dies."""
    query_file = tmp_path / "nested.rq"
    query_file.write_text("SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }", encoding="utf-8")
    result = kzkg("query", "--build-dir", str(build_dir), str(query_file))
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    line = one_line_error(result)
    assert "SIGSEGV" in line and "stack overflow" in line and "10002 levels deep" in line, line
    assert result.stdout == ""


def test_a_killed_query_process_is_exit_2_naming_the_signal(build_dir: Path) -> None:
    """Whatever kills the query's process (the OOM killer, a signal), the CLI outlives it and says so."""
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    process = subprocess.Popen(
        [sys.executable, "-m", "kzkg.cli", "query", "--build-dir", str(build_dir), runaway],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        deadline = time.monotonic() + 60
        while not children.read_text().split():
            assert process.poll() is None and time.monotonic() < deadline, "the query child never started"
            time.sleep(0.05)
        child = int(children.read_text().split()[0])
        time.sleep(0.3)  # into the evaluation
        os.kill(child, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert result.returncode == 2, stderr
    assert "crashed (SIGKILL)" in one_line_error(result)


def test_an_engine_abort_is_exit_2_naming_the_cause(build_dir: Path) -> None:
    """Rust aborts the process (SIGABRT, exit 134 in-process) when an allocation fails: here a
    GROUP_CONCAT over a cross join outgrows a 1 GB address-space limit. The child dies, the
    command reports why."""
    import resource

    def one_gigabyte() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    greedy = "SELECT (STRLEN(GROUP_CONCAT(?o)) AS ?n) WHERE { ?s schema:articleBody ?o . ?a ?b ?c }"
    result = subprocess.run(
        [sys.executable, "-m", "kzkg.cli", "query", "--build-dir", str(build_dir), greedy],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=one_gigabyte,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_line_error(result)
    assert "crashed (SIGABRT): out of memory (could not allocate" in line, line


def test_a_missing_query_file_is_named_not_called_malformed(build_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nosuch.rq"
    result = kzkg("query", "--build-dir", str(build_dir), str(missing))
    assert result.returncode == 2
    line = one_line_error(result)
    assert f"{missing}: no such query file" in line and "malformed" not in line
    folder = tmp_path / "folder.rq"
    folder.mkdir()
    result = kzkg("query", "--build-dir", str(build_dir), str(folder))
    assert result.returncode == 2 and "not a regular file" in one_line_error(result)


def test_table_cells_are_cut_but_csv_keeps_them_whole(build_dir: Path) -> None:
    """An article's whole text in one cell used to set that column's width for every row."""
    from kzkg.query import TABLE_CELL_WIDTH

    text_query = "SELECT ?text WHERE { ?a schema:articleBody ?text }"
    table = kzkg("query", "--build-dir", str(build_dir), text_query)
    assert table.returncode == 0, table.stderr
    rows = table.stdout.splitlines()
    assert rows[-1].startswith("(") and "rows" in rows[-1]
    assert max(len(row) for row in rows) <= TABLE_CELL_WIDTH
    assert any(row.rstrip().endswith("…") for row in rows[2:-1])
    whole = list(
        csv.DictReader(io.StringIO(kzkg("query", "--build-dir", str(build_dir), "--format", "csv", text_query).stdout))
    )
    assert len(whole) == len(rows) - 3 and max(len(r["text"]) for r in whole) > 10 * TABLE_CELL_WIDTH


def test_an_unwritable_output_is_one_line_not_a_traceback(build_dir: Path, tmp_path: Path) -> None:
    result = kzkg("export", "--build-dir", str(build_dir), "-o", str(tmp_path / "no" / "such" / "dir" / "x.ttl"))
    assert result.returncode == 2
    assert "No such file or directory" in one_line_error(result)


def test_exit_codes_are_one_table_in_the_cli_and_old_imports_still_work() -> None:
    from kzkg import cli, validate
    from kzkg.errors import DataViolations, InputError, NoBuildError, QueryCrashed
    from kzkg.store import NoReleaseError

    assert (cli.EXIT_CLEAN, cli.EXIT_VIOLATIONS, cli.EXIT_ERROR) == (0, 1, 2)
    assert (validate.EXIT_CLEAN, validate.EXIT_VIOLATIONS, validate.EXIT_ERROR) == (0, 1, 2)
    assert cli.exit_code_for(DataViolations("x")) == 1
    for error in (InputError("x"), NoReleaseError("x"), QueryCrashed("x")):
        assert cli.exit_code_for(error) == 2
    assert issubclass(NoReleaseError, NoBuildError) and issubclass(NoReleaseError, FileNotFoundError)
    assert (
        str(InputError("not UTF-8", file="a.yaml", line=3, column=7, entry="claim x"))
        == "a.yaml:3:7: claim x: not UTF-8"
    )


def test_endpoint_queries_still_run_in_process_and_agree(build_dir: Path, live_server) -> None:
    """`--endpoint` speaks the protocol (no child needed: a remote crash cannot take us down)."""
    local = kzkg("query", "--build-dir", str(build_dir), "--format", "csv", DEATH_TOLL_QUERY)
    remote = kzkg("query", "--endpoint", live_server.url + "/sparql", "--format", "csv", DEATH_TOLL_QUERY)
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert local.stdout.replace("\r\n", "\n") == remote.stdout.replace("\r\n", "\n")
    refused = kzkg("query", "--endpoint", live_server.url + "/sparql", "SELECT ?x WHERE { ?x ?p }")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and "error: " in refused.stderr
