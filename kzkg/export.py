"""Stage 6, export: dumps that strangers load into their own stores, and their VoID description.

Dumps are written from one canonical, sorted form of the graph (:class:`Canonical`) by
pyoxigraph's serialisers, so the same graph always gives the same bytes (diffable releases, stable
checksums) and the Turtle groups each subject's triples together. Triple formats (Turtle,
N-Triples) merge the named graphs; dataset formats (N-Quads, TriG, JSON-LD) keep them. Claims'
assertion graphs (kzkg.assertion_graphs) are left out of the merged formats: merged, what a claim asserts
would read as a fact.
"""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, overload

import pyoxigraph as ox

from kzkg.assertion_format import EXTERNAL_PROPERTIES
from kzkg.namespaces import (
    DCTERMS,
    DUMPS,
    ID,
    INFERRED_GRAPH,
    KZ,
    PREFIXES,
    RDF,
    SCHEMA,
    SD,
    SPARQL_ENDPOINT,
    VOID,
    XSD,
    in_merged_dumps,
)

SCOPES = ("all", "asserted", "inferred")


@dataclass(frozen=True)
class DumpFormat:
    name: str
    extension: str
    rdf: ox.RdfFormat

    @property
    def keeps_graphs(self) -> bool:
        return self.rdf.supports_datasets


FORMATS: dict[str, DumpFormat] = {
    f.name: f
    for f in (
        DumpFormat("turtle", "ttl", ox.RdfFormat.TURTLE),
        DumpFormat("ntriples", "nt", ox.RdfFormat.N_TRIPLES),
        DumpFormat("nquads", "nq", ox.RdfFormat.N_QUADS),
        DumpFormat("trig", "trig", ox.RdfFormat.TRIG),
        DumpFormat("jsonld", "jsonld", ox.RdfFormat.JSON_LD),
    )
}
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "nq": "nquads", "json-ld": "jsonld"}


