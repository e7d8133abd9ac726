"""A fast SHACL conformance check for the SHACL Core subset the kzkg shapes use.

Why it exists: pyshacl re-instantiates every constraint component for every focus node and builds
a full result (message, stringified nodes) for every failing branch of an sh:or, almost all of it
on data that conforms; this checker answers the same yes/no question from dict indexes built once
per run. bench/README.md (*SHACL*) has the measurements, and why pyshacl-turbo does not replace it.
It is a pre-filter, not a second authority:

* it decides conformance only; as soon as anything fails, ``kzkg.validate.run_shapes`` asks
  pyshacl for the report, so every reported line (focus node, path, message, nested details) is
  pyshacl's;
* it implements each constraint as pyshacl 0.40 does (the code paths are mirrored, literal
  comparisons use pyshacl's own ``compare_literal`` and ``XSD_WHOLE_INTEGERS``, hence the pin
  ``pyshacl>=0.40.1,<0.41`` in pyproject.toml), and tests/test_shacl_fast.py checks that both
  flag exactly the same (focus node, source shape) pairs on deliberately broken data; those tests
  must pass before the pin moves;
* any construct it does not implement (sh:severity, sh:deactivated, sh:closed, SPARQL-based
  constraints, SHACL-AF, unusual paths, malformed parameters, recursive shapes, ...) makes it
  step aside before checking anything, and pyshacl validates as before; so does anything odd it
  meets in the data (a blank node compared with sh:lessThan, an incomparable pair).

The parts: :mod:`kzkg.shacl_index` indexes the data, :mod:`kzkg.shacl_compile` turns the shapes
into checks, :mod:`kzkg.shacl_constraints` says what each constraint means for a value; this
module finds each shape's targets and names the (focus node, shape) pairs that fail.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from rdflib import ConjunctiveGraph, Graph
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kzkg.resources import without_cyclic_gc
from kzkg.shacl_compile import CompiledShapes, Shape, conforms
from kzkg.shacl_constraints import Unsupported
from kzkg.shacl_index import DataIndex, Triple

log = logging.getLogger(__name__)


def focus_nodes(compiled: CompiledShapes, node: Node) -> set[Node]:
    """The targets of a shape, as pyshacl finds them (targetClass follows rdfs:subClassOf)."""
    found: set[Node] = set(compiled.sg.objects(node, SH.targetNode))
    types = compiled.index.inverse(RDF.type)
    for cls in compiled.sg.objects(node, SH.targetClass):
        for sub in compiled.index.subclasses(cls):
            found.update(types.get(sub, ()))
    for predicate in compiled.sg.objects(node, SH.targetSubjectsOf):
        found.update(compiled.index.forward(predicate))
    for predicate in compiled.sg.objects(node, SH.targetObjectsOf):
        found.update(compiled.index.inverse(predicate))
    return found


def failures(compiled: CompiledShapes) -> set[tuple[Node, Node]]:
    """(focus node, source shape) of every top-level result pyshacl would report."""
    failed: set[tuple[Node, Node]] = set()

    def report(shape: Shape, focus: Node) -> None:
        vs = shape.values(focus)
        if not all(check(focus, vs) for check in shape.checks):
            failed.add((focus, shape.node))
        for prop in shape.properties:
            for v in vs:
                report(prop, v)

    for shape, node in compiled.top:
        for focus in focus_nodes(compiled, node):
            if not conforms(shape, focus):
                report(shape, focus)
    return failed


def fast_failures(
    data: Graph | Collection[Triple], shapes: Graph, ontology: Graph | None
) -> set[tuple[Node, Node]] | None:
    """(focus node, source shape) of every top-level result pyshacl would report for ``data``
    with ``ontology`` mixed in, or None when only pyshacl can tell (see the notes above)."""
    if isinstance(data, ConjunctiveGraph) or isinstance(ontology, ConjunctiveGraph):
        return None  # named graphs: pyshacl's default-union handling, not reimplemented here
    graphs = [] if ontology is None else [ontology]
    with without_cyclic_gc():
        try:
            index = DataIndex([data, *graphs]) if isinstance(data, Graph) else DataIndex(graphs, data)
            return failures(CompiledShapes(shapes, index))
        except Unsupported as why:
            log.info("fast SHACL check not used (%s); validating with pyshacl", why)
            return None
