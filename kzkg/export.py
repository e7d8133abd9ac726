"""Stage 6, export: dumps that strangers load into their own stores, and their VoID description.

Dumps are written from a *sorted* list of quads by pyoxigraph's serialisers, so the same graph
always gives the same bytes (diffable releases, stable checksums) and the Turtle groups each
subject's triples together. Triple formats (Turtle, N-Triples) merge the named graphs; dataset
formats (N-Quads, TriG, JSON-LD) keep them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kzkg.namespaces import ID, INFERRED_GRAPH, KZ, PREFIXES, VOID

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


def _sort_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Deduplicated, normalised as the store keeps them, and sorted: what every dump is written from.

    Passing through an in-memory pyoxigraph store applies oxigraph's literal normalisation
    (e.g. "+1"^^xsd:int becomes "1"^^xsd:integer, oxigraph#526), so a dump always says exactly
    what the endpoint answers.
    """
    normaliser = ox.Store()
    normaliser.extend(quads)
    return sorted(normaliser, key=_sort_key)


def in_scope(quads: Sequence[ox.Quad], scope: str) -> list[ox.Quad]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    if scope == "all":
        return list(quads)
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    return [q for q in quads if (q.graph_name == inferred) == (scope == "inferred")]


def serialize(quads: Sequence[ox.Quad], fmt: DumpFormat) -> bytes:
    """Bytes of one dump; triple formats merge graphs (each triple once, subjects grouped)."""
    if fmt.keeps_graphs:
        items: Iterable = quads
    else:
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        items = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    prefixes = PREFIXES if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD) else None
    if prefixes:
        return ox.serialize(items, format=fmt.rdf, prefixes=prefixes)
    return ox.serialize(items, format=fmt.rdf)


def dump_name(fmt: DumpFormat, scope: str) -> str:
    return f"kzkg.{fmt.extension}" if scope == "all" else f"kzkg-{scope}.{fmt.extension}"


def write_dumps(quads: Sequence[ox.Quad], folder: Path) -> list[Path]:
    """Every format in every scope, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for scope in SCOPES:
        selected = in_scope(quads, scope)
        for fmt in FORMATS.values():
            path = folder / dump_name(fmt, scope)
            path.write_bytes(serialize(selected, fmt))
            written.append(path)
    return written


def void_description(quads: Sequence[ox.Quad], dump_files: Iterable[str]) -> bytes:
    """The VoID description of a build: sizes, graphs, classes, properties and where the dumps are."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    xsd_integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    dataset = ox.NamedNode(str(ID) + "dataset")
    out: list[ox.Triple] = []

    def add(s, p, o) -> None:
        out.append(ox.Triple(s, ox.NamedNode(str(p)) if not isinstance(p, ox.NamedNode) else p, o))

    def count(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=xsd_integer)

    triples = {(q.subject, q.predicate, q.object) for q in quads}
    add(dataset, rdf_type, ox.NamedNode(str(VOID.Dataset)))
    add(dataset, "http://purl.org/dc/terms/title", ox.Literal("kzkg: the Kazakhstan knowledge graph", language="en"))
    add(dataset, VOID.triples, count(len(triples)))
    add(dataset, VOID.entities, count(len({s for s, _, _ in triples if isinstance(s, ox.NamedNode)})))
    add(dataset, VOID.distinctSubjects, count(len({s for s, _, _ in triples})))
    add(dataset, VOID.properties, count(len({p for _, p, _ in triples})))
    add(dataset, VOID.uriSpace, ox.Literal(str(ID)))
    add(dataset, VOID.vocabulary, ox.NamedNode(str(KZ)))
    add(dataset, VOID.sparqlEndpoint, ox.NamedNode("https://w3id.org/kzkg/sparql"))
    add(dataset, VOID.rootResource, ox.NamedNode(str(ID) + "article/001"))
    for name in sorted(dump_files):
        add(dataset, VOID.dataDump, ox.NamedNode(f"https://w3id.org/kzkg/dumps/{name}"))
    per_graph = Counter(q.graph_name for q in quads)
    for graph, size in sorted(per_graph.items(), key=lambda item: str(item[0])):
        subset = ox.NamedNode(f"{dataset.value}/graph/{str(graph.value).rsplit('/graph/', 1)[-1]}")
        add(dataset, VOID.subset, subset)
        add(subset, rdf_type, ox.NamedNode(str(VOID.Dataset)))
        add(subset, "http://www.w3.org/ns/sparql-service-description#name", graph)
        add(subset, VOID.triples, count(size))
    classes = Counter(o for s, p, o in triples if p == rdf_type)
    for cls, size in sorted(classes.items(), key=lambda item: str(item[0])):
        if not isinstance(cls, ox.NamedNode):
            continue
        partition = ox.NamedNode(f"{dataset.value}/class/{_slug(cls.value)}")
        add(dataset, VOID.classPartition, partition)
        add(partition, VOID["class"], cls)
        add(partition, VOID.entities, count(size))
    properties = Counter(p for _, p, _ in triples)
    for prop, size in sorted(properties.items(), key=lambda item: str(item[0])):
        partition = ox.NamedNode(f"{dataset.value}/property/{_slug(prop.value)}")
        add(dataset, VOID.propertyPartition, partition)
        add(partition, VOID.property, prop)
        add(partition, VOID.triples, count(size))
    ordered = sorted(set(out), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes={**PREFIXES, "sd": "http://www.w3.org/ns/sparql-service-description#"})


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
    return serialize(in_scope(canonical_quads(store), scope), fmt)
