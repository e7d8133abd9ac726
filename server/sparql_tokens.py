"""SPARQL 1.1/1.2 terminals of a request text, in one linear pass: the tokenizer under
:mod:`kzkg_server.sparql_scan`.

Longest match, every repetition possessive, so no rule backtracks and an unterminated string or a
character that starts no token is an immediate error with line:column, never a retry at the next
position. The one context a SPARQL lexer needs is tracked here too: whether ``<`` after an operand
inside an expression is the less-than operator or opens an IRI (``?a<<http://x/#>`` is
``?a < <http://x/#>`` to pyoxigraph's PEG parser), so the canonical writer and the engine read the
same tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as pyoxigraph counts) of an offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan_error(text: str, offset: int, problem: str) -> ScanError:
    """The error for a problem at an offset, with the line:column the engine would name."""
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
        raise scan_error(text, pos, f"unterminated string (or an invalid escape in it) starting with {quote}")
    body = match.group()[len(quote) : -len(quote)]
    try:
        value = _decode_escapes(body)
        value.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        raise scan_error(text, pos, "a \\u escape in this string names no Unicode character") from None
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
                raise scan_error(text, pos, "a \\u escape in this IRI names no Unicode character") from None
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
                raise scan_error(text, pos, f"unexpected character {char!r}: it starts no SPARQL token")
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