def resolve_format(name: str) -> DumpFormat:
    """A format by name or extension; ValueError lists the ones that exist."""
    key = FORMAT_ALIASES.get(name.lower(), name.lower())
    if key not in FORMATS:
        raise ValueError(f"unknown format {name!r}: use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[key]


RDF_TYPE = f"<{RDF.type}>".encode()


@dataclass(frozen=True)
class Canonical:
    """A dataset in canonical form: each graph's triples as sorted, unique N-Triples lines.

    Why lines of bytes: every dump is a pure function of the graph, so it must come out in one
    order; sorting 1M terms as Python objects with ``str()`` keys cost a 1M-triple build over a
    minute, while sorting the byte lines pyoxigraph writes is a C comparison, and pyoxigraph then
    streams every other format from those lines. Going through a pyoxigraph store first applies
    its literal normalisation (e.g. "+1"^^xsd:int becomes "1"^^xsd:integer, oxigraph#526), so a
    dump always says exactly what the endpoint answers.
    """

    graphs: tuple[tuple[str | None, tuple[bytes, ...]], ...]  # (graph IRI or None for the default graph, lines)
    inferred_graph: str = str(INFERRED_GRAPH)
    _merged: dict[str, list[bytes]] = field(default_factory=dict, compare=False, repr=False)
    _whole: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_quads(cls, quads: Iterable[ox.Quad]) -> Canonical:
        normaliser = ox.Store()
        normaliser.extend(quads)
        return cls.from_store(normaliser)

    @classmethod
    def from_store(cls, store: ox.Store) -> Canonical:
        names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
        graphs: list[tuple[str | None, tuple[bytes, ...]]] = []
        # A release store's default graph is the materialised union of its named graphs
        # (kzkg.store.load_store), not data of its own: when there are named graphs, they are the
        # dataset. A store with none keeps its data in the default graph (a stand-in, a test).
        graph_names: list[str | None] = [*names] or [None]
        for name in graph_names:
            source = ox.DefaultGraph() if name is None else ox.NamedNode(name)
            document = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=source)
            assert document is not None  # without an output, dump returns the document
            lines = document.splitlines(keepends=True)
            if lines:
                lines.sort()
                graphs.append((name, tuple(lines)))
        return cls(tuple(graphs))

    def _selected(self, scope: str) -> list[tuple[str | None, tuple[bytes, ...]]]:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
        if scope == "all":
            return list(self.graphs)
        return [(name, lines) for name, lines in self.graphs if (name == self.inferred_graph) == (scope == "inferred")]

    def nquads(self, scope: str = "all") -> bytes:
        """N-Quads, graph by graph (so TriG groups each graph once), triples sorted within each.

        The whole dataset's is made once and kept: a build hashes it for the build id, loads the
        store from it and writes three dumps from it, and at scale each copy is a large part of the
        build's peak memory (figures: bench/README.md).
        """
        if scope == "all" and "all" in self._whole:
            return self._whole["all"]
        parts: list[bytes] = []
        for name, lines in self._selected(scope):
            if name is None:
                parts.extend(lines)
            else:
                suffix = b"<" + name.encode("utf-8") + b"> .\n"
                parts.extend(line[:-2] + suffix for line in lines)
        data = b"".join(parts)
        if scope == "all":
            self._whole["all"] = data
        return data

    def triple_lines(self, scope: str = "all") -> list[bytes]:
        """The scope's graphs merged, claims' assertion graphs left out: each triple once, sorted
        (subjects grouped for Turtle). This is the endpoint's default graph for the scope."""
        merged = self._merged.get(scope)
        if merged is None:  # kept: the dumps and the VoID description all read the merged lines
            # Which graphs a merged dump (and the default graph) holds is the graph policy of
            # kzkg.namespaces (in_merged_dumps); N-Quads, TriG and JSON-LD keep every graph.
            selected = [(name, lines) for name, lines in self._selected(scope) if name is None or in_merged_dumps(name)]
            if len(selected) == 1:
                merged = list(selected[0][1])
            else:
                merged = sorted({line for _, lines in selected for line in lines})
            self._merged[scope] = merged
        return merged

    def graph_sizes(self) -> dict[str, int]:
        return {("default" if name is None else name): len(lines) for name, lines in self.graphs}

    def __len__(self) -> int:
        return sum(len(lines) for _, lines in self.graphs)

    def source(self, scope: str, keeps_graphs: bool) -> tuple[bytes, ox.RdfFormat]:
        """What every dump of a scope is streamed from: N-Quads, or the merged N-Triples."""
        if keeps_graphs:
            return self.nquads(scope), ox.RdfFormat.N_QUADS
        return b"".join(self.triple_lines(scope)), ox.RdfFormat.N_TRIPLES

    @overload
    def write(self, fmt: DumpFormat, scope: str, output: None = None) -> bytes: ...

    @overload
    def write(self, fmt: DumpFormat, scope: str, output: Path) -> None: ...

    def write(self, fmt: DumpFormat, scope: str, output: Path | None = None) -> bytes | None:
        """One dump, to ``output`` or returned as bytes."""
        return _convert(*self.source(scope, fmt.keeps_graphs), fmt, output)


def _convert(data: bytes, source_format: ox.RdfFormat, fmt: DumpFormat, output: Path | None) -> bytes | None:
    if fmt.rdf == source_format:
        if output is None:
            return data
        output.write_bytes(data)
        return None
    prefixes = PREFIXES if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD) else None
    items = ox.parse(data, format=source_format)  # streamed in order: pyoxigraph keeps the sort
    target = None if output is None else str(output)
    if prefixes:
        return ox.serialize(items, target, format=fmt.rdf, prefixes=prefixes)
    return ox.serialize(items, target, format=fmt.rdf)


def dump_name(fmt: DumpFormat, scope: str) -> str:
    return f"kzkg.{fmt.extension}" if scope == "all" else f"kzkg-{scope}.{fmt.extension}"


