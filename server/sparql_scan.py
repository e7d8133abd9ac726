"""Read a SPARQL request once, decide on that reading, and run exactly that reading.

pyoxigraph exposes no parser, algebra or SERVICE hook to Python, yet the endpoint must decide
before a query runs: its form (SELECT/ASK vs CONSTRUCT/DESCRIBE, or an update, refused), whether
it has FROM / FROM NAMED (pyoxigraph's ``use_default_graph_as_union`` overrides them), and every
SERVICE endpoint (pyoxigraph ships an HTTP client and calls any SERVICE IRI it is given).

A second parser in front of the engine is not a security boundary: wherever it reads a text
differently from the engine (``?a<<http://x/#>`` is ``?a < <http://x/#>`` to pyoxigraph's PEG
parser, and was ``<<`` plus a comment to the scanner this module replaces), the engine runs
something that was never checked. So the engine never sees the client's text. :func:`canonicalise`
tokenises it (SPARQL 1.1/1.2 terminals, longest match, in linear time: an unterminated string or a
character that starts no token is an immediate error with line:column, never a retry at the next
position), takes every decision from that token stream, and writes the stream back out as the
text that runs: one line, tokens separated by a space, comments dropped, strings re-encoded as
``"..."`` with only ``\\" \\\\ \\n \\r \\t`` escapes, IRIs decoded and re-written as ``<...>``, SERVICE
endpoints written as the absolute IRI that was checked. In that text every token reads the same
to any SPARQL parser:

* ``<`` as an operator is followed by a space, which no IRI may contain;
* an IRI is refused if it contains ``'`` — the one character allowed in an IRI that opens a
  multi-token span (a string) if a parser reads the ``<`` as the less-than operator instead
  (``FILTER(?a <('> "x' ) SERVICE <http://h/> {} '")``). ``#`` can only open a comment, which on a
  one-line text drops everything after it: the engine then runs a prefix of what was checked;
* no ``\\u`` / ``\\U`` sequence is left anywhere (a string value that would bring one back is
  refused), so the text reads the same whether or not a parser pre-processes those escapes over
  the whole text as SPARQL 1.1 §19.2 says. pyoxigraph 0.5.13 does not (its spargebra is built
  without ``standard-unicode-escaping``: ``\\u0053ERVICE`` is a syntax error to it, ``"\\u0022"``
  a one-character string); it decodes ``\\u`` inside strings and IRIs, and so does this module.

A map from canonical offsets back to the client's offsets turns the engine's "error at 1:87"
into the client's line:column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .sparql_tokens import ScanError, Token, line_column, scan_error, tokenize

# What a scan gives its callers. ScanError (what scan and canonicalise raise) and the tokens are
# sparql_tokens', where they are defined; callers import them from there.
__all__ = [
    "QUERY_FORMS",
    "UPDATE_KEYWORDS",
    "Canonical",
    "QueryShape",
    "ServiceCall",
    "bisect_left_token",
    "canonicalise",
    "plain_problem",
    "query_form",
    "scan",
]

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})

_LOCAL_ESCAPE = re.compile(r"\\(.)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# What an IRIREF may not contain once its \u escapes are decoded, plus "'" (see the module docstring).
_IRI_FORBIDDEN = re.compile(r"[<>\"{}|^`\\\x00-\x20']")
_REENCODE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_ENGINE_POSITION = re.compile(r"^error at (\d+):(\d+)")


@dataclass(frozen=True)
class ServiceCall:
    """A SERVICE clause: its endpoint IRI, or None when it is a variable or cannot be resolved."""

    iri: str | None
    text: str
    silent: bool


@dataclass(frozen=True)
class QueryShape:
    """What the scan learnt about a request text."""

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


# --- the canonical text ---------------------------------------------------------------------


@dataclass(frozen=True)
class Canonical:
    """A query as it will run: the canonical text, what was decided on it, and the way back to
    the client's positions."""

    text: str
    shape: QueryShape
    original: str
    # Parallel: where each token starts in ``text`` and in ``original``, and its length there.
    starts: tuple[int, ...]
    origins: tuple[int, ...]
    lengths: tuple[int, ...]
    # What is plainly wrong with the tokens (an empty query, an undeclared prefix), said in words:
    # the engine's message for these is a dump of grammar character ranges.
    problem: str | None = None

    def original_offset(self, offset: int) -> int:
        """The client's offset of a canonical offset (inside a token: as far in, at most its length)."""
        from bisect import bisect_right

        index = bisect_right(self.starts, offset) - 1
        if index < 0:
            return 0
        return self.origins[index] + min(offset - self.starts[index], self.lengths[index])

    def translate_error(self, message: str) -> str:
        """The engine's "error at 1:N: ..." with the client's line:column instead; when the tokens
        show what is wrong (see :func:`plain_problem`), that instead of the engine's grammar dump."""
        if self.problem is not None:
            return self.problem
        match = _ENGINE_POSITION.match(message)
        if match is None:
            return message
        line, column = int(match.group(1)), int(match.group(2))
        offset = _offset_of(self.text, line, column)
        original = len(self.original) if offset >= len(self.text) else self.original_offset(offset)
        new_line, new_column = line_column(self.original, original)
        return f"error at {new_line}:{new_column}" + message[match.end() :]


