"""The dumps page and downloads, on the real corpus build: listed, downloadable, cacheable, parseable."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kzkg.namespaces import ID, KZ, VOID
from kzkg.store import Release

# What the export writes; each must be listed and must parse back in its own syntax.
PARSERS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".jsonld": "application/ld+json",
}


def dump_files(release: Release) -> list[Path]:
    return sorted(p for p in release.dumps_path.iterdir() if p.is_file() and not p.name.startswith("."))


def test_the_release_has_the_expected_dumps(release):
    names = {p.name for p in dump_files(release)}
    for expected in ("kzkg.ttl", "kzkg.nt", "kzkg.nq", "kzkg.trig", "kzkg.jsonld", "void.ttl"):
        assert expected in names


def test_listing_shows_every_file_with_size_and_media_type(client, release):
    response = client.get("/dumps")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for path in dump_files(release):
        row = re.search(
            rf'<tr class="dump">\s*<td><a class="dump-link" href="/dumps/{re.escape(path.name)}"[^>]*>'
            rf".*?</tr>",
            page,
            re.S,
        )
        assert row, path.name
        assert f'data-bytes="{path.stat().st_size}"' in row.group(0)
        assert MEDIA_TYPES.get(path.suffix, "") in row.group(0)
        assert 'download="' in row.group(0)
    assert release.build_id in page


def test_listing_as_json_matches_the_folder(client, release):
    listing = client.get("/dumps?format=json").get_json()
    assert listing["build_id"] == release.build_id
    assert {(f["name"], f["size"]) for f in listing["files"]} == {
        (p.name, p.stat().st_size) for p in dump_files(release)
    }
    assert client.get("/dumps", headers={"Accept": "application/json"}).get_json() == listing


@pytest.mark.parametrize("suffix", sorted(PARSERS))
def test_each_dump_downloads_and_parses_back(client, release, suffix):
    paths = [p for p in dump_files(release) if p.suffix == suffix]
    assert paths
    for path in paths:
        response = client.get(f"/dumps/{path.name}")
        assert response.status_code == 200
        assert response.mimetype == MEDIA_TYPES[suffix]
        assert response.headers["ETag"] == f'"{release.build_id}"'
        assert "public" in response.headers["Cache-Control"] and "max-age=" in response.headers["Cache-Control"]
        assert response.data == path.read_bytes()
        parsed = list(ox.parse(response.data, format=PARSERS[suffix]))
        assert parsed, path.name


def test_full_dump_holds_the_corpus_claims(client, release):
    """kzkg.nq is the whole store; kzkg.ttl (rdflib) has the Health Ministry's retracted toll."""
    quads = list(ox.parse(client.get("/dumps/kzkg.nq").data, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == release.manifest["quads"]
    graph = Graph().parse(data=client.get("/dumps/kzkg.ttl").data, format="turtle")
    claims = set(graph.subjects(RDF.type, KZ.Claim))
    assert len(claims) >= release.manifest["counts"]["claims"] > 0
    assert URIRef(f"{ID}claim/001-health-ministry-164-dead") in claims


def test_conditional_and_range_requests(client, release):
    etag = f'"{release.build_id}"'
    assert client.get("/dumps/kzkg.nt", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/dumps", headers={"If-None-Match": etag}).status_code == 304
    partial = client.get("/dumps/kzkg.nt", headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206 and len(partial.data) == 100


def test_download_parameter_makes_an_attachment(client):
    response = client.get("/dumps/kzkg.ttl?download=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("name", ["nope.ttl", "..%2Fmanifest.json", ".hidden", "../manifest.json"])
def test_unknown_or_outside_files_are_404(client, name):
    assert client.get(f"/dumps/{name}").status_code == 404


def test_void_is_linked_and_parses(client):
    """The dumps page links the VoID file and the well-known VoID address; both are a void:Dataset."""
    page = client.get("/dumps").get_data(as_text=True)
    assert 'href="/dumps/void.ttl"' in page and 'href="/.well-known/void"' in page
    for path in ("/dumps/void.ttl", "/.well-known/void"):
        response = client.get(path, headers={"Accept": "text/turtle"})
        assert response.status_code == 200, path
        void = Graph().parse(data=response.data, format="turtle")
        assert any(void.subjects(RDF.type, VOID.Dataset)), path
