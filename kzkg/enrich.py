"""Enrichment (``kzkg enrich``): external facts about kzkg's linked entities, in a graph of their own.

For every entity with a Wikidata link, labels/aliases/descriptions in en/ru/kk and a few
statements (instance of, country, coordinates, office held, dates) are copied from a
Wikidata-shaped endpoint into ``data/enrichment/wikidata.ttl`` with its provenance;
``kzkg build`` loads that file into the named graph ``kzgraph:enrichment``, never reasoned over.

Failures of the remote side never corrupt data: everything is fetched first and the file is
written (atomically) only when every query succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kzkg import __version__
from kzkg.atomic import atomic_write_text
from kzkg.ingest import load_corpus
from kzkg.namespaces import ENRICHMENT_GRAPH, GEO, RDFS, SCHEMA, SKOS
from kzkg.sparql_client import LinkError, SparqlClient, SparqlResults, utc_now
from kzkg.wikidata import DCTERMS, KNOWN_LICENCES, PROV, QUERY_PREFIXES, RDF_TYPE, RDFS_LABEL, VOID, WD, WDT, XSD
from kzkg.wikidata import qid as _qid
from kzkg.wikidata import value as _value

if TYPE_CHECKING:  # the build hands its dataset in; the web server imports this module without it
    from kzkg.map import MappedDataset

__all__ = ["ENRICHMENT_GRAPH", "EnrichReport", "LinkError", "enrich", "load_enrichment", "render_enrichment"]

ENRICHMENT_FILE = Path("enrichment") / "wikidata.ttl"
ENRICH_LANGUAGES = ("en", "ru", "kk")
# Facts fetched beside ours: instance of, country, coordinates, position held, birth, death,
# inception, dissolution, citizenship, located in, headquarters, website, GeoNames id, ISO 3166-2.
ENRICH_PROPERTIES = (
    "P31",
    "P17",
    "P625",
    "P39",
    "P569",
    "P570",
    "P571",
    "P576",
    "P27",
    "P131",
    "P159",
    "P856",
    "P1566",
    "P300",
)
HEAD_PROPERTIES = ("P35", "P6")  # head of state / head of government (the reverse of "office held")


@dataclass
class EnrichReport:
    path: Path
    items: int
    triples: int
    labels: dict[str, int]
    coordinates: int
    missing: list[str]
    queries: int


def _term(cell: dict) -> ox.NamedNode | ox.Literal | None:
    kind, value = cell.get("type"), cell.get("value")
    if not isinstance(value, str):
        return None
    if kind == "uri":
        return ox.NamedNode(value)
    if kind in ("literal", "typed-literal"):
        if cell.get("xml:lang"):
            return ox.Literal(value, language=str(cell["xml:lang"]))
        if cell.get("datatype"):
            return ox.Literal(value, datatype=ox.NamedNode(str(cell["datatype"])))
        return ox.Literal(value)
    return None  # blank nodes (Wikidata's "unknown value") carry nothing we can show


def _triples(results: SparqlResults, s: str, p: str, o: str) -> list[ox.Triple]:
    out = []
    for binding in results.bindings:
        subject, predicate, obj = (_term(binding.get(v) or {}) for v in (s, p, o))
        if isinstance(subject, ox.NamedNode) and isinstance(predicate, ox.NamedNode) and obj is not None:
            out.append(ox.Triple(subject, predicate, obj))
    return out


def _subject_iri(triple: ox.Triple) -> str:
    """The subject's IRI; every triple built here has one (:func:`_triples` keeps no other subject)."""
    return triple.subject.value if isinstance(triple.subject, ox.NamedNode) else ""


def _values(items: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in sorted(items))


def _lang_filter(var: str, languages: Sequence[str]) -> str:
    return " || ".join(f'langMatches(LANG({var}), "{lang}")' for lang in languages)