def write_dumps(canonical: Canonical, folder: Path) -> list[Path]:
    """Every format in every scope, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for scope in SCOPES:
        for keeps_graphs in (True, False):  # each scope's source is made once for its formats
            data, source_format = canonical.source(scope, keeps_graphs)
            for fmt in FORMATS.values():
                if fmt.keeps_graphs == keeps_graphs:
                    path = folder / dump_name(fmt, scope)
                    _convert(data, source_format, fmt, path)
                    written.append(path)
            del data
    return sorted(written, key=lambda path: path.name)


# The whole graph in the two line-based formats, the ones bulk loaders read: offered gzipped too,
# because N-Triples/N-Quads shrink ~10x and a download of the plain file is mostly repetition.
GZIPPED_DUMPS = ("kzkg.nt", "kzkg.nq")


def gzip_dumps(folder: Path, names: Iterable[str] = GZIPPED_DUMPS) -> list[Path]:
    """``name.gz`` beside each named dump (level 3: on our N-Quads, most of level 6's gain in far less
    time; figures: bench/README.md); no name or time in the header, so a rebuild of the same
    data gives byte-identical archives (as it gives byte-identical dumps)."""
    written = []
    for name in names:
        target = folder / f"{name}.gz"
        with (
            (folder / name).open("rb") as source,
            target.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=3, mtime=0) as packed,
        ):
            shutil.copyfileobj(source, packed, 1 << 20)
        written.append(target)
    return written


def _split(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Subject, predicate and object of one N-Triples line (subjects and predicates hold no spaces)."""
    subject, predicate, rest = line.split(b" ", 2)
    return subject, predicate, rest[:-3]  # drop " .\n"


def _iri(term: bytes) -> ox.NamedNode:
    return ox.NamedNode(term[1:-1].decode("utf-8"))


def void_dataset(
    dataset: ox.NamedNode,
    *,
    title: ox.Literal,
    triples: int,
    graphs: Iterable[tuple[str, int]],
    sparql_endpoint: ox.NamedNode,
    uri_spaces: Iterable[str],
    subset: Callable[[str], ox.NamedNode | ox.BlankNode] | None = None,
    endpoint_on_subsets: bool = False,
) -> list[ox.Triple]:
    """The VoID core both descriptions share: the dataset, its size, where to query it, and one
    subset per named graph (sd:name, void:triples).

    The build's ``void.ttl`` (:func:`void_description`) adds its statistics and dumps; the
    server's fallback ``/.well-known/void`` (no ``void.ttl`` in the release) has only the store's
    counts. ``subset`` names a graph's subset (blank nodes when None); ``endpoint_on_subsets``
    repeats the endpoint on each subset, as the server has always said it.
    """
    rdf_type, void_dataset_class = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(VOID.Dataset))
    out = [
        ox.Triple(dataset, rdf_type, void_dataset_class),
        ox.Triple(dataset, ox.NamedNode(str(DCTERMS.title)), title),
        ox.Triple(dataset, ox.NamedNode(str(VOID.sparqlEndpoint)), sparql_endpoint),
        ox.Triple(dataset, ox.NamedNode(str(VOID.triples)), _count(triples)),
    ]
    out += [ox.Triple(dataset, ox.NamedNode(str(VOID.uriSpace)), ox.Literal(space)) for space in uri_spaces]
    for name, size in graphs:
        node = subset(name) if subset is not None else ox.BlankNode()
        out += [
            ox.Triple(dataset, ox.NamedNode(str(VOID.subset)), node),
            ox.Triple(node, rdf_type, void_dataset_class),
            ox.Triple(node, ox.NamedNode(str(SD.name)), ox.NamedNode(name)),
            ox.Triple(node, ox.NamedNode(str(VOID.triples)), _count(size)),
        ]
        if endpoint_on_subsets:
            out.append(ox.Triple(node, ox.NamedNode(str(VOID.sparqlEndpoint)), sparql_endpoint))
    return out


def _count(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(str(XSD.integer)))


