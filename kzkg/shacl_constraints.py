"""What each SHACL Core constraint means for a focus node's values, as pyshacl 0.40 decides it.

Each function here makes the check of one constraint with its parameter bound, for
:mod:`kzkg.shacl_compile` to attach to a shape; the semantics mirror pyshacl's code paths (range
comparisons use its own ``compare_literal``), which is why pyproject.toml pins pyshacl and
tests/test_shacl_fast.py compares both on broken data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node


class Unsupported(Exception):
    """The shapes or the data need something the fast checker does not implement: use pyshacl."""


Check = Callable[[Node, Collection[Node]], bool]  # (focus node, its value nodes) -> conforms?


def as_string(value: Node) -> str:
    """pyshacl's value_node_to_string (sh:minLength, sh:maxLength, sh:pattern)."""
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def datatype_matches(value: Node, datatype: Node) -> bool:
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


NODE_KINDS: dict[Node, tuple[type[Node], ...]] = {
    SH.BlankNode: (BNode,),
    SH.IRI: (URIRef,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}


# Checks of one constraint value each, made by a function so that each check keeps its own value
# (a lambda in the compiling loop would see the loop's last one).
def datatype_check(datatype: Node) -> Check:
    return lambda f, vs: all(datatype_matches(v, datatype) for v in vs)


def kind_check(kinds: tuple[type[Node], ...]) -> Check:
    return lambda f, vs: all(isinstance(v, kinds) for v in vs)


def count_check(limit: int, at_least: bool) -> Check:
    return (lambda f, vs: len(vs) >= limit) if at_least else (lambda f, vs: len(vs) <= limit)


def length_check(limit: int, at_least: bool) -> Check:
    if at_least:
        return lambda f, vs: all(not isinstance(v, BNode) and len(as_string(v)) >= limit for v in vs)
    return lambda f, vs: all(not isinstance(v, BNode) and len(as_string(v)) <= limit for v in vs)


def pattern_check(regex: re.Pattern[str]) -> Check:
    return lambda f, vs: all(not isinstance(v, BNode) and regex.search(as_string(v)) for v in vs)


def in_check(allowed: frozenset[Node]) -> Check:
    return lambda f, vs: all(v in allowed for v in vs)


def has_value_check(wanted: tuple[Node, ...]) -> Check:
    return lambda f, vs: all(any(v == w for v in vs) for w in wanted)


def class_check(types: dict[Node, set[Node]], allowed: list[frozenset[Node]]) -> Check:
    """sh:class: ``types`` maps a node to its rdf:types, ``allowed`` holds each class with its subclasses."""

    def check(f: Node, vs: Collection[Node]) -> bool:
        for v in vs:
            if isinstance(v, Literal):
                return False
            found = types.get(v, ())
            if not all(not a.isdisjoint(found) for a in allowed):
                return False
        return True

    return check


def range_check(parameter: Node, bound: Node) -> Check:
    """sh:min/maxInclusive/Exclusive: as in pyshacl, a string compares only with a string, and a
    pair ``compare_literal`` cannot order fails."""
    if not isinstance(bound, Literal):
        raise Unsupported(f"{parameter} on {bound} is not implemented as pyshacl reads it")
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


def language_check(languages: list[Node]) -> Check:
    """sh:languageIn: the whole tag or its primary subtag, case-insensitive; ``*`` matches any tag."""
    wanted = set()
    for language in languages:
        if not isinstance(language, Literal) or not isinstance(language.value, str):
            raise Unsupported("sh:languageIn needs string literals")
        wanted.add(language.value.lower())
    wildcard = "*" in wanted

    def matches(v: Node) -> bool:
        if not isinstance(v, Literal) or not v.language:
            return False
        language = str(v.language)
        return wildcard or language.lower() in wanted or language.split("-", maxsplit=1)[0].lower() in wanted

    return lambda f, vs: all(matches(v) for v in vs)


def pair_check(parameter: Node, other: dict[Node, set[Node]]) -> Check:
    """sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals against the focus node's values of
    another predicate (``other``: its forward index)."""
    if parameter == SH.equals:
        return lambda f, vs: set(vs) == other.get(f, set())
    if parameter == SH.disjoint:
        return lambda f, vs: set(vs).isdisjoint(other.get(f, ()))
    strict = parameter == SH.lessThan

    def comparable(term: Node) -> tuple[bool, Any]:  # Any: what rdflib's value compares with; TypeError below
        if isinstance(term, BNode):
            raise Unsupported(f"{parameter} with a blank node")  # pyshacl raises an error
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
                    raise Unsupported(f"{parameter}: {incomparable}") from incomparable
        return True

    return check
