"""Stage 4, reason: the OWL 2 RL closure, kept apart from what curators asserted.

owlrl is the reference engine. Its raw closure is mostly noise to a user — ``x owl:sameAs x`` for
every resource, triples about literals, re-derivations of the RDF/OWL vocabulary itself — so only
the inferences that answer real questions survive into the inferred named graph: class membership
through the ontology (a MediaOutlet is a prov:Agent), super-properties (claimedBy answers
prov:wasAttributedTo), transitive locatedIn/partOf, symmetric contradicts, restriction classes
(kz:ContestedClaim).

owl:sameAs links to Wikidata/GeoNames/DBpedia are deliberately *not* part of the reasoner's input
(they live in the links graph; the reasoned graphs carry skos:exactMatch, which OWL RL does not
interpret). Fed to OWL RL, each sameAs would copy every claim of an actor onto its external twin,
so a query for "the claims of Tokayev" by either IRI would return each claim twice.

Engines. owlrl is pure Python and takes tens of seconds on the real corpus (minutes at 100k
triples), so the default engine is ``reasonable`` (a Rust OWL 2 RL reasoner), made to give exactly
owlrl's closure after the noise filter (tests/test_reason_engines.py proves it on the real corpus
and on synthetic corpora). reasonable lacks some OWL 2 RL rules; this module closes the gaps:

* the schema rules (scm-*: domain/range lifted along subClassOf and subPropertyOf, and the rest)
  — the schema (TBox) part of the input is closed by owlrl itself, once per distinct schema and
  cached, because it is small and the same for every build; reasonable then reasons over that
  closed schema plus the instance data (ABox);
* prp-spo2 (owl:propertyChainAxiom, used by kz:place ∘ kz:locatedIn) — computed here and fed back
  to reasonable until nothing new follows, since a chain's result can trigger other rules;
* rules this module does not supplement (owl:hasKey, max-cardinality, owl:oneOf) make ``infer``
  fall back to owlrl whenever the schema uses them, so the default engine is never silently
  weaker than the reference;
* literals: reasonable returns plain literals as ``"x"^^xsd:string``; they are mapped back to the
  form the input used, so an asserted triple is never re-published as an inference.

Incremental use: ``Reasoner`` keeps one reasonable instance and the cached schema closure, so a
caller that adds an article's triples pays only for what those triples entail (reasonable's own
incremental materialisation for additions; a full re-run after any removal).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from typing import Literal as LiteralType

import owlrl
import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kzkg.namespaces import KZ
from kzkg.oxterms import triple_from_ox, triple_to_ox
from kzkg.resources import without_cyclic_gc

log = logging.getLogger(__name__)

Engine = LiteralType["reasonable", "owlrl"]
ENGINES: tuple[str, ...] = ("reasonable", "owlrl")
DEFAULT_ENGINE: Engine = "reasonable"

_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_XSD_STRING = XSD.string
_NOISE_OBJECTS = {RDFS.Resource, OWL.Thing, RDFS.Class, OWL.Class, RDF.Property, RDFS.Datatype, RDFS.Literal}

# Predicates whose triples describe the vocabulary rather than the news: the TBox.
_SCHEMA_PREDICATES = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.inverseOf,
        OWL.propertyChainAxiom,
        OWL.onProperty,
        OWL.onProperties,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.unionOf,
        OWL.intersectionOf,
        OWL.complementOf,
        OWL.oneOf,
        OWL.members,
        OWL.distinctMembers,
        OWL.disjointWith,
        OWL.propertyDisjointWith,
        OWL.disjointUnionOf,
        OWL.hasKey,
        OWL.cardinality,
        OWL.minCardinality,
        OWL.maxCardinality,
        OWL.qualifiedCardinality,
        OWL.minQualifiedCardinality,
        OWL.maxQualifiedCardinality,
        OWL.onClass,
        OWL.onDataRange,
        OWL.withRestrictions,
        OWL.datatypeComplementOf,
        OWL.sourceIndividual,
        OWL.assertionProperty,
        OWL.targetIndividual,
        OWL.targetValue,
        RDF.first,
        RDF.rest,
    }
)
# OWL 2 RL rules reasonable does not implement and this module does not supplement: a schema that
# uses these is reasoned over by owlrl (prp-key, cls-maxc2, cls-maxqc3/4, cls-oo).
_UNSUPPORTED_BY_REASONABLE = frozenset(
    {
        OWL.hasKey,
        OWL.maxCardinality,
        OWL.maxQualifiedCardinality,
        OWL.oneOf,
    }
)

Triple = tuple  # (subject, predicate, object) of rdflib terms


def _is_builtin(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_BUILTIN_NAMESPACES)


_REFLEXIVE_NOISE = frozenset(
    {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}
)
_HIERARCHY = frozenset({RDFS.subClassOf, RDFS.subPropertyOf})
_TOPS = frozenset({OWL.Thing, RDFS.Resource, OWL.topObjectProperty, OWL.topDataProperty})
_TYPE, _DIFFERENT, _SAME_AS = RDF.type, OWL.differentFrom, OWL.sameAs


def is_noise(triple: tuple) -> bool:
    """True for an inference that tells nobody anything about the unrest or the ontology.

    The same filter for every engine (the vocabulary terms are module constants, and URIRef is
    tested by exact type first, only because rdflib's namespace lookups and ABC isinstance checks
    are slow in a loop over a whole closure).
    """
    subject, predicate, obj = triple
    if type(subject) is not URIRef and not isinstance(subject, URIRef):
        return True  # literal or blank-node subject
    if type(obj) is BNode or (type(obj) is not URIRef and type(obj) is not Literal and isinstance(obj, BNode)):
        return True
    if str.startswith(subject, _BUILTIN_NAMESPACES):  # (rdflib's own startswith takes no tuple)
        return True  # restating RDF/RDFS/OWL/XSD built-ins
    if predicate in _REFLEXIVE_NOISE and subject == obj:
        return True  # reflexive
    if predicate == _TYPE and (obj in _NOISE_OBJECTS or _is_builtin(obj)):
        return True
    if predicate in _HIERARCHY and obj in _TOPS:
        return True
    return predicate == _DIFFERENT


def owlrl_closure(asserted: Iterable[tuple]) -> Graph:
    """The full OWL-RL closure of the given triples (asserted included), computed by owlrl."""
    graph = Graph()
    for triple in asserted:
        graph.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return graph


# --- literal forms ------------------------------------------------------------------------------


def normalise(term):
    """``"x"^^xsd:string`` as the plain ``"x"``: the same RDF 1.1 literal, spelt two ways.

    rdflib keeps the two spellings apart (they are unequal as Python objects), and reasonable
    returns every plain literal with the explicit datatype, so comparisons go through this.
    """
    if isinstance(term, Literal) and term.datatype == _XSD_STRING and term.language is None:
        return Literal(str(term))
    return term


def normalise_triple(triple: Triple) -> Triple:
    s, p, o = triple
    return (s, p, normalise(o)) if isinstance(o, Literal) else triple


def filtered(closure: Iterable[Triple], asserted: Iterable[Triple]) -> set[Triple]:
    """What a closure adds to the asserted triples, minus the noise, literals normalised.

    The one filter both engines go through, so they can only differ in what they derive. Written
    for speed (it sees every triple of a closure): asserted triples are looked up as they are, and
    only ``"x"^^xsd:string`` literals are respelt, once each.
    """
    known = asserted if isinstance(asserted, (set, frozenset)) else set(asserted)
    respelt = {normalise_triple(t) for t in known if type(t[2]) is Literal and t[2].datatype == _XSD_STRING}
    if respelt:
        known = known | respelt
    plain: dict[Literal, Literal] = {}
    out: set[Triple] = set()
    for triple in closure:
        obj = triple[2]
        if type(obj) is Literal and obj.datatype == _XSD_STRING and obj.language is None:
            spelt = plain.get(obj)
            if spelt is None:
                spelt = plain[obj] = Literal(str(obj))
            kept = (triple[0], triple[1], spelt)
        else:
            kept = triple
        if kept in known or is_noise(kept):
            continue
        out.add(kept)
    return out


# --- the reasonable engine with its supplements -------------------------------------------------


def is_schema(triple: Triple) -> bool:
    """True for a TBox triple: vocabulary axioms, OWL declarations, and blank-node structure."""
    s, p, o = triple
    if p in _SCHEMA_PREDICATES or type(s) is BNode or (type(s) is not URIRef and isinstance(s, BNode)):
        return True
    return p == _TYPE and _is_builtin(o)


def split_schema(triples: Iterable[Triple]) -> tuple[frozenset[Triple], list[Triple]]:
    """(TBox, ABox): the part closed once by owlrl and cached, and the part reasonable handles."""
    tbox: set[Triple] = set()
    abox: list[Triple] = []
    to_tbox, to_abox, schema_predicates = tbox.add, abox.append, _SCHEMA_PREDICATES
    for triple in triples:  # is_schema inlined: this loop sees every triple of the input
        s, p, o = triple
        if (
            p in schema_predicates
            or type(s) is BNode
            or (type(s) is not URIRef and isinstance(s, BNode))
            or (p == _TYPE and type(o) is URIRef and str.startswith(o, _BUILTIN_NAMESPACES))
        ):
            to_tbox(triple)
        else:
            to_abox(triple)
    return frozenset(tbox), abox


_SCHEMA_CLOSURES: dict[str, frozenset[Triple]] = {}
# Bump when the way the schema closure is computed changes, so stale disk caches are ignored.
_CACHE_FORMAT = "1"
_CACHE_KEEP = 16


def _schema_key(tbox: frozenset[Triple]) -> str:
    digest = hashlib.sha256(f"kzkg-schema-closure/{_CACHE_FORMAT}/owlrl-{owlrl.__version__}\n".encode())
    for line in sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in tbox):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where schema closures are kept between runs: $KZKG_CACHE_DIR, else the XDG cache."""
    configured = os.environ.get("KZKG_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kzkg"


def _read_cached(path: Path) -> frozenset[Triple] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        quads = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        return frozenset(triple_from_ox(q) for q in quads)
    except SyntaxError:  # a truncated or foreign file: recompute and overwrite it
        return None


def _write_cached(path: Path, closure: frozenset[Triple]) -> None:
    """Best effort: a read-only or full disk only costs the next run the owlrl time again."""
    text = ox.serialize([triple_to_ox(triple) for triple in closure], format=ox.RdfFormat.N_TRIPLES)
    assert text is not None  # pyoxigraph returns the bytes when given no output file
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(text)
        temporary.replace(path)  # atomic: concurrent builds never read half a file
        # Ontologies parsed without kzkg.map's canonical blank nodes get a new key per parse;
        # keep the cache from growing without bound by dropping all but the newest files.
        files = sorted(path.parent.glob("schema-*.nt"), key=lambda f: f.stat().st_mtime, reverse=True)
        for stale in files[_CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError as unwritable:
        log.info("schema closure not cached (%s)", unwritable)


def schema_closure(tbox: frozenset[Triple], use_disk_cache: bool = True) -> frozenset[Triple]:
    """owlrl's closure of the schema alone, computed once per distinct schema and kept.

    The schema is the same for every build, and owlrl takes a few hundred milliseconds over it —
    a fifth of the real corpus's whole rebuild budget — so the result is cached in memory and on
    disk (N-Triples, keyed by a digest of the sorted schema triples and the owlrl version; blank
    node labels are part of the key, which is stable because kzkg.map canonicalises them).
    """
    key = _schema_key(tbox)
    cached = _SCHEMA_CLOSURES.get(key)
    if cached is None and use_disk_cache:
        cached = _read_cached(cache_dir() / f"schema-{key[:32]}.nt")
    if cached is None:
        cached = frozenset(owlrl_closure(tbox))
        if use_disk_cache:
            _write_cached(cache_dir() / f"schema-{key[:32]}.nt", cached)
    _SCHEMA_CLOSURES[key] = cached
    return cached


def unsupported_constructs(tbox: Iterable[Triple]) -> set[URIRef]:
    """The schema predicates reasonable would ignore and this module does not supplement."""
    return {p for _, p, _ in tbox if p in _UNSUPPORTED_BY_REASONABLE}


def _rdf_list(graph_index: dict[tuple, list], head) -> list:
    items = []
    while head is not None and head != RDF.nil:
        firsts = graph_index.get((head, RDF.first), [])
        if not firsts:
            break
        items.append(firsts[0])
        rests = graph_index.get((head, RDF.rest), [])
        head = rests[0] if rests else None
    return items


def property_chains(schema: Iterable[Triple]) -> list[tuple[URIRef, list[URIRef]]]:
    """Every ``p owl:propertyChainAxiom (p1 … pn)`` of the schema, as (p, [p1, …, pn])."""
    index: dict[tuple, list] = {}
    heads = []
    for s, p, o in schema:
        index.setdefault((s, p), []).append(o)
        if p == OWL.propertyChainAxiom:
            heads.append((s, o))
    return [(prop, chain) for prop, head in heads if (chain := _rdf_list(index, head))]


def chain_inferences(
    triples: Iterable[Triple], chains: list[tuple[URIRef, list[URIRef]]], transitive: frozenset = frozenset()
) -> set[Triple]:
    """prp-spo2: x p1 y1 … yn-1 pn z  ⇒  x p z.

    Over a closed graph one hop per step is enough. Over asserted triples, steps that are
    ``transitive`` properties are followed to every node they reach (prp-trp folded in), which
    gives the same chain results as the closure would, before any reasoning.
    """
    wanted = {step for _, chain in chains for step in chain}
    by_predicate: dict[URIRef, dict] = {p: {} for p in wanted}
    for s, p, o in triples:
        if p in by_predicate:
            by_predicate[p].setdefault(s, set()).add(o)

    def follow(step: URIRef, nodes: set) -> set:
        edges = by_predicate[step]
        reached = {z for y in nodes for z in edges.get(y, ())}
        if step in transitive:
            frontier = reached
            while frontier:
                frontier = {z for y in frontier for z in edges.get(y, ())} - reached
                reached |= frontier
        return reached

    out: set[Triple] = set()
    for prop, chain in chains:
        for start in list(by_predicate[chain[0]]):
            frontier = follow(chain[0], {start})
            for step in chain[1:]:
                frontier = follow(step, frontier)
                if not frontier:
                    break
            out.update((start, prop, z) for z in frontier)
    return out


# Schema axioms after which OWL RL can derive owl:sameAs between individuals (prp-fp, prp-ifp,
# prp-key, cls-maxc2, cls-maxqc3/4): sameAs rewrites *any* triple (eq-rep-*), so with these no
# instance triple is inert.
_SAMEAS_SOURCES = frozenset({OWL.FunctionalProperty, OWL.InverseFunctionalProperty})
_SAMEAS_PREDICATES = frozenset(
    {OWL.hasKey, OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.cardinality, OWL.qualifiedCardinality}
)


def relevant_predicates(schema: Iterable[Triple]) -> frozenset:
    """Predicates whose instance triples some OWL RL rule can use, given this schema.

    Every rule that consumes an instance triple ``x p y`` (prp-*, cls-*, cax-*) needs ``p`` to be
    rdf:type or to be named by a schema axiom (domain, range, sub-property, characteristic,
    inverse, chain, restriction); the eq-* rules need owl:sameAs. Any other triple — quotes,
    offsets, labels, dates — can neither produce nor help produce an inference, and since it is
    asserted it is never an inference itself, so it is kept out of the reasoner: on the real
    corpus that is over 40% of the instance triples.
    """
    named = {term for triple in schema for term in (triple[0], triple[2]) if isinstance(term, URIRef)}
    return frozenset(named | {RDF.type, OWL.sameAs})


def pruning_is_safe(schema: Iterable[Triple]) -> bool:
    """False when the schema lets OWL RL derive owl:sameAs, which makes every triple relevant."""
    return not any(p in _SAMEAS_PREDICATES or (p == RDF.type and o in _SAMEAS_SOURCES) for _, p, o in schema)


class Reasoner:
    """reasonable plus the supplements above, keeping state so that additions reason incrementally.

    ``add`` feeds new asserted triples; ``closure`` returns the full closure (asserted included).
    Additions of instance data only re-derive what they entail (reasonable materialises additions
    incrementally); a change to the schema (TBox) starts over, because every instance inference
    may depend on it. Instance triples no rule can use are held back (see ``relevant_predicates``)
    unless owl:sameAs is in play, in which case everything goes to the reasoner.
    """

    def __init__(self) -> None:
        import reasonable  # imported here so that owlrl-only installs can still import kzkg

        self._module = reasonable
        self._engine: Any = None  # a reasonable.PyReasoner once the schema is known (reasonable ships no types)
        self._tbox: frozenset[Triple] = frozenset()
        self._schema: frozenset[Triple] = frozenset()
        self._chains: list[tuple[URIRef, list[URIRef]]] = []
        self._relevant: frozenset = frozenset()
        self._transitive: frozenset = frozenset()
        self._chain_edges: list[Triple] = []
        self._chained: set[Triple] = set()
        self._prune = True
        self._abox: list[Triple] = []
        self._inert: list[Triple] = []
        self._closure: list[Triple] | None = None

    @property
    def schema_closure(self) -> frozenset[Triple]:
        return self._schema

    def add(self, triples: Iterable[Triple]) -> None:
        tbox, abox = split_schema(triples)
        self._abox.extend(abox)
        if self._engine is None or tbox - self._tbox:
            self._tbox = self._tbox | tbox
            self._restart()
        else:
            self._feed(abox)
        self._closure = None

    def _restart(self) -> None:
        self._schema = schema_closure(self._tbox)
        self._chains = property_chains(self._schema)
        self._transitive = frozenset(s for s, p, o in self._schema if p == RDF.type and o == OWL.TransitiveProperty)
        self._chain_edges, self._chained = [], set()
        self._relevant = relevant_predicates(self._schema)
        self._prune = self._prune and pruning_is_safe(self._schema)
        self._engine = self._module.PyReasoner()
        self._engine.from_graph(list(self._schema))
        self._inert = []
        self._feed(self._abox)

    def _feed(self, abox: list[Triple]) -> None:
        if not self._prune:
            active = abox
        else:
            relevant, active = self._relevant, []
            keep, hold = active.append, self._inert.append
            for triple in abox:
                if triple[1] in relevant:
                    keep(triple)
                else:
                    hold(triple)
            if any(p == _SAME_AS and s != o for s, p, o in active):
                self._stop_pruning()
                return
        self._engine.from_graph(active)
        self._engine.from_graph(self._prechain(active))

    def _prechain(self, active: list[Triple]) -> list[Triple]:
        """Chain results that follow from the asserted triples, fed with them to reasonable.

        Each chain result found only after reasoning costs another reasonable pass (and another
        conversion of its whole output to rdflib terms); found here, from asserted edges with
        transitive steps followed, the usual build needs a single pass. ``closure`` still checks
        for chain results that needed other rules, so this only saves time, never changes output.
        """
        if not self._chains:
            return []
        steps = {step for _, chain in self._chains for step in chain}
        self._chain_edges.extend(t for t in active if t[1] in steps)
        new = chain_inferences(self._chain_edges, self._chains, self._transitive) - self._chained
        self._chained |= new
        self._chain_edges.extend(t for t in new if t[1] in steps)
        return list(new)

    def _stop_pruning(self) -> None:
        self._prune = False
        self._restart()

    def closure(self) -> list[Triple]:
        """Asserted + inferred, with property chains applied until nothing new follows."""
        if self._closure is None:
            steps = {step for _, chain in self._chains for step in chain} | {_SAME_AS}
            heads = {prop for prop, _ in self._chains}
            while True:
                result = self._engine.reason()
                # One pass over the result for what the checks below need: chain edges and sameAs.
                # Chains follow IRIs, never literals, so no literal respelling is needed here.
                edges = [t for t in result if t[1] in steps]
                if self._prune and any(p == _SAME_AS for s, p, o in edges if s != o):
                    self._stop_pruning()  # a derived sameAs would rewrite held-back triples too
                    continue
                if not self._chains:
                    break
                current = {t for t in edges if t[1] in heads}
                new = chain_inferences(edges, self._chains) - current
                if not new:
                    break
                self._engine.from_graph(list(new))
            # The closed schema is part of reasonable's base triples already; listing it again
            # costs nothing downstream (callers take sets) and guarantees owlrl's schema
            # inferences are present whatever reasonable does with them.
            self._closure = list(self._schema) + result + self._inert
        return self._closure


def reasonable_closure(asserted: Iterable[Triple]) -> list[Triple]:
    """The closure by reasonable with this module's supplements (asserted included)."""
    reasoner = Reasoner()
    reasoner.add(asserted)
    return reasoner.closure()


def infer_triples(asserted: Graph | Iterable[Triple], engine: str = DEFAULT_ENGINE) -> set[Triple]:
    """What OWL RL adds to ``asserted`` (ontology + data), minus the noise, as a set of triples.

    ``engine`` is "reasonable" (default, fast) or "owlrl" (the reference); both give the same
    set, which tests/test_reason_engines.py checks. A schema that needs a rule the reasonable
    engine lacks is reasoned over by owlrl, with a warning in the log.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown reasoning engine {engine!r}: use one of {', '.join(ENGINES)}")
    with without_cyclic_gc():
        return _infer_triples(asserted, engine)


def _infer_triples(asserted: Graph | Iterable[Triple], engine: str) -> set[Triple]:
    triples = asserted if isinstance(asserted, (list, set, frozenset)) else list(asserted)
    closure: Iterable[Triple] | None = None
    if engine == "reasonable":
        reasoner = Reasoner()
        reasoner.add(triples)
        missing = unsupported_constructs(reasoner.schema_closure)
        if missing:
            log.warning(
                "schema uses %s, which reasonable lacks: reasoning with owlrl",
                ", ".join(sorted(str(m) for m in missing)),
            )
        else:
            closure = reasoner.closure()
    if closure is None:
        closure = owlrl_closure(triples)
    return filtered(closure, triples)


def infer(asserted: Graph | Iterable[Triple], engine: str = DEFAULT_ENGINE) -> Graph:
    """:func:`infer_triples` as an rdflib Graph (for serialising; a build uses the set)."""
    inferred = Graph()
    for triple in infer_triples(asserted, engine):
        inferred.add(triple)
    return inferred


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "KZ",
    "Reasoner",
    "filtered",
    "infer",
    "infer_triples",
    "is_noise",
    "owlrl_closure",
    "reasonable_closure",
]
