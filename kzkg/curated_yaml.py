"""Hand-edited YAML read so that every mistake can name its file, line and column.

Curators edit YAML by hand, so a value that is wrong must come back as a sentence that names the
file and the entry, with the line and column where the YAML says it
(``data/annotations/001.yaml:79:13: claim 001-x: unknown key 'claimd_by'``). This module holds the
reading side: a loader that remembers where each mapping and value is written, one that reports an
impossible date instead of crashing, and :class:`Entry`, which reads one mapping's fields and records
a :class:`~kzkg.corpus.Problem` for each one that is wrong. Which files and entries exist, and what
they mean, is :mod:`kzkg.ingest`'s business.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from kzkg.corpus import SLUG, UNKNOWN, Corpus, Evidence, Problem
from kzkg.errors import InputError


class InvalidDate(str):
    """A YAML timestamp that names no day of the calendar (``2022-02-30``), kept as its text with
    where it was written, so the curator gets ``file:line:col: entry: invalid date 2022-02-30``
    among the other problems instead of PyYAML's traceback."""

    line: int
    column: int


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class _Loader(_BaseLoader):
    """PyYAML's safe loader, except that an impossible date is data to report, not a crash."""

    def construct_yaml_timestamp(self, node: yaml.Node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:  # the regexp matched, the calendar refused: 2022-02-30, 2022-13-01
            bad = InvalidDate(node.value)
            bad.line, bad.column = node.start_mark.line + 1, node.start_mark.column + 1
            return bad


class _Located(dict):
    """A YAML mapping that remembers where it starts and where each of its values is written
    (lines and columns from 1), so a problem with an entry or a key can name its line."""

    __slots__ = ("column", "line", "marks")

    line: int
    column: int
    marks: dict[str, tuple[int, int]]


def _construct_located_map(loader: _Loader, node: yaml.MappingNode):
    data = _Located()
    data.line, data.column = node.start_mark.line + 1, node.start_mark.column + 1
    data.marks = {}
    yield data  # first, as PyYAML's own constructor does, so recursive structures still work
    data.update(loader.construct_mapping(node))
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            data.marks[key.value] = (value.start_mark.line + 1, value.start_mark.column + 1)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_located_map)


class Entry:
    """Reads one YAML mapping, recording problems against its file and entry name."""

    def __init__(self, corpus: Corpus, path: str, name: str, raw: Any, allowed: set[str]):
        self.corpus, self.path, self.name = corpus, path, name
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if not isinstance(raw, dict):
            self.problem(f"expected a mapping, found {type(raw).__name__}")
        for key in sorted(set(self.raw) - allowed):
            self.problem(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", key)

    @property
    def where(self) -> str:
        return f"{self.path}: {self.name}"

    def problem(self, message: str, key: str | None = None) -> None:
        """Record a problem at the line of ``key``'s value (or of the entry, without a key)."""
        line = column = None
        if isinstance(self.raw, _Located):
            line, column = (
                self.raw.marks.get(key, (self.raw.line, self.raw.column)) if key else (self.raw.line, self.raw.column)
            )
        self.corpus.problems.append(Problem(self.path, self.name, message, line, column))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.problem(f"missing {key!r}", key)
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.problem(f"{key!r} must be text, found {type(value).__name__}", key)
            return None
        return str(value).strip()

    def ids(self, key: str) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        result = []
        for item in values:
            if isinstance(item, str) and SLUG.match(item):
                result.append(item)
            else:
                self.problem(f"{key!r}: {item!r} is not an id (lowercase letters, digits and hyphens)", key)
        return result

    def texts(self, key: str) -> list[str]:
        """A list of strings; a single string is a one-item list (never split into characters)."""
        value = self.raw.get(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        result = []
        for item in values:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                result.append(str(item))
            else:
                self.problem(f"{key!r}: expected text, found {type(item).__name__} {item!r}", key)
        return result

    def occurrence(self, raw: Any, key: str = "occurrence") -> int:
        """Which occurrence of a quote is meant: a positive integer (1 when not given)."""
        if raw is None:
            return 1
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
            return raw
        self.problem(f"{key!r}: {raw!r} must be a positive integer (1 for the first occurrence of the quote)", key)
        return 1

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in allowed:
            self.problem(f"{key!r}: {value!r} is not one of {', '.join(allowed)}", key)
            return default
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.raw.get(key)
        if value is None or value == UNKNOWN:
            return None
        if isinstance(value, InvalidDate):
            self.corpus.problems.append(
                Problem(self.path, self.name, f"invalid date {value}", value.line, value.column)
            )
            return None
        if isinstance(value, dt.datetime):
            self.problem(f"{key!r}: give a date (YYYY-MM-DD), not a time", key)
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(f"{key!r}: {value!r} is not a date (YYYY-MM-DD) or 'unknown'", key)
            return None

    def number(self, key: str) -> int | float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(f"{key!r}: {value!r} is not a number (write 8500000000, not '8.5 billion')", key)
            return None
        return value

    def evidence(self, key: str, article: str | None) -> list[Evidence]:
        """Quotes under `key`: a string, a list of strings, or {article, quote, occurrence} maps."""
        value = self.raw.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        found = []
        for item in items:
            if isinstance(item, str) and article:
                found.append(Evidence(article, item, 1, self.where))
            elif isinstance(item, dict) and isinstance(item.get("quote"), str):
                extra = set(item) - {"article", "quote", "occurrence"}
                if extra:
                    self.problem(f"{key!r}: unknown key(s) {sorted(extra)} in evidence", key)
                source = str(item.get("article") or article or "")
                if not source:
                    self.problem(f"{key!r}: evidence needs an 'article'", key)
                    continue
                found.append(Evidence(source, item["quote"], self.occurrence(item.get("occurrence")), self.where))
            else:
                self.problem(f"{key!r}: expected a quote or {{article, quote}}, found {item!r}", key)
        return found


def read_text(path: Path, what: str = "") -> str:
    """A UTF-8 text file, or an InputError naming the file (and the line and column of the first
    byte that is not UTF-8): the build must say which file to fix, never show a traceback."""
    if path.exists() and not path.is_file():  # a folder, a FIFO (opening one would block), a device
        raise InputError(f"{what or 'expected a file'}: not a regular file", file=path)
    try:
        data = path.read_bytes()
    except OSError as unreadable:
        raise InputError(f"cannot be read: {unreadable.strerror or unreadable}", file=path) from unreadable
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as undecodable:
        before = data[: undecodable.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"not UTF-8 (byte 0x{data[undecodable.start]:02x}); save it as UTF-8", file=path, line=line, column=column
        ) from undecodable


def load_yaml(path: Path) -> Any:
    """The document in ``path``, its mappings located; YAML that does not parse is an InputError at
    the line and column PyYAML names, with where an unclosed bracket or block started."""
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as broken:
        mark = broken.problem_mark or broken.context_mark
        problem = str(broken.problem or broken.context or "cannot be parsed")
        if broken.context and broken.context_mark and broken.problem:  # "while parsing a flow sequence"
            problem += (
                f" ({broken.context} that starts at line {broken.context_mark.line + 1}, "
                f"column {broken.context_mark.column + 1})"
            )
        raise InputError(
            f"not valid YAML: {problem}",
            file=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from broken
    except yaml.YAMLError as broken:
        raise InputError(f"not valid YAML: {broken}", file=path) from broken
