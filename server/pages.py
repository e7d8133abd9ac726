"""The human face of the graph: the query page and the linked-data pages of every resource.

Every IRI under ``RESOURCE_BASE`` (``https://w3id.org/kzkg/id/``) resolves here at ``/id/<rest>``.
w3id.org sends the public IRIs to this server with a 303 (all ``id/`` IRIs name things — people,
claims, events, articles as works — not web pages), so its ``.htaccess`` in ``kzkg/`` holds::

    RewriteEngine on
    RewriteRule ^id/(.*)$ https://<host>/id/$1 [R=303,L]

and this server then answers with a description of the thing in the type the client asked for:
HTML for a browser, Turtle / JSON-LD / N-Triples / RDF-XML (and TriG / N-Quads, keeping the
article graphs) by ``Accept`` or ``?format=``, negotiated with the shared table in
``kzkg_server.media``; 404 for an IRI the graph does not mention; 406 for a type it cannot write.

Everything is read per request through the served backend's :class:`~kzkg_server.backend.GraphReader`
(the release's read-only store, or a remote SPARQL store behind ``kzkg serve --store``); no graph
is held at module level, so a rebuild is picked up by the next request. A remote reader fetches
a subject's statements in one round trip and labels in batches (``Labeller.warm``), so a page
costs a few dozen queries to the store, not one per label.

This module holds the blueprint and its routes (``pages.index``, ``pages.resource``,
``pages.disagreements``: the names templates' ``url_for`` use); what the pages show is built in
:mod:`.resources` (the description and the page of a resource), :mod:`.articles` (an article's
text with its quotes), :mod:`.claims` (claims as data), :mod:`.geography` (external facts and the
locator map), all reading the graph through :mod:`.labels`.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from kzkg.examples import load_examples
from kzkg.namespaces import PREFIXES

from .claims import disagreement_index, fill_disagreements
from .disagreement_layout import first_claim_anchors, layout_disagreements
from .labels import Labeller, page_reader, resource_base
from .resources import (
    HTML,
    RESOURCE_TYPES,
    asserted_event_quads,
    asserted_event_source,
    choose_type,
    description_quads,
    render_asserted_event,
    render_resource,
    resource_exists,
    serialise,
)

bp = Blueprint("pages", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The query editor is the npm package @zazuko/yasgui, installed by `npm ci --prefix server/static`
# and served from node_modules by Flask's own static route: the page never touches a CDN.
YASGUI_DIR = "node_modules/@zazuko/yasgui/build"
YASGUI_JS = f"{YASGUI_DIR}/yasgui.min.js"
YASGUI_CSS = f"{YASGUI_DIR}/yasgui.min.css"
NPM_INSTALL = "npm ci --prefix server/static --ignore-scripts --no-audit --no-fund"


def yasgui_installed() -> bool:
    """Whether the editor's npm files are present; the query page degrades to a form without them."""
    return (STATIC_DIR / YASGUI_JS).is_file() and (STATIC_DIR / YASGUI_CSS).is_file()


# --------------------------------------------------------------------------------------------
# the query page


@bp.get("/")
def index() -> str:
    """The query page: YASGUI on this server's /sparql, the named examples, and a plain form."""
    examples = load_examples()
    chosen = request.args.get("example")
    selected = next((e for e in examples if e.slug == chosen), examples[0] if examples else None)
    return render_template(
        "index.html",
        examples=examples,
        examples_json=[
            {"slug": e.slug, "title": e.title, "description": e.description, "sparql": e.sparql} for e in examples
        ],
        selected=selected,
        prefixes=PREFIXES,
        resource_base=resource_base(),
        sparql_path=request.script_root + "/sparql",
        yasgui=yasgui_installed(),
        yasgui_js=YASGUI_JS,
        yasgui_css=YASGUI_CSS,
        npm_install=NPM_INSTALL,
    )


@bp.get("/id/<path:rest>")
def resource(rest: str) -> BaseResponse:
    """Resolve https://w3id.org/kzkg/id/<rest>: HTML or RDF by negotiation, 404/406 otherwise."""
    served, store = page_reader()
    iri = resource_base() + rest
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        abort(404, description=f"{iri} is not a valid IRI")
    media = choose_type(request.args.get("format"))
    if media is None:
        offered = ", ".join([HTML.media_type, *(m.media_type for m in RESOURCE_TYPES)])
        abort(406, description=f"This resource is available as: {offered}.")
    if resource_exists(store, node):
        if media is HTML:
            body = render_resource(store, node, served).encode("utf-8")
        else:
            body = serialise(description_quads(store, node), media)
    else:
        # an event only a claim asserts: described from its claim's assertion graph (every /id/ IRI resolves)
        source = asserted_event_source(store, node)
        if source is None:
            abort(404, description=f"The graph says nothing about {iri}.")
        if media is HTML:
            body = render_asserted_event(store, node, source, served).encode("utf-8")
        else:
            body = serialise(asserted_event_quads(store, node, source), media)
    # Werkzeug adds "; charset=utf-8" to text/* types; the RDF application/* types are UTF-8 by spec.
    response = Response(body, mimetype=media.media_type)
    response.vary.add("Accept")
    response.headers["Content-Location"] = request.path + (f"?format={media.names[0]}" if media is not HTML else "")
    if served.build_id is None:  # a remote store with no release record: no way to tell when it changes
        response.cache_control.no_cache = True
        return response
    response.set_etag(f"{served.build_id}-{media.names[0]}")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.get("/disagreements")
def disagreements() -> str:
    """Every disagreement computed from the claims' assertions, with every side and its evidence:
    grouped by subject, filtered and paged by the query string (see page_layout.layout_disagreements)."""
    served, store = page_reader()
    labels = Labeller(store, resource_base())
    # The index chooses the page; only its disagreements get their sides, sources and quotes read
    # (all of them took 7.2 s at 1M triples for a page that shows eight).
    layout = layout_disagreements(
        disagreement_index(store, labels, served.build_id),
        request.args,
        claims_per_part=current_app.config["DISAGREEMENT_CLAIMS"],
    )
    rows = [row for group in layout["groups"] for row in group.rows]  # type: ignore[attr-defined]
    # the page's rows are parts of disagreements: each disagreement is filled once, with only the
    # positions its parts on this page show (counted or shown again), so the rows, sources and
    # quotes read are bounded by the page's size however many claims agree
    fill_disagreements(
        store,
        labels,
        {row.whole.node.value: row.whole for row in rows}.values(),
        positions=[position for row in rows for position in (*row.held, *row.again)],
    )
    layout["claim_anchors"] = first_claim_anchors(rows)
    return render_template("disagreements.html", build_id=served.build_id or "", **layout)
