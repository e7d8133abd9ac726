"""Every setting of the web service in one table: name, type, default and what it is for.

Modelled on datasette's settings table. ``create_app`` loads the defaults from here, then the
``KZKG_<NAME>`` environment variables -- each parsed and type-checked once, at start, so that a
typo fails loudly instead of silently keeping a default (``KZKG_QUERY_TIMOUT=60`` used to be
ignored) -- then the caller's overrides. The code that reads a setting reads ``app.config[NAME]``
and never repeats its default.

The README's settings table is generated from :data:`SETTINGS` (``python -m kzkg_server.settings``
prints it; ``tests/test_settings.py`` checks the README holds exactly that).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kzkg.namespaces import ID

PREFIX = "KZKG_"


class SettingsError(ValueError):
    """A ``KZKG_*`` environment variable that is unknown or does not parse; the message names it."""


# --- value types: each parses an environment variable's text and says what it expects -----------


def _text(raw: str) -> str:
    return raw


def _integer(raw: str) -> int:
    return int(raw.strip())


def _positive_integer(raw: str) -> int:
    """An integer of at least 1: a count that 0 would make meaningless (a part of no claims)."""
    value = int(raw.strip())
    if value < 1:
        raise ValueError(raw)
    return value


def _number(raw: str) -> float:
    return float(raw.strip())


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _iri_list(raw: str) -> list[str]:
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(raw)
    return value


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(raw)
        return raw

    parse.__name__ = " or ".join(repr(a) for a in allowed)
    return parse


EXPECTS: dict[Callable[[str], Any], str] = {
    _text: "text",
    _integer: "an integer",
    _positive_integer: "an integer of at least 1",
    _number: "a number",
    _flag: "true or false",
    _iri_list: 'a JSON list of strings, e.g. ["https://query.wikidata.org/sparql"]',
}


@dataclass(frozen=True)
class Setting:
    """One setting. ``optional``: the environment variable may also be empty (or ``null``) for None."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str
    optional: bool = False

    @property
    def variable(self) -> str:
        return PREFIX + self.name

    @property
    def expects(self) -> str:
        kind = EXPECTS.get(self.parse) or self.parse.__name__
        return f"{kind}, or empty for none" if self.optional else kind

    def from_environment(self, raw: str) -> Any:
        if self.optional and raw.strip().lower() in ("", "null", "none"):
            return None
        try:
            return self.parse(raw)
        except ValueError:
            raise SettingsError(f"{self.variable}={raw!r}: expected {self.expects}") from None