def enrich(
    data_dir: Path,
    client: SparqlClient,
    *,
    output: Path | None = None,
    licence: str | None = None,
    batch_size: int = 40,
    languages: Sequence[str] = ENRICH_LANGUAGES,
    progress: Callable[[str], None] = lambda _m: None,
) -> EnrichReport:
    """Fetch facts about every linked entity into a separate graph file (written only on success)."""
    data_dir = Path(data_dir)
    output = Path(output) if output else data_dir / ENRICHMENT_FILE
    corpus = load_corpus(data_dir)
    items = sorted(
        {WD + e.links["wikidata"] for e in corpus.entities.values() if e.links.get("wikidata")},
        key=lambda i: int(i[len(WD) + 1 :]),
    )
    if not items:
        raise LinkError(f"{data_dir}: no entity has a Wikidata link; nothing to enrich")
    started = utc_now()
    triples: list[ox.Triple] = []
    sent = 0
    lang_filter = _lang_filter("?value", languages)
    referenced: set[str] = set()
    for start in range(0, len(items), max(1, batch_size)):
        batch = items[start : start + max(1, batch_size)]
        progress(f"fetching {len(batch)} items from {client.endpoint}")
        terms = client.select(
            f"# kzkg {__version__} enrich: labels, aliases and descriptions\n"
            + QUERY_PREFIXES
            + f"SELECT ?item ?p ?value WHERE {{\n  VALUES ?item {{ {_values(batch)} }}\n"
            "  VALUES ?p { rdfs:label skos:altLabel schema:description }\n"
            f"  ?item ?p ?value .\n  FILTER({lang_filter})\n}}\n"
        )
        facts = client.select(
            f"# kzkg {__version__} enrich: statements\n"
            + QUERY_PREFIXES
            + f"SELECT ?item ?p ?value WHERE {{\n  VALUES ?item {{ {_values(batch)} }}\n"
            f"  VALUES ?p {{ {' '.join('wdt:' + p for p in ENRICH_PROPERTIES)} prov:wasDerivedFrom }}\n"
            "  ?item ?p ?value .\n}\n"
        )
        heads = client.select(
            f"# kzkg {__version__} enrich: states the items head\n"
            + QUERY_PREFIXES
            + f"SELECT ?state ?p ?item WHERE {{\n  VALUES ?item {{ {_values(batch)} }}\n"
            f"  VALUES ?p {{ {' '.join('wdt:' + p for p in HEAD_PROPERTIES)} }}\n  ?state ?p ?item .\n}}\n"
        )
        sent += 3
        triples += _triples(terms, "item", "p", "value") + _triples(facts, "item", "p", "value")
        triples += _triples(heads, "state", "p", "item")
        for t in _triples(facts, "item", "p", "value") + _triples(heads, "state", "p", "item"):
            for term in (t.subject, t.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(WD) and term.value not in items:
                    referenced.add(term.value)
    # labels (and, for states, the office their head holds) of everything the facts point at
    sources: set[str] = {
        t.object.value
        for t in triples
        if t.predicate.value == PROV + "wasDerivedFrom" and isinstance(t.object, ox.NamedNode)
    }
    if referenced:
        for chunk in _chunks(sorted(referenced), 80):
            named = client.select(
                f"# kzkg {__version__} enrich: labels of referenced items\n"
                + QUERY_PREFIXES
                + f"SELECT ?item ?p ?value WHERE {{\n  VALUES ?item {{ {_values(chunk)} }}\n"
                "  VALUES ?p { rdfs:label wdt:P1906 wdt:P2388 }\n  ?item ?p ?value .\n"
                f"  FILTER(?p != rdfs:label || {lang_filter})\n}}\n"
            )
            sent += 1
            triples += _triples(named, "item", "p", "value")
        offices = (
            {
                t.object.value
                for t in triples
                if t.predicate.value in (WDT + "P1906", WDT + "P2388") and isinstance(t.object, ox.NamedNode)
            }
            - referenced
            - set(items)
        )
        if offices:
            named = client.select(
                f"# kzkg {__version__} enrich: labels of offices\n"
                + QUERY_PREFIXES
                + f"SELECT ?item ?value WHERE {{\n  VALUES ?item {{ {_values(offices)} }}\n"
                f"  ?item rdfs:label ?value .\n  FILTER({lang_filter})\n}}\n"
            )
            sent += 1
            for b in named.bindings:
                label = _term(b.get("value") or {})
                if label is not None and _value(b, "item").startswith(WD):
                    triples.append(ox.Triple(ox.NamedNode(_value(b, "item")), ox.NamedNode(RDFS_LABEL), label))
    # what the endpoint says about itself and its sources (a stand-in names its origin this way)
    described = client.select(
        f"# kzkg {__version__} enrich: the endpoint's own dataset description\n"
        + QUERY_PREFIXES
        + "SELECT ?s ?p ?o WHERE {\n  ?s a void:Dataset ; ?p ?o .\n  FILTER(isIRI(?s))\n} LIMIT 500\n"
    )
    sent += 1
    datasets = _triples(described, "s", "p", "o")
    triples += datasets
    for t in datasets:
        if t.predicate.value == PROV + "wasDerivedFrom" and isinstance(t.object, ox.NamedNode):
            sources.add(t.object.value)
    if sources:
        for chunk in _chunks(sorted(sources), 80):
            about = client.select(
                f"# kzkg {__version__} enrich: the sources the endpoint names\n"
                + QUERY_PREFIXES
                + f"SELECT ?s ?p ?o WHERE {{\n  VALUES ?s {{ {_values(chunk)} }}\n  ?s ?p ?o .\n}}\n"
            )
            sent += 1
            triples += _triples(about, "s", "p", "o")
    finished = utc_now()
    dataset_iris = sorted({_subject_iri(t) for t in datasets})
    triples += _provenance(
        client.endpoint, started, finished, licence or KNOWN_LICENCES.get(client.endpoint), dataset_iris, len(items)
    )
    text = render_enrichment(triples, client.endpoint, finished)
    counts = _label_counts(triples, set(items))
    placed = {_subject_iri(t) for t in triples if t.predicate.value == WDT + "P625" and _subject_iri(t) in items}
    returned = {_subject_iri(t) for t in triples if _subject_iri(t) in items}
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, text)
    return EnrichReport(
        output,
        len(returned),
        len(set(triples)),
        counts,
        len(placed),
        [_qid(i) for i in items if i not in returned],
        sent,
    )


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _label_counts(triples: Iterable[ox.Triple], items: set[str]) -> dict[str, int]:
    """How many of the linked items have a label in each language (kk counts kk-* variants)."""
    seen: dict[str, set[str]] = {}
    for t in triples:
        if t.predicate.value == RDFS_LABEL and _subject_iri(t) in items and isinstance(t.object, ox.Literal):
            lang = (t.object.language or "").split("-")[0]
            seen.setdefault(lang, set()).add(_subject_iri(t))
    return {lang: len(subjects) for lang, subjects in sorted(seen.items())}


