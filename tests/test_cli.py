"""The `kzkg` command as users type it: help texts, queries in every output format, stats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
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
    rows = list(csv.DictReader(io.StringIO(kzkg("query", "--build-dir", str(build_dir), "--format", "csv", DEATH_TOLL_QUERY).stdout)))
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