def void_description(canonical: Canonical, dump_files: Iterable[str]) -> bytes:
    """The VoID description of a build: sizes, graphs, classes, properties and where the dumps are."""
    dataset = ox.NamedNode(str(ID) + "dataset")
    endpoint = ox.NamedNode(str(SPARQL_ENDPOINT))
    triples = [_split(line) for line in canonical.triple_lines("all")]
    named = [
        (graph, len(lines)) for graph, lines in canonical.graphs if graph is not None
    ]  # the default graph has no name
    out = void_dataset(
        dataset,
        title=ox.Literal("kzkg: the Kazakhstan knowledge graph", language="en"),
        triples=len(triples),
        graphs=named,
        sparql_endpoint=endpoint,
        uri_spaces=[str(ID)],
        subset=lambda graph: ox.NamedNode(f"{dataset.value}/graph/{graph.rsplit('/graph/', 1)[-1]}"),
    )

    def add(s: ox.NamedNode, p: Any, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(s, ox.NamedNode(str(p)) if not isinstance(p, ox.NamedNode) else p, o))

    subjects = {s for s, _, _ in triples}
    add(dataset, VOID.entities, _count(sum(1 for s in subjects if s.startswith(b"<"))))
    add(dataset, VOID.distinctSubjects, _count(len(subjects)))
    properties = Counter(p for _, p, _ in triples)
    add(dataset, VOID.properties, _count(len(properties)))
    add(dataset, VOID.vocabulary, ox.NamedNode(str(KZ)))
    add(dataset, VOID.rootResource, ox.NamedNode(str(ID) + "article/001"))
    for name in sorted(dump_files):
        add(dataset, VOID.dataDump, ox.NamedNode(str(DUMPS[name])))
    classes = Counter(o for _, p, o in triples if p == RDF_TYPE and o.startswith(b"<"))
    for cls, size in sorted(classes.items()):
        iri = _iri(cls)
        partition = ox.NamedNode(f"{dataset.value}/class/{_slug(iri.value)}")
        add(dataset, VOID.classPartition, partition)
        add(partition, VOID["class"], iri)
        add(partition, VOID.entities, _count(size))
    for prop, size in sorted(properties.items()):
        iri = _iri(prop)
        partition = ox.NamedNode(f"{dataset.value}/property/{_slug(iri.value)}")
        add(dataset, VOID.propertyPartition, partition)
        add(partition, VOID.property, iri)
        add(partition, VOID.triples, _count(size))
    ordered = sorted(set(out), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    document = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes={**PREFIXES, "sd": str(SD)})
    assert document is not None  # without an output, serialize returns the document
    return document


def _slug(iri: str) -> str:
    import hashlib

    local = iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return f"{local}-{hashlib.sha1(iri.encode()).hexdigest()[:8]}"


def release_dump(release_path: Path, fmt: DumpFormat, scope: str) -> bytes:
    """The dump a build published; rebuilt from its store only if the file is gone.

    The published file is the reference: the on-disk store relabels blank nodes, so serialising
    the store again would give the same graph in different bytes.
    """
    published = release_path / "dumps" / dump_name(fmt, scope)
    if published.is_file():
        return published.read_bytes()
    from kzkg.store import STORE_DIR

    store = ox.Store.read_only(str(release_path / STORE_DIR))
    return Canonical.from_store(store).write(fmt, scope)


# -- one record per claim, for fact-checkers (kzkg export --claims csv|jsonld) ---------------------

# An external property has no kz: label to be shown by; it is shown by the name asserts: gives it
# in the YAML ("dcterms:replaces"), as a kz: term is by its label ("start date"), never as a raw IRI.
EXTERNAL_PROPERTY_NAMES = {iri: name for name, (iri, _defined_as) in EXTERNAL_PROPERTIES.items()}

