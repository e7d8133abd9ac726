"""Stage 3, validate: the corpus checks and the SHACL shapes.

Two layers, because they catch different mistakes: the corpus checks speak the curator's language
(file, entry, id) about things SHACL cannot see — a quote missing from the text, an id that
resolves nowhere — while the shapes check the RDF that users will actually query. Exit codes
follow pyshacl's contract: 0 clean, 1 violations, 2 could not validate.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kzkg.assertion_format import check_assertions
from kzkg.corpus import Corpus, Problem
from kzkg.shacl_fast import fast_failures
from kzkg.shacl_index import Triple


def __getattr__(name: str) -> int:
    """The exit codes moved to the CLI, which owns that contract; old imports keep working."""
    if name in ("EXIT_CLEAN", "EXIT_VIOLATIONS", "EXIT_ERROR"):
        from kzkg import cli

        return getattr(cli, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Report:
    """What validation found; ``exit_code`` is the CLI's contract."""

    problems: list[Problem] = field(default_factory=list)
    shacl: list[str] = field(default_factory=list)
    checked_files: int = 0

    @property
    def conforms(self) -> bool:
        return not self.problems and not self.shacl

    @property
    def exit_code(self) -> int:
        from kzkg.cli import EXIT_CLEAN, EXIT_VIOLATIONS

        return EXIT_CLEAN if self.conforms else EXIT_VIOLATIONS

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + self.shacl


def check_references(corpus: Corpus) -> list[Problem]:
    """Every id a curator wrote must resolve to something of the right kind."""
    problems: list[Problem] = []

    def bad(where: str, message: str) -> None:
        path, _, entry = where.partition(": ")
        problems.append(Problem(path, entry, message))

    entities, events, claims = corpus.entities, corpus.events, corpus.claims

    def need_entity(where: str, key: str, value: str | None, kinds: tuple[str, ...] = ()) -> None:
        if value is None:
            return
        entity = entities.get(value)
        if entity is None:
            bad(
                where,
                f"{key!r}: {value!r} is not in the entity registry" + (" (it is an event)" if value in events else ""),
            )
        elif kinds and not set(entity.types) & set(kinds):
            bad(where, f"{key!r}: {value!r} is a {'/'.join(entity.types)}, expected {' or '.join(kinds)}")

    actor_kinds = ("Person", "Organization", "MediaOutlet", "Group")
    for article in corpus.articles.values():
        where = f"data/articles.yaml: article {article.id}"
        need_entity(where, "publisher", article.publisher, ("Organization", "MediaOutlet"))
        for creator in article.creators:
            need_entity(where, "creators", creator, actor_kinds)
        if article.repost_of:
            need_entity(where, "repost_of: publisher", article.repost_of["publisher"], ("Organization", "MediaOutlet"))
        for reprinted in article.reprints:
            if reprinted not in corpus.articles:
                bad(where, f"'reprints': {reprinted!r} is not an article")
    for entity in entities.values():
        need_entity(entity.where, "located_in", entity.located_in, ("Place",))
        for organisation in entity.member_of:
            need_entity(entity.where, "member_of", organisation, ("Organization",))
        need_entity(entity.where, "country", entity.country, ("Place",))
        if entity.control and "MediaOutlet" not in entity.types:
            bad(entity.where, "'control' applies to MediaOutlets only")
    for event in events.values():
        for place in event.places:
            need_entity(event.where, "places", place, ("Place",))
        for actor in event.participants:
            need_entity(event.where, "participants", actor, (*actor_kinds, "Place"))
        for parent in event.part_of:
            if parent not in events:
                bad(event.where, f"'part_of': {parent!r} is not an event")
            elif parent == event.id:
                bad(event.where, "'part_of': an event cannot be part of itself")
    for claim in claims.values():
        for actor in claim.claimed_by:
            need_entity(claim.where, "claimed_by", actor, actor_kinds)
        for actor in claim.via:
            need_entity(claim.where, "via", actor, (*actor_kinds, "Channel"))
        need_entity(claim.where, "stated_in", claim.stated_in, ("Channel", "MediaOutlet"))
        for subject in claim.about:
            if subject not in entities and subject not in events:
                bad(claim.where, f"'about': {subject!r} is neither an entity nor an event")
        for key in ("contradicts", "corroborates"):
            for other in getattr(claim, key):
                if other == claim.id:
                    bad(claim.where, f"{key!r}: a claim cannot {key[:-1]} itself")
                elif other not in claims:
                    bad(claim.where, f"{key!r}: {other!r} is not a claim")
        if set(claim.contradicts) & set(claim.corroborates):
            bad(claim.where, "a claim both contradicts and corroborates the same claim")
    for report in corpus.reports:
        if report.claim not in claims:
            bad(report.where, f"{report.claim!r} is not a claim")
        elif claims[report.claim].article == report.evidence.article:
            bad(report.where, "the claim is already defined in this article's file")
    for role in corpus.roles:
        need_entity(role.where, "actor", role.actor, actor_kinds)
    for where, message in check_assertions(corpus):  # claims as data: kzkg.assertion_format
        bad(where, message)
    return problems


def run_shapes(
    data: Graph | Collection[Triple], shapes: Graph, ontology: Graph | None, *, engine: str = "fast"
) -> list[str]:
    """SHACL violations as readable lines: focus node, path, message.

    ``engine="fast"`` (the default) first asks the fast checker (kzkg.shacl_fast) whether the data
    conforms, which is all a passing build needs; only when something fails (or the shapes use SHACL the
    checker does not implement) does pyshacl validate, so every reported line is pyshacl's.
    ``engine="pyshacl"`` skips the fast check (the reference, for tests and benchmarks).

    ``data`` is a Graph, or any collection of triples (a list or set): then no rdflib Graph is
    filled unless pyshacl has to report — filling one costs more per triple than the whole check.
    A Graph may be validated in place (pyshacl mixes the ontology into it instead of copying it
    first), so callers pass a graph made for validation only.
    """
    if engine not in ("fast", "pyshacl"):
        raise ValueError(f"unknown SHACL engine {engine!r}")
    if engine == "fast" and fast_failures(data, shapes, ontology) == set():
        return []
    if not isinstance(data, Graph):
        graph = Graph()
        for triple in data:
            graph.add(triple)
        data = graph
    return pyshacl_lines(data, shapes, ontology)


def pyshacl_lines(data: Graph, shapes: Graph, ontology: Graph | None) -> list[str]:
    """The violations pyshacl reports (nested sh:detail results included), one line each."""
    conforms, results, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )
    if conforms:
        return []
    lines = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        if severity is not None and severity != SH.Violation:
            continue
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        lines.append(f"shacl: {focus}: {_path_text(results, path)}: {message}")
    return sorted(lines)


def _path_text(graph: Graph, path: Node | None) -> str:
    """A result path in SPARQL property path syntax (full IRIs), not a blank node's label.

    pyshacl copies a complex path (a sequence such as kz:evidence/oa:hasTarget/oa:hasSource) into
    the results graph as blank nodes; printing the node would name nothing a curator can find.
    """
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in graph:
        return "/".join(_path_text(graph, step) for step in graph.items(path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{_path_text(graph, inverse)}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_text(graph, step) for step in graph.items(alternatives)) + ")"
    for repeat, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, repeat)
        if inner is not None:
            return f"({_path_text(graph, inner)}){mark}"
    return str(path)


def load_turtle(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle")
    return graph
