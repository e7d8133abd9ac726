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

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})

_BASE_CHARS = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U_CHARS = _BASE_CHARS + "_"
_CHARS = _U_CHARS + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_ECHAR_UCHAR = r"\\(?:[tbnrf\\\"']|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"

# Each rule is tried where the previous token ended; every repetition is possessive, so a rule
# that fails gives up without backtracking and no rule scans further than the token it makes
# (the PN_PREFIX run of a word without ":" is the one exception, see _PrefixRuns).
_WS = re.compile(r"[ \t\r\n]++")
_COMMENT = re.compile(r"#[^\r\n]*+")
_STRINGS = {
    "'''": re.compile(rf"'''(?:(?:''|')?+(?:[^'\\]|{_ECHAR_UCHAR}))*+'''"),
    '"""': re.compile(rf'"""(?:(?:""|")?+(?:[^"\\]|{_ECHAR_UCHAR}))*+"""'),
    "'": re.compile(rf"'(?:[^'\\\n\r]|{_ECHAR_UCHAR})*+'"),
    '"': re.compile(rf'"(?:[^"\\\n\r]|{_ECHAR_UCHAR})*+"'),
}
_IRIREF = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>")
_VAR = re.compile(f"[?$][{_U_CHARS}0-9][{_U_CHARS}0-9\u00b7\u0300-\u036f\u203f-\u2040]*+")
_BNODE = re.compile(f"_:[{_U_CHARS}0-9](?:[{_CHARS}]|\\.++(?=[{_CHARS}]))*+")
_LANGTAG = re.compile(r"@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+(?:--[a-zA-Z]++)?+")
_NUMBER = re.compile(
    r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+[eE][+-]?+[0-9]++|\.[0-9]++[eE][+-]?+[0-9]++"
    r"|[0-9]*+\.[0-9]++|[0-9]++)"
)
_PN_PREFIX_RUN = re.compile(f"[{_BASE_CHARS}](?:[{_CHARS}]|\\.++(?=[{_CHARS}]))*+")
_PN_LOCAL = re.compile(f"(?:[{_U_CHARS}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX}|\\.++(?=[{_CHARS}:%\\\\]))*+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*+")
_NIL = re.compile(r"\([ \t\r\n]*+\)")
_ANON = re.compile(r"\[[ \t\r\n]*+\]")
_PUNCT = re.compile(r"<<\(|\)>>|<<|>>|\{\||\|\}|\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*/+\-!=<>^|~?]")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE = re.compile(_ECHAR_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# What an IRIREF may not contain once its \u escapes are decoded, plus "'" (see the module docstring).
_IRI_FORBIDDEN = re.compile(r"[<>\"{}|^`\\\x00-\x20']")
_REENCODE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_ENGINE_POSITION = re.compile(r"^error at (\d+):(\d+)")

# An operand ends here, so a following "<" inside an expression is the less-than operator.
_OPERAND_END_KINDS = frozenset({"VAR", "STRING", "NUMBER", "IRI", "PNAME", "LANGTAG", "BNODE"})
# Bare words after which "(" opens a list (collection, VALUES row) rather than an expression.
_LIST_AFTER_WORDS = frozenset({"VALUES", "A", "UNDEF"})
# Clauses whose "(" open expressions: projections, grouping, ordering, HAVING.
_EXPRESSION_CLAUSES = frozenset({"SELECT", "DISTINCT", "REDUCED", "BY", "HAVING", "ASC", "DESC"})


class ScanError(ValueError):
    """A text that is not a sequence of SPARQL tokens, or one the canonical form cannot carry;
    ``message`` starts with "error at line:column" like the engine's own syntax errors."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    value: str | None = None  # strings: the decoded value; IRIs: the decoded IRI


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


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as pyoxigraph counts) of an offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _error(text: str, offset: int, problem: str) -> ScanError:
    line, column = line_column(text, offset)
    return ScanError(f"error at {line}:{column}: {problem}")


class _PrefixRuns:
    """Remembers where the last PN_PREFIX run without a following ":" ended.

    A word such as ``a.a.a.a…`` is not a prefixed name, and every position inside it starts a
    shorter run that ends at the same place — re-scanning it from each would be quadratic.
    """

    def __init__(self) -> None:
        self.no_colon_before = -1


def _lex_word(text: str, pos: int, runs: _PrefixRuns) -> Token | None:
    """A prefixed name (PNAME_NS / PNAME_LN, PN_LOCAL escapes kept as written) or a bare word."""
    end = pos
    if pos >= runs.no_colon_before:
        run = _PN_PREFIX_RUN.match(text, pos)
        if run is not None:
            end = run.end()
    if end < len(text) and text[end] == ":" and (end > pos or text[pos] == ":"):
        local = _PN_LOCAL.match(text, end + 1)
        return Token("PNAME", text[pos : local.end() if local else end + 1], pos)
    if end > pos:
        runs.no_colon_before = end
    word = _NAME.match(text, pos)
    return Token("NAME", word.group(), pos) if word else None


def _decode_escapes(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group()
        if escape[1] in "uU":
            return chr(int(escape[2:], 16))
        return _ECHARS[escape[1]]

    return _ESCAPE.sub(one, body)


def _lex_string(text: str, pos: int) -> Token:
    quote = text[pos : pos + 3] if text.startswith(("'''", '"""'), pos) else text[pos]
    match = _STRINGS[quote].match(text, pos)
    if match is None:
        raise _error(text, pos, f"unterminated string (or an invalid escape in it) starting with {quote}")
    body = match.group()[len(quote) : -len(quote)]
    try:
        value = _decode_escapes(body)
        value.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        raise _error(text, pos, "a \\u escape in this string names no Unicode character") from None
    return Token("STRING", match.group(), pos, value)


def _lex_angle(text: str, pos: int, operator_expected: bool) -> Token:
    """'<': an IRI, or the operators <, <=, <<, <<( — the less-than operator right after an operand
    inside an expression, an IRI wherever one matches otherwise (as the grammar allows)."""
    if not operator_expected:
        match = _IRIREF.match(text, pos)
        if match is not None:
            try:
                value = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), match.group()[1:-1])
                value.encode("utf-8")
            except (ValueError, UnicodeEncodeError):
                raise _error(text, pos, "a \\u escape in this IRI names no Unicode character") from None
            return Token("IRI", match.group(), pos, value)
    punct = _PUNCT.match(text, pos)
    assert punct is not None  # "<" itself is always one
    return Token("PUNCT", punct.group(), pos)