CLAIM_RECORDS = """
SELECT ?claim ?label ?kind ?status ?statusLabel ?date ?dateText ?polarity
       ?quantity ?qualifier ?quantityKind ?unit ?quantityText
       (GROUP_CONCAT(DISTINCT STR(?who); separator="\\u001f") AS ?claimants)
       (GROUP_CONCAT(DISTINCT ?whoName; separator="\\u001f") AS ?claimantNames)
       (GROUP_CONCAT(DISTINCT STR(?article); separator="\\u001f") AS ?articles)
       (GROUP_CONCAT(DISTINCT ?title; separator="\\u001f") AS ?titles)
       (GROUP_CONCAT(DISTINCT ?quote; separator="\\u001f") AS ?quotes)
       (GROUP_CONCAT(DISTINCT STR(?conflict); separator="\\u001f") AS ?conflicts)
       (GROUP_CONCAT(DISTINCT STR(?contradicted); separator="\\u001f") AS ?contradicts)
WHERE {
  ?claim a kz:Claim ; rdfs:label ?label .
  OPTIONAL { ?claim kz:claimKind/skos:notation ?kind }
  OPTIONAL { ?claim kz:status ?status . ?status rdfs:label ?statusLabel }
  OPTIONAL { ?claim kz:claimDate ?date }  OPTIONAL { ?claim kz:dateText ?dateText }
  OPTIONAL { ?claim kz:polarity/skos:notation ?polarity }
  OPTIONAL { ?claim kz:quantity ?quantity }  OPTIONAL { ?claim kz:quantityQualifier/skos:notation ?qualifier }
  OPTIONAL { ?claim kz:quantityKind/skos:notation ?quantityKind }  OPTIONAL { ?claim kz:unit ?unit }
  OPTIONAL { ?claim kz:quantityText ?quantityText }
  OPTIONAL { ?claim kz:claimedBy ?who OPTIONAL { ?who rdfs:label ?whoName } }
  OPTIONAL { ?claim kz:reportedIn ?article OPTIONAL { ?article dcterms:title ?title } }
  OPTIONAL { ?claim kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?quote }
  OPTIONAL { ?claim kz:conflictsWith ?conflict }
  OPTIONAL { ?claim kz:contradicts ?contradicted }
}
GROUP BY ?claim ?label ?kind ?status ?statusLabel ?date ?dateText ?polarity
         ?quantity ?qualifier ?quantityKind ?unit ?quantityText
ORDER BY ?claim
"""

CLAIM_STATEMENTS = """
SELECT ?claim ?s ?p ?o ?sName ?pName ?oName ?quantity ?min ?max ?qualifier ?kind ?asOf WHERE {
  ?claim kz:asserts ?g .
  GRAPH ?g { ?s ?p ?o FILTER(!STRSTARTS(STR(?s), STR(?g)))
             OPTIONAL { ?o kz:quantity ?quantity }  OPTIONAL { ?o kz:asOf ?asOf }
             OPTIONAL { ?o kz:minQuantity ?min ; kz:maxQuantity ?max } }
  OPTIONAL { GRAPH ?g { ?o kz:quantityQualifier ?q } ?q skos:notation ?qualifier }
  OPTIONAL { GRAPH ?g { ?o kz:quantityKind ?k } ?k skos:notation ?kind }
  OPTIONAL { ?s rdfs:label ?sName }  OPTIONAL { ?p rdfs:label ?pName }  OPTIONAL { ?o rdfs:label ?oName }
}
ORDER BY ?claim ?s ?p ?o
"""

CLAIM_FIELDS = (
    "claim",
    "permalink",
    "label",
    "kind",
    "claimants",
    "claimant_ids",
    "date",
    "date_text",
    "articles",
    "article_ids",
    "quotes",
    "figure",
    "status",
    "polarity",
    "asserts",
    "conflicts_with",
    "contradicts",
)


class ClaimRecord(TypedDict):
    """One claim as the fact-checkers' exports see it (keys in CLAIM_FIELDS' order): lists are
    several values of one field, already sorted."""

    claim: str
    permalink: str
    label: str
    kind: str
    claimants: list[str]
    claimant_ids: list[str]
    date: str
    date_text: str
    articles: list[str]
    article_ids: list[str]
    quotes: list[str]
    figure: str
    status: str
    polarity: str
    asserts: list[str]
    conflicts_with: list[str]
    contradicts: list[str]


