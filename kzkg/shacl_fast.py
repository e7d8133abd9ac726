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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, NoReturn

from pyshacl.consts import XSD_WHOLE_INTEGERS
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from kzkg.resources import without_cyclic_gc

log = logging.getLogger(__name__)

Triple = tuple[Node, Node, Node]


class _Unsupported(Exception):
    """The shapes or the data need something the fast checker does not implement: use pyshacl."""


_Check = Callable[[Node, Collection[Node]], bool]  # (focus node, its value nodes) -> conforms?
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


class _Index:
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


@dataclass
class _Shape:
    """A shape compiled to checks: its own value-level constraints and its sh:property shapes."""

    node: Node
    path: tuple[tuple[Node, bool], ...] | None  # (predicate, inverse) steps; None for node shapes
    values: Callable[[Node], Collection[Node]]  # focus node -> value nodes (never mutated)
    checks: list[_Check] = field(default_factory=list)
    properties: list[_Shape] = field(default_factory=list)
    # focus node -> conforms, for node shapes: sh:node/sh:or targets such as kzsh:ActorValue are
    # asked about the same few actors thousands of times. (Property shapes see each focus once.)
    verdicts: dict[Node, bool] | None = None


def _as_string(value: Node) -> str:
    """pyshacl's value_node_to_string (sh:minLength, sh:maxLength, sh:pattern)."""
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def _datatype_matches(value: Node, datatype: Node) -> bool:
    """sh:datatype exactly as pyshacl 0.40 decides it (well-formedness via rdflib's parsed value)."""
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
        return _value_has_type(value, datatype)
    if datatype == RDFS.Literal:
        return True
    if datatype == RDFS.Datatype and value.datatype:
        return True
    if value.datatype is None and value.language is None and datatype == XSD.string:
        return _value_has_type(value, datatype)
    if datatype == RDF.langString and value.language:
        return _value_has_type(value, datatype)
    return False


_PYTHON_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


def _value_has_type(value: Literal, datatype: Node) -> bool:
    expected = _PYTHON_TYPES.get(datatype)
    return True if expected is None else isinstance(value.value, expected)