def _offset_of(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        found = text.find("\n", start)
        if found < 0:
            break
        start = found + 1
    return start + column - 1


def _reencode(token: Token, text: str) -> str:
    if token.kind == "STRING":
        assert token.value is not None
        return '"' + token.value.translate(_REENCODE) + '"'
    if token.kind == "IRI":
        assert token.value is not None
        if _IRI_FORBIDDEN.search(token.value):
            raise scan_error(
                text,
                token.start,
                f"the IRI {token.text} contains a character this endpoint does not "
                "accept in IRIs (one of <>\"{}|^`\\', a space or a control character)",
            )
        return f"<{token.value}>"
    if token.kind == "NIL":
        return "()"
    if token.kind == "ANON":
        return "[]"
    return token.text


def canonicalise(text: str, predeclared: Mapping[str, str] | None = None, base_iri: str | None = None) -> Canonical:
    """Tokenise a query, decide on the tokens and write them back out as the text that runs.

    SERVICE endpoints are resolved here — relative IRIs against the query's BASE, itself resolved
    against ``base_iri`` (configuration, never the request's Host), prefixed names against the
    query's and the predeclared prefixes — and written into the canonical text as those absolute
    IRIs, so the engine calls exactly the IRI that was checked. Raises ScanError.
    """
    tokens = list(tokenize(text))
    prefixes: dict[str, str] = dict(predeclared or {})
    base = base_iri
    services: list[ServiceCall] = []
    replace: dict[int, str] = {}
    declared: set[str] = set()
    has_base = False
    for index, token in enumerate(tokens):
        if token.kind != "NAME":
            continue
        word = token.text.upper()
        following = tokens[index + 1 : index + 3]
        if (
            word == "PREFIX"
            and len(following) == 2
            and following[0].kind == "PNAME"
            and following[0].text.endswith(":")
            and following[1].kind == "IRI"
        ):
            name = following[0].text[:-1]
            prefixes[name] = _absolute(following[1].value or "", base)
            declared.add(name)
        elif word == "BASE" and following and following[0].kind == "IRI":
            base = _absolute(following[0].value or "", base)
            has_base = True
        elif word == "SERVICE":
            silent = bool(following) and following[0].kind == "NAME" and following[0].text.upper() == "SILENT"
            target_index = index + (2 if silent else 1)
            target = tokens[target_index] if target_index < len(tokens) else None
            call = _service_call(target, prefixes, base, silent)
            services.append(call)
            if call.iri is not None:
                if _IRI_FORBIDDEN.search(call.iri):
                    raise scan_error(
                        text,
                        target.start if target else token.start,
                        f"the SERVICE endpoint <{call.iri}> is not a valid IRI",
                    )
                replace[target_index] = f"<{call.iri}>"

    parts: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    lengths: list[int] = []
    position = 0
    for index, token in enumerate(tokens):
        written = replace.get(index) or _reencode(token, text)
        before = tokens[index - 1] if index else None
        # A langtag or ^^ belongs to its string; pyoxigraph wants the "(" of COALESCE(, CONCAT( and
        # BNODE() right after the word (both readings of a word followed by "(" are one reading).
        glue = before is not None and (
            ((token.kind == "LANGTAG" or token.text == "^^") and before.kind == "STRING")
            or ((token.kind == "NIL" or token.text == "(") and before.kind == "NAME")
        )
        if parts and not glue:
            parts.append(" ")
            position += 1
        starts.append(position)
        origins.append(token.start)
        lengths.append(len(token.text))
        parts.append(written)
        position += len(written)
    canonical = "".join(parts)
    found = re.search(r"\\[uU]", canonical)
    if found is not None:
        index = bisect_left_token(starts, found.start())
        raise scan_error(
            text,
            origins[index],
            "a string whose value has a backslash followed by u or U is not accepted "
            "by this endpoint: SPARQL parsers may read it as a \\u escape",
        )
    shape = _shape(tokens, prefixes, base, services, declared, has_base)
    return Canonical(
        canonical, shape, text, tuple(starts), tuple(origins), tuple(lengths), _plain_problem(text, tokens, prefixes)
    )


def plain_problem(text: str, predeclared: Mapping[str, str] | None = None) -> str | None:
    """What is plainly wrong with a query that failed to parse, read from its tokens: "the query is
    empty", or "prefix `foo:` is not declared; declared prefixes are ..." (the predeclared ones and
    the query's own), each at its line:column; None when the tokens show nothing of the kind (or do
    not tokenise) and the engine's own message should stand. For callers that run the client's text
    (the CLI); the endpoint gets the same from :meth:`Canonical.translate_error`."""
    try:
        tokens = list(tokenize(text))
    except ScanError:
        return None
    prefixes: dict[str, str] = dict(predeclared or {})
    for index, token in enumerate(tokens[:-2]):
        if (
            token.kind == "NAME"
            and token.text.upper() == "PREFIX"
            and tokens[index + 1].kind == "PNAME"
            and tokens[index + 1].text.endswith(":")
        ):
            prefixes.setdefault(tokens[index + 1].text[:-1], "")
    return _plain_problem(text, tokens, prefixes)


def _plain_problem(text: str, tokens: Sequence[Token], prefixes: Mapping[str, str]) -> str | None:
    """The first plain problem of a token stream (see :func:`plain_problem`); ``prefixes`` holds
    every prefix declared, predeclared ones first. A prefixed name right after PREFIX is the
    declaration itself, not a use."""
    if not tokens:
        return scan_error(text, 0, "the query is empty").message
    for index, token in enumerate(tokens):
        if token.kind != "PNAME":
            continue
        before = tokens[index - 1] if index else None
        if before is not None and before.kind == "NAME" and before.text.upper() == "PREFIX":
            continue
        prefix = token.text.partition(":")[0]
        if prefix not in prefixes:
            declared = ", ".join(name or "(the empty prefix)" for name in prefixes) or "none"
            return scan_error(
                text, token.start, f"prefix `{prefix}:` is not declared; declared prefixes are {declared}"
            ).message
    return None


def bisect_left_token(starts: Sequence[int], offset: int) -> int:
    """The index of the token a canonical offset falls in."""
    from bisect import bisect_right

    return max(0, bisect_right(starts, offset) - 1)


def _absolute(iri: str, base: str | None) -> str:
    """An IRI resolved against a base (RFC 3986); returned as is when it has a scheme or there is no base."""
    if _SCHEME.match(iri) or not base:
        return iri
    return urljoin(base, iri)


def _service_call(target: Token | None, prefixes: Mapping[str, str], base: str | None, silent: bool) -> ServiceCall:
    if target is None:
        return ServiceCall(None, "", silent)
    if target.kind == "IRI":
        iri = _absolute(target.value or "", base)
    elif target.kind == "PNAME":
        prefix, _, local = target.text.partition(":")
        namespace = prefixes.get(prefix)
        if namespace is None:
            return ServiceCall(None, target.text, silent)
        iri = namespace + _LOCAL_ESCAPE.sub(r"\1", local)
    else:
        return ServiceCall(None, target.text, silent)
    return ServiceCall(iri if _SCHEME.match(iri) else None, target.text, silent)


def _shape(
    tokens: list[Token],
    prefixes: Mapping[str, str],
    base: str | None,
    services: list[ServiceCall],
    declared: set[str],
    has_base: bool,
) -> QueryShape:
    index = 0
    while index < len(tokens):  # the prologue
        word = tokens[index].text.upper() if tokens[index].kind == "NAME" else ""
        if word == "PREFIX":
            index += 3
        elif word in {"BASE", "VERSION"}:
            index += 2
        else:
            break
    form: str | None = None
    if index < len(tokens) and tokens[index].kind == "NAME":
        word = tokens[index].text.upper()
        if word in QUERY_FORMS:
            form = word
        elif word in UPDATE_KEYWORDS:
            form = "UPDATE"
    body = tokens[index:]
    has_dataset_clause = any(t.kind == "NAME" and t.text.upper() == "FROM" for t in body)
    dataset_graphs = tuple(_dataset_graphs(body, prefixes, base)) if has_dataset_clause else ()
    return QueryShape(
        form=form,
        has_dataset_clause=has_dataset_clause,
        services=tuple(services),
        dataset_graphs=dataset_graphs,
        declared_prefixes=frozenset(declared),
        has_base=has_base,
    )


def _dataset_graphs(tokens: list[Token], prefixes: Mapping[str, str], base: str | None) -> Iterator[str | None]:
    """The graph IRI after each FROM / FROM NAMED (None when it cannot be resolved to an absolute IRI)."""
    for index, token in enumerate(tokens):
        if token.kind != "NAME" or token.text.upper() != "FROM":
            continue
        following = tokens[index + 1 : index + 3]
        named = bool(following) and following[0].kind == "NAME" and following[0].text.upper() == "NAMED"
        target = following[1] if named and len(following) > 1 else (following[0] if following else None)
        yield _service_call(target, prefixes, None, False).iri


def query_form(text: str) -> str | None:
    """The query's form as :func:`canonicalise` reads it, from the prologue and the first keyword
    only (the tokens are made lazily, so the rest of the text is not read): for negotiating the
    response type in front, never for a security decision. None when it cannot be told."""
    skip = 0
    try:
        for token in tokenize(text):
            if skip:
                skip -= 1
                continue
            word = token.text.upper() if token.kind == "NAME" else ""
            if word == "PREFIX":
                skip = 2
            elif word in {"BASE", "VERSION"}:
                skip = 1
            elif word in QUERY_FORMS:
                return word
            elif word in UPDATE_KEYWORDS:
                return "UPDATE"
            else:
                return None
    except ScanError:
        return None
    return None


def scan(query: str, predeclared: Mapping[str, str] | None = None, base_iri: str | None = None) -> QueryShape:
    """What a query is and does (form, dataset clauses, SERVICE calls), read as :func:`canonicalise`
    reads it; raises ScanError for a text that is not made of SPARQL tokens."""
    return canonicalise(query, predeclared, base_iri).shape
