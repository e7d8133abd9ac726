"""What the views share: reading the served graph, checked query-string parameters, the HTML
response with its ETag, colours."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import pyoxigraph as ox
from flask import Response, abort, render_template, request

from kzkg.namespaces import KZ

from .backend import Row, Served, Term
from .labels import resource_base

KZ_NS = str(KZ)

# Colours for the claim statuses (kz:ClaimStatus) and, in turn, for claimants.
STATUS_COLOURS = {"Unverified": "#6b7a8f", "Disputed": "#e08a00", "Confirmed": "#2e8b57", "Retracted": "#c62828"}
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
)
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
ARTICLE_PATTERN = re.compile(r"^[0-9]{3}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# --------------------------------------------------------------------------------------------
# shared helpers


def local_url(iri: str) -> str:
    """The page of a resource on this server (``/id/...``), or the IRI itself when it is elsewhere."""
    base = resource_base()
    if iri.startswith(base):
        return f"{request.script_root}/id/{iri[len(base) :]}"
    if iri.startswith(KZ_NS):
        return f"{request.script_root}/ontology#{iri[len(KZ_NS) :]}"
    return iri


def id_param(name: str) -> str | None:
    """A resource id from the query string (``tokayev``, ``event/csto-request``), checked; 400 otherwise."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not ID_PATTERN.match(value) or ".." in value:
        abort(400, description=f"{name}={value!r}: not a resource id (letters, digits, '-', '/', e.g. tokayev)")
    return value


def page_param(name: str = "page") -> int:
    """A page number from the query string (1 when absent); 400 for anything but a positive integer."""
    value = request.args.get(name, "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        abort(400, description=f"{name}={value!r}: expected a page number (1, 2, …)")
    return int(value)


def date_param(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if not DATE_PATTERN.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        abort(400, description=f"{name}={value!r}: not a date (YYYY-MM-DD)")


def choice_param(name: str, allowed: Iterable[str], default: str) -> str:
    value = request.args.get(name, "").strip() or default
    allowed = list(allowed)
    if value not in allowed:
        abort(400, description=f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


def value_of(term: Term | None) -> str | None:
    """The lexical value of a bound term; a quoted triple (RDF-star) has none, so it reads as its N-Triples form."""
    if term is None:
        return None
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def text_of(row: Row, name: str, default: str = "") -> str:
    value = value_of(row.get(name))
    return value if value is not None else default


def int_of(row: Row, name: str) -> int:
    value = value_of(row.get(name))
    return int(value) if value is not None else 0


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def page_response(template: str, **context: Any) -> Response:
    response = Response(render_template(template, **context), mimetype="text/html")
    served = context.get("served")
    if isinstance(served, Served) and served.build_id:
        response.set_etag(f"{served.build_id}-{template}-{request.query_string.decode('latin-1')}")
        response.cache_control.max_age = 60
        response.make_conditional(request)  # updates the response in place (and returns it, typed as werkzeug's)
    return response


def palette(keys: Iterable[str]) -> dict[str, str]:
    """A stable colour per key (sorted, so the same claimant keeps its colour across filters)."""
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(sorted(set(keys)))}