def _provenance(
    endpoint: str, started: str, finished: str, licence: str | None, datasets: list[str], requested: int
) -> list[ox.Triple]:
    graph = ox.NamedNode(str(ENRICHMENT_GRAPH))
    run = ox.NamedNode(str(ENRICHMENT_GRAPH) + "#run")
    dts = ox.NamedNode(XSD + "dateTime")
    out = [
        ox.Triple(graph, ox.NamedNode(RDF_TYPE), ox.NamedNode(VOID + "Dataset")),
        ox.Triple(graph, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Entity")),
        ox.Triple(
            graph,
            ox.NamedNode(DCTERMS + "title"),
            ox.Literal("External facts about kzkg's linked entities", language="en"),
        ),
        ox.Triple(
            graph,
            ox.NamedNode(DCTERMS + "description"),
            ox.Literal(
                f"Copied by `kzkg enrich` from the SPARQL endpoint {endpoint} for the {requested} Wikidata items "
                "kzkg's entities link to, in the endpoint's own shape (wd: items; rdfs:label, skos:altLabel and "
                "schema:description in en/ru/kk; wdt: statements). kzkg's entities point at these items with "
                "skos:exactMatch. Kept apart from kzkg's own claims and never reasoned over. "
                + (
                    "The endpoint describes itself with the void:Dataset(s) this graph was derived from; their "
                    "sources and licences are given below. "
                    if datasets
                    else ""
                )
                + "Run `kzkg enrich` with internet access to refresh it from the live service.",
                language="en",
            ),
        ),
        ox.Triple(graph, ox.NamedNode(DCTERMS + "source"), ox.NamedNode(endpoint)),
        ox.Triple(graph, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(finished, datatype=dts)),
        ox.Triple(graph, ox.NamedNode(PROV + "wasGeneratedBy"), run),
        ox.Triple(run, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Activity")),
        ox.Triple(run, ox.NamedNode(RDFS_LABEL), ox.Literal(f"kzkg {__version__} enrich")),
        ox.Triple(run, ox.NamedNode(PROV + "used"), ox.NamedNode(endpoint)),
        ox.Triple(run, ox.NamedNode(PROV + "startedAtTime"), ox.Literal(started, datatype=dts)),
        ox.Triple(run, ox.NamedNode(PROV + "endedAtTime"), ox.Literal(finished, datatype=dts)),
    ]
    if licence:
        out.append(ox.Triple(graph, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(licence)))
    for dataset in datasets:
        out.append(ox.Triple(graph, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(dataset)))
    return out


ENRICH_PREFIXES = {
    "wd": WD,
    "wdt": WDT,
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "geo": str(GEO),
    "xsd": XSD,
    "prov": PROV,
    "dcterms": DCTERMS,
    "void": VOID,
}


def render_enrichment(triples: Iterable[ox.Triple], endpoint: str, when: str) -> str:
    """Sorted Turtle (same facts, same bytes) under a header saying where it came from."""
    unique = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    turtle = ox.serialize(unique, format=ox.RdfFormat.TURTLE, prefixes=ENRICH_PREFIXES)
    assert turtle is not None  # pyoxigraph returns the bytes when given no output file
    body = turtle.decode("utf-8")
    header = (
        f"# External facts about kzkg's linked entities, written by `kzkg enrich` ({__version__}).\n"
        f"# Source: {endpoint}, retrieved {when}. Do not edit by hand: run `kzkg enrich` again.\n"
        f"# Loaded by `kzkg build` into the named graph <{ENRICHMENT_GRAPH}>.\n"
    )
    return header + body


# ------------------------------------------------------------------------------ build integration
def load_enrichment(dataset: MappedDataset, data_dir: Path) -> int:
    """Add data/enrichment/*.ttl to the build, in its own named graph; return the triple count."""
    folder = Path(data_dir) / "enrichment"
    if not folder.is_dir():
        return 0
    graph = dataset.graph(ENRICHMENT_GRAPH)
    before = len(graph)
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return len(graph) - before