_NODE_KINDS: dict[Node, tuple[type[Node], ...]] = {
    SH.BlankNode: (BNode,),
    SH.IRI: (URIRef,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}


# Checks of one constraint value each, made by a function so that each check keeps its own value
# (a lambda in the compiling loop would see the loop's last one).
def _datatype_check(datatype: Node) -> _Check:
    return lambda f, vs: all(_datatype_matches(v, datatype) for v in vs)


def _kind_check(kinds: tuple[type[Node], ...]) -> _Check:
    return lambda f, vs: all(isinstance(v, kinds) for v in vs)


def _count_check(limit: int, at_least: bool) -> _Check:
    return (lambda f, vs: len(vs) >= limit) if at_least else (lambda f, vs: len(vs) <= limit)


def _length_check(limit: int, at_least: bool) -> _Check:
    if at_least:
        return lambda f, vs: all(not isinstance(v, BNode) and len(_as_string(v)) >= limit for v in vs)
    return lambda f, vs: all(not isinstance(v, BNode) and len(_as_string(v)) <= limit for v in vs)


def _pattern_check(regex: re.Pattern[str]) -> _Check:
    return lambda f, vs: all(not isinstance(v, BNode) and regex.search(_as_string(v)) for v in vs)


def _in_check(allowed: frozenset[Node]) -> _Check:
    return lambda f, vs: all(v in allowed for v in vs)


def _has_value_check(wanted: tuple[Node, ...]) -> _Check:
    return lambda f, vs: all(any(v == w for v in vs) for w in wanted)


class _FastShacl:
    """Compiles a shapes graph once and checks a data graph (+ ontology) against it."""

    def __init__(self, shapes: Graph, index: _Index):
        self.sg = shapes
        self.index = index
        self._compiled: dict[Node, _Shape] = {}
        self._compiling: set[Node] = set()
        self._check_shapes_graph()
        self.top = [(self._shape(node), node) for node in self._targeted()]

    # -- compiling ------------------------------------------------------------------------------

    def _check_shapes_graph(self) -> None:
        """Refuse shapes graphs that use anything beyond the implemented subset (any sh: term)."""
        sh = str(SH)
        known = _IMPLEMENTED | _HARMLESS_SH_OBJECTS
        shape_like: set[Node] = set()
        for s, p, o in self.sg:
            if str(p).startswith(sh):
                if p not in _IMPLEMENTED:
                    raise _Unsupported(f"{p} is not implemented")
                shape_like.add(s)
            if isinstance(o, URIRef) and str(o).startswith(sh) and o not in known:
                raise _Unsupported(f"{o} is not implemented")
        # pyshacl targets the instances of a shape that is also a class (implicit class target).
        implicit = {RDFS.Class, *self.sg.subjects(RDFS.subClassOf, RDFS.Class)}
        for s, o in self.sg.subject_objects(RDF.type):
            if o in implicit and (s in shape_like or set(self.sg.objects(s, RDF.type)) & _SHAPE_TYPES):
                raise _Unsupported("implicit class targets are not implemented")

    def _targeted(self) -> list[Node]:
        return sorted({s for target in _TARGETS for s in self.sg.subjects(target, None)}, key=str)

    def _one(self, node: Node, parameter: Node) -> Node | None:
        values = list(self.sg.objects(node, parameter))
        if len(values) > 1:
            raise _Unsupported(f"several {parameter} on {node}")
        return values[0] if values else None

    def _items(self, node: Node) -> list[Node]:
        items, seen = [], set()
        while node != RDF.nil:
            if node in seen or not isinstance(node, BNode):
                raise _Unsupported("not a well-formed RDF list")
            seen.add(node)
            first, rest = list(self.sg.objects(node, RDF.first)), list(self.sg.objects(node, RDF.rest))
            if len(first) != 1 or len(rest) != 1:
                raise _Unsupported("not a well-formed RDF list")
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
            raise _Unsupported(f"path {node} is not implemented")

        if isinstance(path, BNode) and (path, RDF.first, None) in self.sg:
            steps = tuple(step(item) for item in self._items(path))
            if len(steps) < 2:
                raise _Unsupported("a sequence path needs two steps")  # pyshacl raises: let it
            return steps
        return (step(path),)

    def _shape(self, node: Node) -> _Shape:
        compiled = self._compiled.get(node)
        if compiled is not None:
            return compiled
        if node in self._compiling:
            raise _Unsupported(f"recursive shape {node}")  # pyshacl warns and skips: let it decide
        self._compiling.add(node)
        path_node = self._one(node, SH.path)
        path = None if path_node is None else self._path(path_node)
        shape = _Shape(node, path, self._value_function(path), verdicts={} if path is None else None)
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
            raise _Unsupported(f"{value!r} is not a non-negative integer")
        return value.value

    def _compile_checks(self, shape: _Shape) -> None:
        sg, node, add = self.sg, shape.node, shape.checks.append
        is_property = shape.path is not None
        for parameter in set(sg.predicates(node)):
            if parameter in _QUALIFIED or parameter in _INERT or parameter in _TARGETS or parameter == SH.path:
                continue
            if not str(parameter).startswith(str(SH)):
                continue
            values = list(sg.objects(node, parameter))
            if parameter in _LIST_PARAMETERS and len(values) != 1:
                raise _Unsupported(f"several {parameter} lists on {node}")
            if parameter == SH.property:
                shape.properties.extend(self._shape(v) for v in values)
                for prop in shape.properties:
                    if prop.path is None:
                        raise _Unsupported(f"sh:property {prop.node} has no sh:path")
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
                add(self._class_check(values))
            elif parameter == SH.datatype:
                if len(values) != 1:
                    self._refuse(parameter, node)
                add(_datatype_check(values[0]))
            elif parameter == SH.nodeKind:
                kinds = _NODE_KINDS.get(values[0]) if len(values) == 1 else None
                if kinds is None:
                    self._refuse(parameter, node)
                add(_kind_check(kinds))
            elif parameter in (SH.minCount, SH.maxCount):
                if not is_property or len(values) != 1:
                    self._refuse(parameter, node)
                add(_count_check(self._integer(values[0]), at_least=parameter == SH.minCount))
            elif parameter in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
                for bound in values:
                    add(self._range_check(parameter, bound))
            elif parameter in (SH.minLength, SH.maxLength):
                if len(values) != 1:
                    self._refuse(parameter, node)
                length = self._integer(values[0], XSD_WHOLE_INTEGERS)
                add(_length_check(length, at_least=parameter == SH.minLength))
            elif parameter == SH.pattern:
                if len(values) != 1 or not isinstance(values[0], Literal) or (node, SH.flags, None) in sg:
                    self._refuse(parameter, node)
                pattern = values[0]
                regex = re.compile(
                    str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
                )
                add(_pattern_check(regex))
            elif parameter == SH.languageIn:
                add(self._language_check(values[0]))
            elif parameter == SH["in"]:
                allowed = frozenset(self.index.term(v) for v in self._items(values[0]))
                add(_in_check(allowed))
            elif parameter == SH.hasValue:
                add(_has_value_check(tuple(values)))
            elif parameter in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
                if not all(isinstance(v, URIRef) for v in values):
                    self._refuse(parameter, node)
                if parameter in (SH.lessThan, SH.lessThanOrEquals) and not is_property:
                    self._refuse(parameter, node)
                for other in values:
                    add(self._pair_check(parameter, self.index.forward(other)))
            else:
                self._refuse(parameter, node)
        if any((node, q, None) in sg for q in _QUALIFIED):
            add(self._qualified_check(shape))

    def _count(self, value: Node) -> int:
        """sh:qualifiedMin/MaxCount: pyshacl accepts any literal whose value is an int."""
        return self._integer(value, (value.datatype,) if isinstance(value, Literal) else ())

    @staticmethod
    def _refuse(parameter: Node, node: Node) -> NoReturn:
        raise _Unsupported(f"{parameter} on {node} is not implemented as pyshacl reads it")

    # -- checks -----------------------------------------------------------------------------------

    def _all_conform(self, shapes: list[_Shape]) -> _Check:
        return lambda f, vs: all(self.conforms(s, v) for s in shapes for v in vs)

    def _none_conform(self, shape: _Shape) -> _Check:
        return lambda f, vs: not any(self.conforms(shape, v) for v in vs)

    def _count_conform(self, shapes: list[_Shape], accept: Callable[[int], bool]) -> _Check:
        return lambda f, vs: all(accept(sum(1 for s in shapes if self.conforms(s, v))) for v in vs)

    def _class_check(self, classes: list[Node]) -> _Check:
        types = self.index.forward(RDF.type)
        allowed = [self.index.subclasses(c) for c in classes]

        def check(f: Node, vs: Collection[Node]) -> bool:
            for v in vs:
                if isinstance(v, Literal):
                    return False
                found = types.get(v, ())
                if not all(not a.isdisjoint(found) for a in allowed):
                    return False
            return True

        return check

    def _range_check(self, parameter: Node, bound: Node) -> _Check:
        if not isinstance(bound, Literal):
            self._refuse(parameter, bound)
        bound_is_string = isinstance(bound.value, str)
        accepts: dict[Node, Callable[[int], bool]] = {
            SH.minInclusive: lambda c: c >= 0,
            SH.minExclusive: lambda c: c > 0,
            SH.maxInclusive: lambda c: c <= 0,
            SH.maxExclusive: lambda c: c < 0,
        }
        accept = accepts[parameter]

        def within(v: Node) -> bool:
            if not isinstance(v, Literal):
                return False
            if bound_is_string != isinstance(v.value, str):
                return False
            try:
                return accept(compare_literal(v, bound))
            except (TypeError, NotImplementedError):
                return False

        return lambda f, vs: all(within(v) for v in vs)

    def _language_check(self, languages: Node) -> _Check:
        wanted = set()
        for language in self._items(languages):
            if not isinstance(language, Literal) or not isinstance(language.value, str):
                raise _Unsupported("sh:languageIn needs string literals")
            wanted.add(language.value.lower())
        wildcard = "*" in wanted

        def matches(v: Node) -> bool:
            if not isinstance(v, Literal) or not v.language:
                return False
            language = str(v.language)
            return wildcard or language.lower() in wanted or language.split("-", maxsplit=1)[0].lower() in wanted

        return lambda f, vs: all(matches(v) for v in vs)

    def _pair_check(self, parameter: Node, other: dict[Node, set[Node]]) -> _Check:
        if parameter == SH.equals:
            return lambda f, vs: set(vs) == other.get(f, set())
        if parameter == SH.disjoint:
            return lambda f, vs: set(vs).isdisjoint(other.get(f, ()))
        strict = parameter == SH.lessThan

        def comparable(term: Node) -> tuple[bool, Any]:  # Any: what rdflib's value compares with; TypeError below
            if isinstance(term, BNode):
                raise _Unsupported(f"{parameter} with a blank node")  # pyshacl raises an error
            if isinstance(term, URIRef):
                return True, str(term)
            if isinstance(term, Literal) and isinstance(term.value, str):
                return True, term.value
            return False, term

        def check(f: Node, vs: Collection[Node]) -> bool:
            for v in vs:
                v_string, left = comparable(v)
                for o in other.get(f, ()):
                    o_string, right = comparable(o)
                    if v_string != o_string:
                        return False
                    try:
                        if not (left < right if strict else left <= right):
                            return False
                    except TypeError as incomparable:
                        raise _Unsupported(f"{parameter}: {incomparable}") from incomparable
            return True

        return check

    def _qualified_check(self, shape: _Shape) -> _Check:
        sg, node = self.sg, shape.node
        if shape.path is None:
            raise _Unsupported("sh:qualifiedValueShape on a node shape")  # pyshacl ignores it
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
        siblings: list[_Shape] = []
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
            count = sum(1 for v in vs if self.conforms(target, v) and not any(self.conforms(s, v) for s in siblings))
            return (high is None or count <= high) and (low is None or count >= low)

        return check

    # -- evaluation -------------------------------------------------------------------------------

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

    def conforms(self, shape: _Shape, focus: Node) -> bool:
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
                    if not self.conforms(prop, v):
                        ok = False
                        break
                if not ok:
                    break
        if verdicts is not None:
            verdicts[focus] = ok
        return ok

    def focus_nodes(self, node: Node) -> set[Node]:
        """The targets of a shape, as pyshacl finds them (targetClass follows rdfs:subClassOf)."""
        found: set[Node] = set(self.sg.objects(node, SH.targetNode))
        types = self.index.inverse(RDF.type)
        for cls in self.sg.objects(node, SH.targetClass):
            for sub in self.index.subclasses(cls):
                found.update(types.get(sub, ()))
        for predicate in self.sg.objects(node, SH.targetSubjectsOf):
            found.update(self.index.forward(predicate))
        for predicate in self.sg.objects(node, SH.targetObjectsOf):
            found.update(self.index.inverse(predicate))
        return found

    def failures(self) -> set[tuple[Node, Node]]:
        """(focus node, source shape) of every top-level result pyshacl would report."""
        failed: set[tuple[Node, Node]] = set()

        def report(shape: _Shape, focus: Node) -> None:
            vs = shape.values(focus)
            if not all(check(focus, vs) for check in shape.checks):
                failed.add((focus, shape.node))
            for prop in shape.properties:
                for v in vs:
                    report(prop, v)

        for shape, node in self.top:
            for focus in self.focus_nodes(node):
                if not self.conforms(shape, focus):
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
            index = _Index([data, *graphs]) if isinstance(data, Graph) else _Index(graphs, data)
            return _FastShacl(shapes, index).failures()
        except _Unsupported as why:
            log.info("fast SHACL check not used (%s); validating with pyshacl", why)
            return None
