"""SHACL shapes compiled to checks, for the fast conformance check (:mod:`kzkg.shacl_fast`).

Compiling refuses (:class:`~kzkg.shacl_constraints.Unsupported`) any shapes graph that uses
something outside the implemented SHACL Core subset, before anything is checked, so that pyshacl
validates instead; what each constraint means for a value is :mod:`kzkg.shacl_constraints`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import NoReturn

from pyshacl.consts import XSD_WHOLE_INTEGERS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from kzkg.shacl_constraints import (
    NODE_KINDS,
    Check,
    Unsupported,
    class_check,
    count_check,
    datatype_check,
    has_value_check,
    in_check,
    kind_check,
    language_check,
    length_check,
    pair_check,
    pattern_check,
    range_check,
)
from kzkg.shacl_index import DataIndex

_NO_VALUES: frozenset[Node] = frozenset()

_SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape, SH.Shape}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# Parameters with no effect on conformance (pyshacl reads them for messages only).
_INERT = {SH.name, SH.description, SH.message, SH.order, SH.group, SH.defaultValue}
_QUALIFIED = (SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint)
_LIST_PARAMETERS = (SH["or"], SH["and"], SH.xone, SH["in"], SH.languageIn)
_IMPLEMENTED = {
    SH.path,
    SH.inversePath,
    SH.property,
    SH.node,
    SH["not"],
    SH["or"],
    SH["and"],
    SH.xone,
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.languageIn,
    SH["in"],
    SH.hasValue,
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.lessThanOrEquals,
    *_QUALIFIED,
    *_TARGETS,
    *_INERT,
}
# sh: terms that may appear in a shapes graph outside shape definitions without changing what is
# validated (node kinds, the shape classes, list-valued parameters' contents are plain nodes).
_HARMLESS_SH_OBJECTS = {
    SH.IRI,
    SH.BlankNode,
    SH.Literal,
    SH.BlankNodeOrIRI,
    SH.BlankNodeOrLiteral,
    SH.IRIOrLiteral,
    *_SHAPE_TYPES,
}


@dataclass
class Shape:
    """A shape compiled to checks: its own value-level constraints and its sh:property shapes."""

    node: Node
    path: tuple[tuple[Node, bool], ...] | None  # (predicate, inverse) steps; None for node shapes
    values: Callable[[Node], Collection[Node]]  # focus node -> value nodes (never mutated)
    checks: list[Check] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    # focus node -> conforms, for node shapes: sh:node/sh:or targets such as kzsh:ActorValue are
    # asked about the same few actors thousands of times. (Property shapes see each focus once.)
    verdicts: dict[Node, bool] | None = None


def conforms(shape: Shape, focus: Node) -> bool:
    """Whether ``focus`` conforms to ``shape``, remembered per node shape (see :class:`Shape`)."""
    verdicts = shape.verdicts
    if verdicts is not None:
        known = verdicts.get(focus)
        if known is not None:
            return known
    vs = shape.values(focus)
    ok = True
    for check in shape.checks:
        if not check(focus, vs):
            ok = False
            break
    else:
        for prop in shape.properties:
            for v in vs:
                if not conforms(prop, v):
                    ok = False
                    break
            if not ok:
                break
    if verdicts is not None:
        verdicts[focus] = ok
    return ok


class CompiledShapes:
    """A shapes graph compiled once, against the index of the data it will check: ``top`` holds each
    targeted shape with its node, and :func:`conforms` evaluates any compiled shape."""

    def __init__(self, shapes: Graph, index: DataIndex):
        self.sg = shapes
        self.index = index
        self._compiled: dict[Node, Shape] = {}
        self._compiling: set[Node] = set()
        self._check_shapes_graph()
        self.top = [(self._shape(node), node) for node in self._targeted()]

    def _check_shapes_graph(self) -> None:
        """Refuse shapes graphs that use anything beyond the implemented subset (any sh: term)."""
        sh = str(SH)
        known = _IMPLEMENTED | _HARMLESS_SH_OBJECTS
        shape_like: set[Node] = set()
        for s, p, o in self.sg:
            if str(p).startswith(sh):
                if p not in _IMPLEMENTED:
                    raise Unsupported(f"{p} is not implemented")
                shape_like.add(s)
            if isinstance(o, URIRef) and str(o).startswith(sh) and o not in known:
                raise Unsupported(f"{o} is not implemented")
        # pyshacl targets the instances of a shape that is also a class (implicit class target).
        implicit = {RDFS.Class, *self.sg.subjects(RDFS.subClassOf, RDFS.Class)}
        for s, o in self.sg.subject_objects(RDF.type):
            if o in implicit and (s in shape_like or set(self.sg.objects(s, RDF.type)) & _SHAPE_TYPES):
                raise Unsupported("implicit class targets are not implemented")

    def _targeted(self) -> list[Node]:
        return sorted({s for target in _TARGETS for s in self.sg.subjects(target, None)}, key=str)

    def _one(self, node: Node, parameter: Node) -> Node | None:
        values = list(self.sg.objects(node, parameter))
        if len(values) > 1:
            raise Unsupported(f"several {parameter} on {node}")
        return values[0] if values else None

    def _items(self, node: Node) -> list[Node]:
        items, seen = [], set()
        while node != RDF.nil:
            if node in seen or not isinstance(node, BNode):
                raise Unsupported("not a well-formed RDF list")
            seen.add(node)
            first, rest = list(self.sg.objects(node, RDF.first)), list(self.sg.objects(node, RDF.rest))
            if len(first) != 1 or len(rest) != 1:
                raise Unsupported("not a well-formed RDF list")
            items.append(first[0])
            node = rest[0]
        return items

    def _path(self, path: Node) -> tuple[tuple[Node, bool], ...]:
        def step(node: Node) -> tuple[Node, bool]:
            if isinstance(node, URIRef):
                return (node, False)
            inverse = list(self.sg.objects(node, SH.inversePath))
            if len(inverse) == 1 and isinstance(inverse[0], URIRef) and len(set(self.sg.predicate_objects(node))) == 1:
                return (inverse[0], True)
            raise Unsupported(f"path {node} is not implemented")

        if isinstance(path, BNode) and (path, RDF.first, None) in self.sg:
            steps = tuple(step(item) for item in self._items(path))
            if len(steps) < 2:
                raise Unsupported("a sequence path needs two steps")  # pyshacl raises: let it
            return steps
        return (step(path),)

    def _shape(self, node: Node) -> Shape:
        compiled = self._compiled.get(node)
        if compiled is not None:
            return compiled
        if node in self._compiling:
            raise Unsupported(f"recursive shape {node}")  # pyshacl warns and skips: let it decide
        self._compiling.add(node)
        path_node = self._one(node, SH.path)
        path = None if path_node is None else self._path(path_node)
        shape = Shape(node, path, self._value_function(path), verdicts={} if path is None else None)
        self._compile_checks(shape)
        self._compiling.discard(node)
        self._compiled[node] = shape
        return shape

    def _integer(self, value: Node, types: Collection[Node | None] = (XSD.integer,)) -> int:
        if (
            not isinstance(value, Literal)
            or value.datatype not in types
            or getattr(value, "ill_typed", False)
            or not isinstance(value.value, int)
            or value.value < 0
        ):
            raise Unsupported(f"{value!r} is not a non-negative integer")
        return value.value

    def _compile_checks(self, shape: Shape) -> None:
        sg, node, add = self.sg, shape.node, shape.checks.append
        is_property = shape.path is not None
        for parameter in set(sg.predicates(node)):
            if parameter in _QUALIFIED or parameter in _INERT or parameter in _TARGETS or parameter == SH.path:
                continue
            if not str(parameter).startswith(str(SH)):
                continue
            values = list(sg.objects(node, parameter))
            if parameter in _LIST_PARAMETERS and len(values) != 1:
                raise Unsupported(f"several {parameter} lists on {node}")
            if parameter == SH.property:
                shape.properties.extend(self._shape(v) for v in values)
                for prop in shape.properties:
                    if prop.path is None:
                        raise Unsupported(f"sh:property {prop.node} has no sh:path")
            elif parameter == SH.node:
                targets = [self._shape(v) for v in values]
                if any(t.path is not None for t in targets):
                    self._refuse(parameter, node)  # pyshacl: "not a well-formed SHACL NodeShape"
                add(self._all_conform(targets))
            elif parameter == SH["not"]:
                for negated in (self._shape(v) for v in values):
                    add(self._none_conform(negated))
            elif parameter == SH["and"]:
                add(self._all_conform([self._shape(v) for v in self._items(values[0])]))
            elif parameter == SH["or"]:
                add(self._count_conform([self._shape(v) for v in self._items(values[0])], lambda n: n >= 1))
            elif parameter == SH.xone:
                add(self._count_conform([self._shape(v) for v in self._items(values[0])], lambda n: n == 1))
            elif parameter == SH["class"]:
                add(class_check(self.index.forward(RDF.type), [self.index.subclasses(c) for c in values]))
            elif parameter == SH.datatype:
                if len(values) != 1:
                    self._refuse(parameter, node)
                add(datatype_check(values[0]))
            elif parameter == SH.nodeKind:
                kinds = NODE_KINDS.get(values[0]) if len(values) == 1 else None
                if kinds is None:
                    self._refuse(parameter, node)
                add(kind_check(kinds))
            elif parameter in (SH.minCount, SH.maxCount):
                if not is_property or len(values) != 1:
                    self._refuse(parameter, node)
                add(count_check(self._integer(values[0]), at_least=parameter == SH.minCount))
            elif parameter in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
                for bound in values:
                    add(range_check(parameter, bound))
            elif parameter in (SH.minLength, SH.maxLength):
                if len(values) != 1:
                    self._refuse(parameter, node)
                length = self._integer(values[0], XSD_WHOLE_INTEGERS)
                add(length_check(length, at_least=parameter == SH.minLength))
            elif parameter == SH.pattern:
                if len(values) != 1 or not isinstance(values[0], Literal) or (node, SH.flags, None) in sg:
                    self._refuse(parameter, node)
                pattern = values[0]
                regex = re.compile(
                    str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
                )
                add(pattern_check(regex))
            elif parameter == SH.languageIn:
                add(language_check(self._items(values[0])))
            elif parameter == SH["in"]:
                allowed = frozenset(self.index.term(v) for v in self._items(values[0]))
                add(in_check(allowed))
            elif parameter == SH.hasValue:
                add(has_value_check(tuple(values)))
            elif parameter in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
                if not all(isinstance(v, URIRef) for v in values):
                    self._refuse(parameter, node)
                if parameter in (SH.lessThan, SH.lessThanOrEquals) and not is_property:
                    self._refuse(parameter, node)
                for other in values:
                    add(pair_check(parameter, self.index.forward(other)))
            else:
                self._refuse(parameter, node)
        if any((node, q, None) in sg for q in _QUALIFIED):
            add(self._qualified_check(shape))

    def _count(self, value: Node) -> int:
        """sh:qualifiedMin/MaxCount: pyshacl accepts any literal whose value is an int."""
        return self._integer(value, (value.datatype,) if isinstance(value, Literal) else ())

    @staticmethod
    def _refuse(parameter: Node, node: Node) -> NoReturn:
        raise Unsupported(f"{parameter} on {node} is not implemented as pyshacl reads it")

    # -- combining shapes -------------------------------------------------------------------------

    @staticmethod
    def _all_conform(shapes: list[Shape]) -> Check:
        return lambda f, vs: all(conforms(s, v) for s in shapes for v in vs)

    @staticmethod
    def _none_conform(shape: Shape) -> Check:
        return lambda f, vs: not any(conforms(shape, v) for v in vs)

    @staticmethod
    def _count_conform(shapes: list[Shape], accept: Callable[[int], bool]) -> Check:
        return lambda f, vs: all(accept(sum(1 for s in shapes if conforms(s, v))) for v in vs)

    def _qualified_check(self, shape: Shape) -> Check:
        sg, node = self.sg, shape.node
        if shape.path is None:
            raise Unsupported("sh:qualifiedValueShape on a node shape")  # pyshacl ignores it
        qualified = self._one(node, SH.qualifiedValueShape)
        if qualified is None:
            self._refuse(SH.qualifiedValueShape, node)
        minimum = self._one(node, SH.qualifiedMinCount)
        maximum = self._one(node, SH.qualifiedMaxCount)
        if minimum is None and maximum is None:
            self._refuse(SH.qualifiedValueShape, node)
        low = None if minimum is None else self._count(minimum)
        high = None if maximum is None else self._count(maximum)
        disjoint = any(
            isinstance(d, Literal) and isinstance(d.value, bool) and d.value
            for d in sg.objects(node, SH.qualifiedValueShapesDisjoint)
        )
        target = self._shape(qualified)
        siblings: list[Shape] = []
        if disjoint:
            names = {
                q
                for parent in sg.subjects(SH.property, node)
                for p in sg.objects(parent, SH.property)
                for q in sg.objects(p, SH.qualifiedValueShape)
                if q != qualified
            }
            siblings = [self._shape(q) for q in sorted(names, key=str)]

        def check(f: Node, vs: Collection[Node]) -> bool:
            count = sum(1 for v in vs if conforms(target, v) and not any(conforms(s, v) for s in siblings))
            return (high is None or count <= high) and (low is None or count >= low)

        return check

    def _value_function(self, path: tuple[tuple[Node, bool], ...] | None) -> Callable[[Node], Collection[Node]]:
        """Value nodes of a path as sets, as pyshacl computes them (duplicates collapse)."""
        if path is None:
            return lambda focus: (focus,)
        tables = [self.index.inverse(p) if inverse else self.index.forward(p) for p, inverse in path]
        if len(tables) == 1:
            get = tables[0].get
            return lambda focus: get(focus, _NO_VALUES)

        def follow(focus: Node) -> Collection[Node]:
            current = {focus}
            for table in tables:
                following: set[Node] = set()
                for node in current:
                    following.update(table.get(node, ()))
                current = following
            return current

        return follow
