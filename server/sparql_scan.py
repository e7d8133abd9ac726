"""Read what a SPARQL request will do before it runs: its form, its dataset clauses, its SERVICE calls.

pyoxigraph exposes no parser or algebra to Python, yet the endpoint must decide three things before
handing a query to the evaluator:

* the query form (SELECT/ASK vs CONSTRUCT/DESCRIBE, or an update) — to negotiate the response
  type, answer 406 and key the cache without running anything;
* whether the query has FROM / FROM NAMED — pyoxigraph's ``use_default_graph_as_union`` overrides
  a query's own dataset, so the union default may only be switched on when there is none;
* every SERVICE call and its endpoint IRI — pyoxigraph 0.5 ships an HTTP client and *does* call
  any SERVICE IRI it is given, so calls outside ``SERVICE_ALLOWLIST`` must be refused before the
  query reaches it.

This module is a tokenizer for the SPARQL 1.1 (and 1.2) lexical grammar — IRIs, the four string
forms, comments, prefixed names with their escapes, variables — so that words inside literals,
IRIs or comments are never taken for keywords (``FILTER(CONTAINS(?l, "service"))`` is not a
SERVICE call, ``"from"`` is not a dataset clause). The one context-dependent token in SPARQL is
``<``: an IRI start or the less-than operator. It is resolved as the grammar does (an operator
only inside an expression, right after an operand), and for the security decision the SERVICE
search is repeated with the two extreme readings ("always an IRI", "always an operator") and the
findings united, so a query crafted to desynchronise one reading is still caught by another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})

_BASE_CHARS = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U_CHARS = _BASE_CHARS + "_"
_CHARS = _U_CHARS + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_BASE_CHARS}](?:[{_CHARS}.]*[{_CHARS}])?"
_PN_LOCAL = f"(?:[{_U_CHARS}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"

_TOKEN_RULES: list[tuple[str, str]] = [
    ("WS", r"[ \t\r\n]+"),
    ("COMMENT", r"#[^\r\n]*"),
    ("STRING", r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"),
    ("STRING", r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'),
    ("STRING", r"'(?:[^'\\\n\r]|\\.)*'"),
    ("STRING", r'"(?:[^"\\\n\r]|\\.)*"'),
    ("VAR", f"[?$][{_U_CHARS}0-9][{_U_CHARS}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"),
    ("BNODE", f"_:[{_U_CHARS}0-9](?:[{_CHARS}.]*[{_CHARS}])?"),
    ("LANGTAG", r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?"),
    ("PNAME", f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
    ("NUMBER", r"(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"),
    ("NAME", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("PUNCT", r"\)>>|\{\||\|\}|\^\^|&&|\|\||!=|>=|>>|[{}()\[\].,;*/+\-!=>^|~]"),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{kind}{i}>{rx})" for i, (kind, rx) in enumerate(_TOKEN_RULES)))
_KINDS = {f"{kind}{i}": kind for i, (kind, _) in enumerate(_TOKEN_RULES)}
_IRIREF_RE = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
_UCHAR_RE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE_RE = re.compile(r"\\(.)")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_SERVICE_WORD_RE = re.compile(r"service", re.IGNORECASE)

# An operand ends here, so a following "<" inside an expression is the less-than operator.
_OPERAND_END_KINDS = frozenset({"VAR", "STRING", "NUMBER", "IRI", "PNAME", "LANGTAG", "BNODE"})
# Bare words after which "(" opens a list (collection, VALUES row) rather than an expression.
_LIST_AFTER_WORDS = frozenset({"VALUES", "A", "UNDEF"})
# Clauses whose "(" open expressions: projections, grouping, ordering, HAVING.
_EXPRESSION_CLAUSES = frozenset({"SELECT", "DISTINCT", "REDUCED", "BY", "HAVING", "ASC", "DESC"})

LtReading = TypingLiteral["grammar", "iri", "operator"]


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int


@dataclass(frozen=True)
class ServiceCall:
    """A SERVICE clause: its endpoint IRI, or None when it is a variable or cannot be resolved."""

    iri: str | None
    text: str
    silent: bool


@dataclass(frozen=True)
class QueryShape:
    """What the scanner learnt about a request text."""

    form: str | None  # SELECT / CONSTRUCT / DESCRIBE / ASK, "UPDATE", or None (not recognisable)
    has_dataset_clause: bool
    services: tuple[ServiceCall, ...] = field(default=())
    # The graphs FROM / FROM NAMED name, resolved (None: a relative IRI or an undeclared prefix),
    # so a front for a remote store can check them before the store sees them.
    dataset_graphs: tuple[str | None, ...] = field(default=())
    # Prefixes the query's prologue declares itself (a front adds the predeclared ones it lacks).
    declared_prefixes: frozenset[str] = field(default=frozenset())
    has_base: bool = False

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"

    @property
    def returns_graph(self) -> bool:
        return self.form in {"CONSTRUCT", "DESCRIBE"}


def tokenize(text: str, lt_reading: LtReading = "grammar") -> Iterator[Token]:
    """Split a query into SPARQL tokens, skipping whitespace and comments.

    Never fails: a character that starts no token becomes a one-character PUNCT token, so that an
    unterminated string cannot hide the rest of the query from the scan.
    """
    pos = 0
    length = len(text)
    # Open brackets, innermost last: [kind, clause]. kind is "top", "group" ({), "bnpl" ([),
    # "expr" or "list" ((); clause is the last clause keyword seen at that level (SELECT, BY...).
    frames: list[list[str | None]] = [["top", None]]
    previous: Token | None = None
    before_previous: Token | None = None
    while pos < length:
        char = text[pos]
        if char == "<":
            token = _lex_angle(text, pos, frames[-1][0] == "expr", previous, lt_reading)
        else:
            match = _TOKEN_RE.match(text, pos)
            if match is None:
                token = Token("PUNCT", char, pos)
            else:
                kind = _KINDS[match.lastgroup or ""]
                if kind in {"WS", "COMMENT"}:
                    pos = match.end()
                    continue
                token = Token(kind, match.group(), pos)
        pos = token.start + len(token.text)

        if token.kind == "NAME" and frames[-1][0] in {"top", "group"}:
            upper = token.text.upper()
            if upper in _EXPRESSION_CLAUSES or upper in {"WHERE", "VALUES"}:
                frames[-1][1] = upper
        if token.text in {"{", "{|"}:
            frames.append(["group", None])
        elif token.text == "[":
            frames.append(["bnpl", None])
        elif token.text in {"(", "<<("}:
            frames.append([_paren_kind(frames[-1], previous, before_previous), None])
        elif token.text in {")", ")>>"}:
            _pop(frames, {"expr", "list"})
        elif token.text in {"}", "|}"}:
            _pop(frames, {"group"})
        elif token.text == "]":
            _pop(frames, {"bnpl"})
        before_previous, previous = previous, token
        yield token


def _lex_angle(text: str, pos: int, in_expression: bool, previous: Token | None, reading: LtReading) -> Token:
    """Decide whether '<' starts an IRI, a quoted triple or is a comparison operator."""
    if text.startswith("<<(", pos):
        return Token("PUNCT", "<<(", pos)
    if text.startswith("<<", pos):
        return Token("PUNCT", "<<", pos)
    operator = Token("PUNCT", "<=" if text.startswith("<=", pos) else "<", pos)
    if reading == "operator":
        return operator
    if reading == "grammar" and in_expression and previous is not None:
        if (previous.kind in _OPERAND_END_KINDS or previous.text in {")", ")>>"}
                or previous.text.upper() in {"TRUE", "FALSE"}):
            return operator
    match = _IRIREF_RE.match(text, pos)
    if match is None:
        return operator
    return Token("IRI", match.group(), pos)


def _paren_kind(frame: list[str | None], previous: Token | None, before: Token | None) -> str:
    """Whether a "(" opens an expression or a list (RDF collection, VALUES row, NIL)."""
    kind, clause = frame
    if kind == "expr":
        return "expr"
    if previous is not None and previous.kind == "NAME":
        return "list" if previous.text.upper() in _LIST_AFTER_WORDS else "expr"
    if (previous is not None and previous.kind in {"IRI", "PNAME"} and before is not None
            and before.kind == "NAME" and before.text.upper() in {"FILTER", "BY", "HAVING"}):
        return "expr"  # a function call: `FILTER ex:fn(?x)`, `ORDER BY <f>(?x)`
    if kind in {"top", "group"} and clause in _EXPRESSION_CLAUSES:
        return "expr"  # projections `SELECT ?x (?y AS ?z)`, `GROUP BY ?a (?b)`, `HAVING (...)`
    return "list"


def _pop(frames: list[list[str | None]], kinds: set[str]) -> None:
    """Close the innermost matching bracket; a stray closer leaves the stack alone."""
    for index in range(len(frames) - 1, 0, -1):
        if frames[index][0] in kinds:
            del frames[index:]
            return


def scan(query: str, predeclared: Mapping[str, str] | None = None) -> QueryShape:
    """Analyse a query (or update) text: its form, dataset clauses and SERVICE calls.

    SERVICE calls are searched for under three readings of ``<`` and united (see the module
    docstring); the search is skipped outright when the text has no letters s-e-r-v-i-c-e in a
    row, which no SERVICE keyword can avoid (pyoxigraph does not pre-process \\u escapes).
    """
    tokens = list(tokenize(query))
    prefixes: dict[str, str] = dict(predeclared or {})
    declared: set[str] = set()
    has_base = False
    form: str | None = None
    index = 0
    while index < len(tokens):  # the prologue
        word = tokens[index].text.upper() if tokens[index].kind == "NAME" else ""
        if word == "PREFIX" and index + 2 < len(tokens) and tokens[index + 1].kind == "PNAME":
            name = tokens[index + 1].text
            if name.endswith(":") and tokens[index + 2].kind == "IRI":
                prefixes[name[:-1]] = _iri_value(tokens[index + 2].text)
                declared.add(name[:-1])
            index += 3
        elif word in {"BASE", "VERSION"}:
            has_base = has_base or word == "BASE"
            index += 2
        else:
            break
    if index < len(tokens) and tokens[index].kind == "NAME":
        word = tokens[index].text.upper()
        if word in QUERY_FORMS:
            form = word
        elif word in UPDATE_KEYWORDS:
            form = "UPDATE"
    has_dataset_clause = any(t.kind == "NAME" and t.text.upper() == "FROM" for t in tokens[index:])
    dataset_graphs = tuple(_dataset_graphs(tokens[index:], prefixes)) if has_dataset_clause else ()

    services: list[ServiceCall] = []
    if _SERVICE_WORD_RE.search(query):
        seen: set[tuple[str | None, bool]] = set()
        for reading in ("grammar", "iri", "operator"):
            readings = tokens if reading == "grammar" else list(tokenize(query, reading))
            for call in _service_calls(query, readings, prefixes):
                if (call.iri, call.silent) not in seen:
                    seen.add((call.iri, call.silent))
                    services.append(call)
    return QueryShape(form=form, has_dataset_clause=has_dataset_clause, services=tuple(services),
                      dataset_graphs=dataset_graphs, declared_prefixes=frozenset(declared), has_base=has_base)


def _dataset_graphs(tokens: list[Token], prefixes: Mapping[str, str]) -> Iterator[str | None]:
    """The graph IRI after each FROM / FROM NAMED (None when it cannot be resolved to an absolute IRI)."""
    for index, token in enumerate(tokens):
        if token.kind != "NAME" or token.text.upper() != "FROM":
            continue
        following = tokens[index + 1 : index + 3]
        named = bool(following) and following[0].kind == "NAME" and following[0].text.upper() == "NAMED"
        target = following[1] if named and len(following) > 1 else (following[0] if following else None)
        yield _resolve(target, prefixes)


def _resolve(token: Token | None, prefixes: Mapping[str, str]) -> str | None:
    """An IRI or prefixed-name token as an absolute IRI, or None."""
    if token is None:
        return None
    if token.kind == "IRI":
        iri = _iri_value(token.text)
    elif token.kind == "PNAME":
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix)
        if namespace is None:
            return None
        iri = namespace + _LOCAL_ESCAPE_RE.sub(r"\1", local)
    else:
        return None
    return iri if _SCHEME_RE.match(iri) else None


def _service_calls(query: str, tokens: list[Token], prefixes: Mapping[str, str]) -> Iterator[ServiceCall]:
    """The SERVICE keywords among the tokens and what follows them (the endpoint is always an IRI
    position, so a "<" there is read as an IRI whatever reading produced the tokens)."""
    for index, token in enumerate(tokens):
        if token.kind != "NAME" or token.text.upper() != "SERVICE":
            continue
        following = tokens[index + 1 : index + 3]
        silent = bool(following) and following[0].kind == "NAME" and following[0].text.upper() == "SILENT"
        target = following[1] if silent and len(following) > 1 else (following[0] if following else None)
        if target is not None and target.text in {"<", "<="}:
            match = _IRIREF_RE.match(query, target.start)
            target = Token("IRI", match.group(), target.start) if match else target
        if target is None:
            yield ServiceCall(None, "", silent)
        elif target.kind == "IRI":
            iri = _iri_value(target.text)
            yield ServiceCall(iri if _SCHEME_RE.match(iri) else None, target.text, silent)
        elif target.kind == "PNAME":
            prefix, _, local = target.text.partition(":")
            namespace = prefixes.get(prefix)
            resolved = None if namespace is None else namespace + _LOCAL_ESCAPE_RE.sub(r"\1", local)
            yield ServiceCall(resolved if resolved and _SCHEME_RE.match(resolved) else None, target.text, silent)
        else:
            yield ServiceCall(None, target.text, silent)


def _iri_value(iriref: str) -> str:
    """The IRI an IRIREF token denotes: brackets removed, \\u escapes decoded."""
    return _UCHAR_RE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iriref[1:-1])
