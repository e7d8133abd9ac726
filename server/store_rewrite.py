"""Rewriting a client's query into the text a remote SPARQL store is sent.

Everything here reads the query as :mod:`kzkg_server.sparql_tokens` tokenises it, so strings,
IRIs and comments are never mistaken for keywords, and each rewrite keeps the query's solutions:

Prologue
    BASE and the endpoint's predeclared prefixes go on one line ahead of the query, so the
    store's error messages keep the query's own line numbers.

Completeness
    Virtuoso caps answers at ``ResultSetMaxRows`` without an error, so a SELECT is sent with its
    top-level LIMIT lowered to one row past what the endpoint may return (:func:`cap_limit`); the
    backend then refuses an answer that reaches the cap.

The dataset
    A dataset too large for Virtuoso's echoed protocol headers is written into the query text as
    FROM / FROM NAMED (:func:`dataset_in_text`); a query without a GRAPH pattern is not told the
    named graphs at all (:func:`uses_named_graphs`).

Correctness
    Virtuoso 7 drops an OPTIONAL's bindings after a UNION followed by further OPTIONALs; such
    UNIONs at the top of the WHERE clause are sent as a subquery, which it answers right
    (:func:`isolate_unions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from .sparql_scan import QueryShape
from .sparql_tokens import Token, tokenize


def prologue(shape: QueryShape, base_iri: str | None, prefixes: Mapping[str, str]) -> str:
    """BASE and the predeclared prefixes the query does not declare, on one line ahead of the query
    (the query's own line numbers stay as they are in the store's error messages)."""
    parts = [f"BASE <{base_iri}>"] if base_iri else []
    parts += [
        f"PREFIX {name}: <{namespace}>" for name, namespace in prefixes.items() if name not in shape.declared_prefixes
    ]
    return " ".join(parts) + " " if parts else ""


@dataclass(frozen=True)
class TopLevel:
    """A SELECT's solution modifiers as the scanner's tokens show them at brace depth 0: the
    top-level LIMIT's number token (start, text), whether it has LIMIT or OFFSET, and where a
    trailing VALUES clause starts."""

    limit: tuple[int, str] | None
    sliced: bool
    values_at: int | None


def top_level(query: str) -> TopLevel:
    """Read the top level of a query (strings, IRIs and comments are never mistaken for keywords):
    at brace depth 0, LIMIT / OFFSET can only be the query's solution modifiers and VALUES only its
    trailing values clause."""
    depth = 0
    limit: tuple[int, str] | None = None
    sliced = False
    values_at: int | None = None
    tokens = list(tokenize(query))
    for index, token in enumerate(tokens):
        if token.text in ("{", "{|"):
            depth += 1
        elif token.text in ("}", "|}"):
            depth -= 1
        elif depth == 0 and token.kind == "NAME":
            word = token.text.upper()
            if word in ("LIMIT", "OFFSET"):
                sliced = True
                if word == "LIMIT" and index + 1 < len(tokens) and tokens[index + 1].kind == "NUMBER":
                    limit = (tokens[index + 1].start, tokens[index + 1].text)
            elif word == "VALUES" and values_at is None:
                values_at = token.start
    return TopLevel(limit, sliced, values_at)


def cap_limit(query: str, limit: int) -> str:
    """The SELECT query with its top-level LIMIT at most ``limit`` (added when it has none), so the
    store stops one row past what we may return instead of computing the whole answer.

    A query with a trailing VALUES is left alone: Virtuoso 7 applies LIMIT *before* joining that
    clause (4,589 of 10,944 rows for a LIMIT of 10,000 in tests/test_remote_store.py), so an added
    LIMIT would itself cut the answer short; the row-cap check after the answer still guards it.
    """
    top = top_level(query)
    if top.values_at is not None:
        return query
    if top.limit is not None:
        start, text = top.limit
        if text.isdigit() and int(text) <= limit:
            return query
        return query[:start] + str(limit) + query[start + len(text) :]
    return query + f"\nLIMIT {limit}\n"


def _closing(tokens: Sequence[Token], opening: int) -> int:
    """The index of the token closing the brace at ``opening`` (the last index if it is unclosed)."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].text in ("{", "{|"):
            depth += 1
        elif tokens[index].text in ("}", "|}"):
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def _where_at(tokens: Sequence[Token]) -> int | None:
    """The index of the token that starts the query's WHERE clause (the keyword, or its ``{`` when
    the keyword is left out): where a dataset clause goes. None for a DESCRIBE without one."""
    index, form = 0, None
    while index < len(tokens) and form is None:
        token = tokens[index]
        if token.kind == "NAME" and token.text.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            form = token.text.upper()
        index += 1
    if form == "CONSTRUCT" and index < len(tokens) and tokens[index].text == "{":
        index = _closing(tokens, index) + 1  # the template
    parens = 0
    for at in range(index, len(tokens)):
        token = tokens[at]
        if token.text in ("(", "<<("):
            parens += 1
        elif token.text in (")", ")>>"):
            parens -= 1
        elif parens == 0 and (token.text == "{" or (token.kind == "NAME" and token.text.upper() == "WHERE")):
            return at
    return None


def uses_named_graphs(query: str) -> bool:
    """Whether the query has a GRAPH pattern: one without cannot see the named graphs, so the store
    need not be told which they are (on Virtuoso, naming hundreds costs ~70 ms a query)."""
    return any(token.kind == "NAME" and token.text.upper() == "GRAPH" for token in tokenize(query))


def dataset_in_text(query: str, params: Sequence[tuple[str, str]]) -> str | None:
    """The query with the dataset of ``params`` written as FROM / FROM NAMED ahead of its WHERE
    clause (for a query that has no dataset clause of its own), or None where there is no WHERE
    clause to put it before."""
    tokens = list(tokenize(query))
    at = _where_at(tokens)
    if at is None:
        return None
    clause = " ".join(
        f"{'FROM' if name == 'default-graph-uri' else 'FROM NAMED'} {ox.NamedNode(graph)}" for name, graph in params
    )
    start = tokens[at].start
    return f"{query[:start]}{clause} {query[start:]}"


_NOT_BARE_AFTER = frozenset({"OPTIONAL", "MINUS", "EXISTS"})


def isolate_unions(query: str) -> str:
    """Virtuoso 7 drops bindings of an OPTIONAL that follows a UNION when a second OPTIONAL follows
    it (`{A} UNION {B} OPTIONAL {?c :date ?d} OPTIONAL {?c :dateText ?t}` loses ?d for some rows
    that have one: the Tokayev page's claims of article 000). The same pattern as a subquery,
    ``{ SELECT * WHERE { {A} UNION {B} } } OPTIONAL … OPTIONAL …``, has the same solutions and is
    answered right, so each UNION at the top of the WHERE clause that an OPTIONAL follows is sent so."""
    tokens = list(tokenize(query))
    at = _where_at(tokens)
    if at is not None and tokens[at].text != "{":
        at += 1
    if at is None or at >= len(tokens) or tokens[at].text != "{":
        return query
    end = _closing(tokens, at)
    chains: list[tuple[int, int]] = []
    index = at + 1
    while index < end:
        token = tokens[index]
        if token.text not in ("{", "{|"):
            index += 1
            continue
        close = _closing(tokens, index)
        before = [t.text.upper() if t.kind == "NAME" else t.text for t in tokens[max(index - 3, 0) : index]]
        bare = token.text == "{" and not (
            (before and before[-1] in _NOT_BARE_AFTER)
            or (len(before) >= 2 and before[-2] in ("GRAPH", "SERVICE"))
            or (len(before) >= 3 and before[-3] == "SERVICE" and before[-2] == "SILENT")
        )
        first, unions = index, 0
        while (
            bare
            and close + 2 < end
            and tokens[close + 1].kind == "NAME"
            and tokens[close + 1].text.upper() == "UNION"
            and tokens[close + 2].text == "{"
        ):
            close, unions = _closing(tokens, close + 2), unions + 1
        if unions and any(
            t.kind == "NAME" and t.text.upper() == "OPTIONAL" for t in _top_level_tokens(tokens, close + 1, end)
        ):
            chains.append((tokens[first].start, tokens[close].start + len(tokens[close].text)))
        index = close + 1
    for start, stop in reversed(chains):
        query = f"{query[:start]}{{ SELECT * WHERE {{ {query[start:stop]} }} }}{query[stop:]}"
    return query


def _top_level_tokens(tokens: Sequence[Token], start: int, end: int) -> Iterable[Token]:
    """The tokens between ``start`` and ``end`` outside any nested group."""
    depth = 0
    for token in tokens[start:end]:
        if token.text in ("{", "{|"):
            depth += 1
        elif token.text in ("}", "|}"):
            depth -= 1
        elif depth == 0:
            yield token