# One setting per line, so that branches adding settings merge line by line.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "BUILD_DIR",
        str(Path.cwd() / "build"),
        _text,
        "Where `kzkg build` publishes releases; the served graph is `<BUILD_DIR>/current`.",
    ),
    Setting(
        "STORE_URL",
        None,
        _text,
        "A remote SPARQL 1.1 query endpoint to answer from instead of the embedded store (loaded with `kzkg publish`; see A production store).",
        optional=True,
    ),
    Setting("STORE_USER", None, _text, "User name for the remote store.", optional=True),
    Setting(
        "STORE_PASSWORD",
        None,
        _text,
        "Password for the remote store (better in the environment than on the command line).",
        optional=True,
    ),
    Setting("STORE_AUTH", "basic", _choice("basic", "digest"), "HTTP authentication scheme for the remote store."),
    Setting(
        "STORE_MAX_ROWS",
        10_000,
        _integer,
        "The remote store's silent row cap (Virtuoso's ResultSetMaxRows): an answer that reaches it may be cut short and is refused; 0: the store has no such cap.",
    ),
    Setting(
        "STORE_DATASET",
        "explicit",
        _choice("explicit", "native"),
        "`explicit`: name kzkg's graphs as default-graph-uri and named-graph-uri on every query (any store); `native`: trust the store's own default graph to be the union of kzkg's graphs.",
    ),
    Setting(
        "STORE_TIMEOUT_PARAM",
        "auto",
        _text,
        "The remote store's per-query time limit as a parameter template (`timeout={ms}` Virtuoso, `timeout={s}` Fuseki/GraphDB); `auto` detects Virtuoso; empty sends nothing.",
        optional=True,
    ),
    Setting(
        "STORE_CHECK_SECONDS",
        5.0,
        _number,
        "Seconds a remote store's build id (its release record) is trusted before it is read again.",
    ),
    Setting("STORE_MAX_BYTES", 256_000_000, _integer, "Bytes of one remote answer read at most."),
    Setting(
        "QUERY_TIMEOUT",
        10.0,
        _number,
        "Wall-clock seconds per query; a runaway query is killed and the client gets 503.",
    ),
    Setting(
        "MAX_RESULTS",
        10_000,
        _integer,
        "Rows or triples per answer; more is a 400 asking for a LIMIT, never a truncated answer.",
    ),
    Setting("MAX_CONTENT_LENGTH", 1_000_000, _integer, "Bytes per request body (413 beyond)."),
    Setting(
        "MAX_FORM_MEMORY_SIZE",
        None,
        _integer,
        "Bytes of one form field; empty: MAX_CONTENT_LENGTH (not Flask 3.1's own 500 kB).",
        optional=True,
    ),
    Setting(
        "SERVICE_ALLOWLIST",
        ["https://query.wikidata.org/sparql", "https://dbpedia.org/sparql"],
        _iri_list,
        "SERVICE endpoints a query may call (exact IRIs); everything else is refused. `[]` turns federation off.",
    ),
    Setting("QUERY_CACHE_SIZE", 1024, _integer, "Entries in the per-build cache of query responses."),
    Setting(
        "QUERY_FAST_PATH",
        True,
        _flag,
        "Answer a GET query Flask has answered from that cache before straight from it, in front of Flask (same bytes, a fraction of the cost).",
    ),
    Setting(
        "STORE_KEEP_WARM",
        10.0,
        _number,
        "Seconds between re-reads of the served store's files, so that kernels that reclaim idle file pages do not make the next query read from disk; 0: off.",
    ),
    Setting(
        "STORE_KEEP_WARM_MAX_BYTES",
        None,
        _integer,
        "Stores larger than this are left to the kernel; empty: half the RAM.",
        optional=True,
    ),
    Setting("QUERY_EXECUTORS", 2, _integer, "Killable query processes per server worker."),
    Setting(
        "QUERY_MEMORY_LIMIT",
        2_000_000_000,
        _integer,
        "Address-space cap of a query process in bytes; empty: no cap.",
        optional=True,
    ),
    Setting("QUERY_CACHE_MAX_BYTES", 64_000_000, _integer, "Byte budget of the response cache."),
    Setting(
        "QUERY_SANDBOX",
        True,
        _flag,
        "Run query processes sealed off the network (seccomp: no socket but AF_UNIX); a process that cannot seal itself refuses to start and so does the server. `false` only for kernels without seccomp (see Security).",
    ),
    Setting(
        "QUERY_FEDERATION_EXECUTORS",
        1,
        _integer,
        "Unsealed query processes per server worker, for queries whose SERVICE calls are all allow-listed.",
    ),
    Setting(
        "BASE_IRI",
        None,
        _text,
        "The base IRI relative IRIs in queries resolve against (never the request's Host header); empty: RESOURCE_BASE.",
        optional=True,
    ),
    Setting("SPARQL_CACHE_MAX_AGE", 300, _integer, "Cache-Control max-age (seconds) of query answers."),
    Setting(
        "SERVER_THREADS",
        8,
        _integer,
        "gunicorn threads per worker; queries (running or waiting) never hold more than all but 2 of them.",
    ),
    Setting("ACCESS_LOG", None, _text, "gunicorn access log (`-` for stderr); empty: none.", optional=True),
    Setting(
        "REVIEW",
        None,
        _text,
        "A data folder whose `kzkg extract` drafts the review page (/review) edits; set by `kzkg serve --review` (loopback only); empty: no review page.",
        optional=True,
    ),
    Setting(
        "REQUEST_BODY_TIMEOUT",
        10.0,
        _number,
        "Seconds a request body may take to arrive (408 after), so a slow sender cannot hold a server thread longer.",
        optional=True,
    ),
    Setting(
        "QUERY_CLIENT_CONCURRENCY",
        2,
        _integer,
        "Queries one client may have running or waiting at once, per server worker (429 beyond); empty: no limit.",
        optional=True,
    ),
    Setting(
        "QUERY_CLIENT_BUDGET",
        30.0,
        _number,
        "Seconds of query time one client may use per QUERY_BUDGET_WINDOW, per server worker (429 beyond); empty: no limit.",
        optional=True,
    ),
    Setting("QUERY_BUDGET_WINDOW", 60.0, _number, "The rolling window (seconds) of QUERY_CLIENT_BUDGET."),
    Setting(
        "QUERY_QUEUE_SIZE",
        2,
        _integer,
        "Queries that may wait for a free query process, per server worker (429 beyond).",
    ),
    Setting(
        "QUERY_QUEUE_TIMEOUT",
        None,
        _number,
        "Seconds a query may wait for a free query process (429 after); empty: QUERY_TIMEOUT + 2.",
        optional=True,
    ),
    Setting(
        "QUERY_RESERVED_SLOTS",
        1,
        _integer,
        "Query processes per worker kept for clients whose queries in the window all ran under QUERY_SHORT_SECONDS.",
    ),
    Setting(
        "QUERY_SHORT_SECONDS",
        1.0,
        _number,
        "A query longer than this costs its client the reserved query processes for QUERY_BUDGET_WINDOW.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        None,
        _text,
        "Comma-separated addresses or networks of proxies whose X-Forwarded-For names the client; empty: the remote address is the client.",
        optional=True,
    ),
    Setting(
        "RESOURCE_BASE",
        str(ID),
        _text,
        "The IRI prefix whose resources this server resolves as linked data.",
    ),
    Setting(
        "DISAGREEMENT_CLAIMS",
        12,
        _positive_integer,
        "Claims one part of a disagreement counts on /disagreements (at least 1; 0 or less is refused at start-up); a disagreement more claims hold positions in continues in parts on the next pages, each side's claims cut separately and every part showing every side, so a page stays bounded.",
    ),
    Setting(
        "GZIP_MIN_BYTES",
        1024,
        _integer,
        "Smallest response body (HTML, JSON, SPARQL results, RDF, scripts) sent gzipped to clients that accept it; 0: never compress.",
    ),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}

