"""The data graph of a fast SHACL check, indexed for the lookups shapes make (kzkg.shacl_fast)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rdflib import Graph
from rdflib.namespace import RDFS
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


class DataIndex:
    """Forward and inverse adjacency of the data graph with the ontology mixed in, per predicate.

    Built lazily, one scan per predicate the shapes use, because an rdflib triple-pattern lookup
    per focus node and path costs more than the whole check. Terms are interned: rdflib compares
    equal terms in Python (Identifier.__eq__), so a dict lookup with an equal but distinct term
    object runs Python code, one with the very object the table holds almost none.
    """

    def __init__(self, graphs: Sequence[Graph], triples: Iterable[Triple] = ()):
        self.graphs = graphs
        canonical: dict[Node, Node] = {}
        self._canonical = canonical
        intern = canonical.setdefault
        # Plain triples are indexed in one pass (cheaper than any per-predicate scan of a list).
        self._pending: dict[Node, dict[Node, set[Node]]] = {}
        for s, p, o in triples:
            table = self._pending.get(p)
            if table is None:
                table = self._pending[p] = {}
            subject = intern(s, s)
            objects = table.get(subject)
            if objects is None:
                table[subject] = {intern(o, o)}
            else:
                objects.add(intern(o, o))
        self._forward: dict[Node, dict[Node, set[Node]]] = {}
        self._inverse: dict[Node, dict[Node, set[Node]]] = {}
        self._descendants: dict[Node, frozenset[Node]] = {}

    def forward(self, predicate: Node) -> dict[Node, set[Node]]:
        table = self._forward.get(predicate)
        if table is None:
            table = self._pending.pop(predicate, {})
            intern = self._canonical.setdefault
            for graph in self.graphs:
                for s, o in graph.subject_objects(predicate):
                    subject = intern(s, s)
                    objects = table.get(subject)
                    if objects is None:
                        table[subject] = {intern(o, o)}
                    else:
                        objects.add(intern(o, o))
            self._forward[predicate] = table
        return table

    def inverse(self, predicate: Node) -> dict[Node, set[Node]]:
        table = self._inverse.get(predicate)
        if table is None:
            table = {}
            for s, objects in self.forward(predicate).items():
                for o in objects:
                    table.setdefault(o, set()).add(s)
            self._inverse[predicate] = table
        return table

    def term(self, node: Node) -> Node:
        """The interned object for a term from elsewhere (the shapes graph)."""
        return self._canonical.setdefault(node, node)

    def subclasses(self, cls: Node) -> frozenset[Node]:
        """cls and every class below it by rdfs:subClassOf in the data graph (as pyshacl walks it)."""
        found = self._descendants.get(cls)
        if found is None:
            below = self.inverse(RDFS.subClassOf)
            cls = self.term(cls)
            seen, todo = {cls}, [cls]
            while todo:
                for sub in below.get(todo.pop(), ()):
                    if sub not in seen:
                        seen.add(sub)
                        todo.append(sub)
            found = self._descendants[cls] = frozenset(seen)
        return found