def tokenize(text: str) -> Iterator[Token]:
    """The SPARQL tokens of a text, whitespace and comments skipped; linear in the text's length.

    Raises ScanError (with line:column) at the first character that starts no token: an
    unterminated string, a stray backslash, a character outside the grammar.
    """
    pos = 0
    length = len(text)
    # Open brackets, innermost last: [kind, clause]. kind is "top", "group" ({), "bnpl" ([),
    # "expr" or "list" ((); clause is the last clause keyword seen at that level (SELECT, BY...).
    frames: list[list[str | None]] = [["top", None]]
    previous: Token | None = None
    before_previous: Token | None = None
    runs = _PrefixRuns()
    while pos < length:
        char = text[pos]
        token: Token | None = None
        if char in " \t\r\n":
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            continue
        if char == "#":
            pos = _COMMENT.match(text, pos).end()  # type: ignore[union-attr]
            continue
        if char in "'\"":
            token = _lex_string(text, pos)
        elif char == "<":
            in_expression = frames[-1][0] == "expr"
            after_operand = previous is not None and (
                previous.kind in _OPERAND_END_KINDS
                or previous.text in {")", ")>>", "()"}
                or (previous.kind == "NAME" and previous.text.upper() in {"TRUE", "FALSE"})
            )
            token = _lex_angle(text, pos, in_expression and after_operand)
        elif char in "?$":
            match = _VAR.match(text, pos)
            token = Token("VAR", match.group(), pos) if match else Token("PUNCT", "?", pos) if char == "?" else None
        elif char == "_" and text.startswith("_:", pos):
            match = _BNODE.match(text, pos)
            token = Token("BNODE", match.group(), pos) if match else None
        elif char == "@":
            match = _LANGTAG.match(text, pos)
            token = Token("LANGTAG", match.group(), pos) if match else None
        elif char.isdigit() or (
            char in "+-." and pos + 1 < length and (text[pos + 1].isdigit() or text[pos + 1] == ".")
        ):
            match = _NUMBER.match(text, pos)
            token = Token("NUMBER", match.group(), pos) if match else None
        elif char == "(":
            match = _NIL.match(text, pos)
            token = Token("NIL", match.group(), pos) if match else None
        elif char == "[":
            match = _ANON.match(text, pos)
            token = Token("ANON", match.group(), pos) if match else None
        elif char == ":" or char.isalpha() or char == "_":
            token = _lex_word(text, pos, runs)
        if token is None:
            match = _PUNCT.match(text, pos)
            if match is None:
                raise _error(text, pos, f"unexpected character {char!r}: it starts no SPARQL token")
            token = Token("PUNCT", match.group(), pos)
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


def _paren_kind(frame: list[str | None], previous: Token | None, before: Token | None) -> str:
    """Whether a "(" opens an expression or a list (RDF collection, VALUES row)."""
    kind, clause = frame
    if kind == "expr":
        return "expr"
    if previous is not None and previous.kind == "NAME":
        return "list" if previous.text.upper() in _LIST_AFTER_WORDS else "expr"
    if (
        previous is not None
        and previous.kind in {"IRI", "PNAME"}
        and before is not None
        and before.kind == "NAME"
        and before.text.upper() in {"FILTER", "BY", "HAVING"}
    ):
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
            raise _error(
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
                    raise _error(
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
        raise _error(
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
        return _error(text, 0, "the query is empty").message
    for index, token in enumerate(tokens):
        if token.kind != "PNAME":
            continue
        before = tokens[index - 1] if index else None
        if before is not None and before.kind == "NAME" and before.text.upper() == "PREFIX":
            continue
        prefix = token.text.partition(":")[0]
        if prefix not in prefixes:
            declared = ", ".join(name or "(the empty prefix)" for name in prefixes) or "none"
            return _error(
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
