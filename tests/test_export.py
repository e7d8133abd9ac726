"""Dumps: what a stranger downloads must load into their store and mean exactly our graph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kzkg.export import FORMATS, SCOPES, dump_name
from kzkg.namespaces import ID, INFERRED_GRAPH, is_assertion_graph
from kzkg.pipeline import build
from kzkg.store import Release, open_read_only

ROOT = Path(__file__).resolve().parent.parent


def store_graph(release: Release, scope: str, merged: bool = False) -> Graph:
    """The store's triples for a scope, merged, as the reference a dump must equal: its named graphs
    (the default graph is their materialised union), without claims' assertion graphs when the
    dump format merges graphs."""
    store = open_read_only(release)
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    quads = [
        q
        for q in store
        if isinstance(q.graph_name, ox.NamedNode)
        and (scope == "all" or (q.graph_name == inferred) == (scope == "inferred"))
        and not (merged and is_assertion_graph(q.graph_name))
    ]
    text = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=text.decode("utf-8"), format="nt")


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_dump_parses_back_isomorphic_in_rdflib_and_pyoxigraph(release: Release, fmt, scope: str) -> None:
    path = release.dumps_path / dump_name(fmt, scope)
    data = path.read_bytes()
    # strict second parser: pyoxigraph rejects anything not conforming to the syntax spec
    strict = list(ox.parse(data, format=fmt.rdf))
    assert strict
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig", "jsonld": "json-ld"}[
        fmt.name
    ]
    if fmt.keeps_graphs:
        parsed = Dataset()
        parsed.parse(data=data.decode("utf-8"), format=rdflib_format)
        merged = Graph()
        for s, p, o, _ in parsed.quads((None, None, None, None)):
            merged.add((s, p, o))
        graphs = {str(q.graph_name.value) for q in strict if isinstance(q.graph_name, ox.NamedNode)}
        if scope != "inferred":
            assert str(ID) + "graph/article/001" in graphs and str(ID) + "graph/entities" in graphs
    else:
        merged = Graph().parse(data=data.decode("utf-8"), format=rdflib_format)
    assert isomorphic(merged, store_graph(release, scope, merged=not fmt.keeps_graphs))


def test_rebuild_is_byte_identical(release: Release, tmp_path: Path) -> None:
    again = build(ROOT / "data", tmp_path / "build")
    assert again.build_id == release.build_id
    for fmt in FORMATS.values():
        name = dump_name(fmt, "all")
        assert (again.dumps_path / name).read_bytes() == (release.dumps_path / name).read_bytes(), name


def test_void_counts_match_the_store(release: Release) -> None:
    void = Graph().parse(release.dumps_path / "void.ttl", format="turtle")
    store = open_read_only(release)
    distinct_triples = {
        (q.subject, q.predicate, q.object)
        for q in store  # the default graph's triples
        if isinstance(q.graph_name, ox.NamedNode) and not is_assertion_graph(q.graph_name)
    }
    result = void.query("""PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?n WHERE { <https://w3id.org/kzkg/id/dataset> void:triples ?n }""")
    assert [int(row.n) for row in result] == [len(distinct_triples)]
    subsets = void.query("""PREFIX void: <http://rdfs.org/ns/void#>
        PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        SELECT ?g ?n WHERE { ?d void:subset ?s . ?s sd:name ?g ; void:triples ?n }""")
    checked = 0
    for row in subsets:
        assert int(row.n) == len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(str(row.g)))))
        checked += 1
    assert checked == len(list(store.named_graphs()))


def test_export_command_writes_each_format(build_dir: Path, tmp_path: Path, release: Release) -> None:
    out = tmp_path / "asserted.trig"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kzkg.cli",
            "export",
            "--build-dir",
            str(build_dir),
            "--format",
            "trig",
            "--scope",
            "asserted",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == (release.dumps_path / "kzkg-asserted.trig").read_bytes()
    bad = subprocess.run(
        [sys.executable, "-m", "kzkg.cli", "export", "--build-dir", str(build_dir), "--format", "docx"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "unknown format 'docx'" in bad.stderr


def test_claims_csv_names_external_properties_as_the_yaml_does(build_dir: Path) -> None:
    """An external property is shown by its prefixed name (data/README.md, External properties),
    as a kz: term is by its label: a raw IRI in "what it asserts" was unreadable beside them."""
    import csv
    import io

    result = subprocess.run(
        [sys.executable, "-m", "kzkg.cli", "export", "--build-dir", str(build_dir), "--claims", "csv"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    rows = {row["claim"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    replaces = rows["000-author-national-security-council-kgb-successor"]["asserts"].split(" | ")
    assert [s for s in replaces if " — dcterms:replaces — " in s] == replaces and len(replaces) == 1
    statements = [s for row in rows.values() for s in row["asserts"].split(" | ") if s]
    assert any(" — schema:about — " in s for s in statements)  # the corpus's reports say what they were about
    assert not [s for s in statements if " — http" in s.split(" — ", 1)[-1].rsplit(" — ", 1)[0]]