def _solutions(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> ox.QuerySolutions:
    """A SELECT's rows; the claim queries are SELECTs, so anything else is a bug in them."""
    if not isinstance(results, ox.QuerySolutions):
        raise TypeError(f"expected a SELECT's solutions, got {type(results).__name__}")
    return results


def claim_records(store: ox.Store) -> list[ClaimRecord]:
    """One record per claim of a release store (its default graph plus the assertion graphs)."""

    def text(row: ox.QuerySolution, name: str) -> str:
        term = row[name]
        return term.value if term is not None else ""

    def many(row: ox.QuerySolution, name: str) -> list[str]:
        return sorted(v for v in text(row, name).split("\x1f") if v)

    def _property_name(row: ox.QuerySolution) -> str:
        iri = text(row, "p")
        return text(row, "pName") or EXTERNAL_PROPERTY_NAMES.get(iri, iri)

    statements: dict[str, list[str]] = {}
    for row in _solutions(store.query(CLAIM_STATEMENTS, prefixes=PREFIXES)):
        if text(row, "quantity") or text(row, "kind"):
            value = " ".join(
                v
                for v in (
                    text(row, "qualifier"),
                    text(row, "quantity") or (f"{text(row, 'min')}-{text(row, 'max')}" if text(row, "min") else ""),
                    text(row, "kind"),
                    ("as of " + text(row, "asOf")) if text(row, "asOf") else "",
                )
                if v
            )
        else:
            value = text(row, "oName") or text(row, "o")
        statements.setdefault(text(row, "claim"), []).append(
            f"{text(row, 'sName') or text(row, 's')} — {_property_name(row)} — {value}"
        )
    records: list[ClaimRecord] = []
    for row in _solutions(store.query(CLAIM_RECORDS, prefixes=PREFIXES)):
        iri = text(row, "claim")
        figure = " ".join(
            v
            for v in (text(row, "qualifier"), text(row, "quantity") or text(row, "quantityText"), text(row, "unit"))
            if v
        )
        records.append(
            {
                "claim": iri.rsplit("/", 1)[-1],
                "permalink": iri,
                "label": text(row, "label"),
                "kind": text(row, "kind") or "factual",
                "claimants": many(row, "claimantNames"),
                "claimant_ids": many(row, "claimants"),
                "date": text(row, "date"),
                "date_text": text(row, "dateText"),
                "articles": many(row, "titles"),
                "article_ids": many(row, "articles"),
                "quotes": many(row, "quotes"),
                "figure": f"{figure} ({text(row, 'quantityKind')})" if figure else "",
                "status": text(row, "statusLabel"),
                "polarity": text(row, "polarity") or "positive",
                "asserts": statements.get(iri, []),
                "conflicts_with": many(row, "conflicts"),
                "contradicts": many(row, "contradicts"),
            }
        )
    return records


def claims_csv(records: list[ClaimRecord]) -> bytes:
    """CSV, one row per claim; several values in a cell are separated by " | "."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CLAIM_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: " | ".join(v) if isinstance(v, list) else v for k, v in record.items()})
    return out.getvalue().encode("utf-8")


def claims_jsonld(records: list[ClaimRecord]) -> bytes:
    """JSON-LD: each claim a schema.org Claim (author, appearance, text, dateCreated), with kzkg's
    own fields under kz:, and a ClaimReview only where the graph gives a verdict (a status other
    than unverified)."""
    import json

    graph: list[dict[str, object]] = []
    for r in records:
        claim: dict[str, object] = {
            "@id": r["permalink"],
            "@type": "Claim",
            "name": r["label"],
            "author": [{"@id": i, "name": n} for i, n in zip(r["claimant_ids"], r["claimants"], strict=False)]
            if len(r["claimant_ids"]) == len(r["claimants"])
            else [{"@id": i} for i in r["claimant_ids"]],
            "appearance": [{"@id": a, "@type": "NewsArticle"} for a in r["article_ids"]],
            "text": r["quotes"],
            "kz:claimKind": r["kind"],
            "kz:polarity": r["polarity"],
            "kz:asserts": r["asserts"],
            "kz:conflictsWith": [{"@id": c} for c in r["conflicts_with"]],
            "kz:contradicts": [{"@id": c} for c in r["contradicts"]],
        }
        if r["date"]:
            claim["dateCreated"] = r["date"]
        if r["date_text"]:
            claim["kz:dateText"] = r["date_text"]
        if r["figure"]:
            claim["kz:figure"] = r["figure"]
        graph.append(claim)
        if r["status"] and r["status"].lower() != "unverified":
            graph.append(
                {
                    "@id": f"{r['permalink']}#review",
                    "@type": "ClaimReview",
                    "itemReviewed": {"@id": r["permalink"]},
                    "reviewRating": {"@type": "Rating", "alternateName": r["status"]},
                    "author": {"@type": "Organization", "name": "kzkg curators"},
                }
            )
    document = {"@context": {"@vocab": str(SCHEMA), "kz": str(KZ)}, "@graph": graph}
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