# KZKG_* variables that other parts of kzkg read, so they may be set when the server starts.
OTHER_VARIABLES: dict[str, str] = {
    "KZKG_DATA_DIR": "`kzkg` commands: the data folder",
    "KZKG_LINK_ENDPOINT": "`kzkg link` / `kzkg enrich`: the SPARQL endpoint",
    "KZKG_CONTACT": "`kzkg link` / `kzkg enrich`: contact for the User-Agent",
    "KZKG_CACHE_DIR": "`kzkg build`: where schema closures are cached",
    "KZKG_BENCH_VIRTUOSO_PASSWORD": "bench/: the Virtuoso password",
}


def defaults() -> dict[str, Any]:
    """A fresh copy of every default (lists are copied: a caller may change its own)."""
    return {
        setting.name: (list(setting.default) if isinstance(setting.default, list) else setting.default)
        for setting in SETTINGS
    }


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings given as ``KZKG_*`` variables, parsed; an unknown variable or a bad value raises
    :class:`SettingsError` naming it (and, for an unknown one, every known name)."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    unknown = []
    for variable in sorted(environ):
        if not variable.startswith(PREFIX) or variable in OTHER_VARIABLES:
            continue
        setting = BY_NAME.get(variable[len(PREFIX) :])
        if setting is None:
            unknown.append(variable)
            continue
        found[setting.name] = setting.from_environment(environ[variable])
    if unknown:
        known = ", ".join(sorted([s.variable for s in SETTINGS] + list(OTHER_VARIABLES)))
        raise SettingsError(f"unknown setting {', '.join(unknown)} in the environment; known: {known}")
    return found


def resolve(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then ``overrides``: the config ``create_app`` builds."""
    config = defaults()
    config.update(from_environment(environ))
    config.update(overrides or {})
    return config


def markdown_table() -> str:
    """The README's settings table."""
    lines = ["| setting (`KZKG_…` variable) | default | what it is for |", "|---|---|---|"]
    for setting in SETTINGS:
        if setting.name == "BUILD_DIR":
            default = "`./build`"
        elif setting.default is None:
            default = "none"
        else:
            shown = json.dumps(setting.default) if isinstance(setting.default, (list, bool)) else str(setting.default)
            default = f"`{shown}`"
        described = setting.help.replace("|", "\\|")
        lines.append(f"| `{setting.name}` | {default} | {described} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
