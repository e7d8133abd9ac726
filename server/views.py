"""The views a reader expects to *see*: timeline, claim network, figures, map, search, browse, ontology.

Why drawn on the server (SVG and HTML with CSS positions) rather than by a charting library in the
browser: every view then works without JavaScript and without internet, a citation (the URL with
its filters in the query string) always shows the same picture, the tests can parse what is drawn
(each mark carries its data in ``data-*`` attributes), and a 400 px phone gets the same marks,
scaled by the SVG's viewBox, with a readable list beside each picture. The only geometry is
Natural Earth's country outlines from the npm package ``world-atlas`` (public domain data),
installed into ``static/node_modules`` like YASGUI and read from there.

Every query goes through the served backend's reader (``GraphReader.select``), so the views work
on the embedded store and in front of a remote store alike. Claims-as-data (issue #12) is read
where it exists: the timeline shows the dates that claims' assertion graphs give for an event
(``?claim kz:asserts ?g . GRAPH ?g { ?event kz:startDate ?d }``) and the network draws computed
``kz:conflictsWith`` edges; both are empty until the build writes them.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request

from kzkg import search as search_index
from kzkg.namespaces import KZ, ONTOLOGY_GRAPH
from kzkg.store import NoReleaseError
from kzkg_server import regions
from kzkg_server.backend import GraphReader, Row, Served, Term
from kzkg_server.enrichment import parse_point
from kzkg_server.media import GRAPH_TYPES, MediaType

bp = Blueprint("views", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
WORLD_ATLAS = STATIC_DIR / "node_modules" / "world-atlas" / "countries-50m.json"
KZ_NS = str(KZ)
ONTOLOGY_IRI = KZ_NS.rstrip("#")
HTML_TYPE = MediaType("text/html", ("html",))
ONTOLOGY_TYPES: tuple[MediaType, ...] = (
    HTML_TYPE,
    *(
        m
        for m in GRAPH_TYPES
        if m.media_type in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
    ),
)

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
# Topics of the network view: a name in the URL, a heading, and the SPARQL pattern that selects
# its claims (``?c`` is the claim). Other subjects: ``?about=<resource id>``.
TOPICS: dict[str, tuple[str, str]] = {
    "deaths": ("Death tolls", "?c kz:quantityKind kz:Deaths ."),
    "injuries": ("Injuries", "?c kz:quantityKind kz:Injuries ."),
    "detentions": ("Detentions", "?c kz:quantityKind kz:Detentions ."),
    "csto": (
        "The CSTO",
        "VALUES ?topic { kzid:csto kzevent:csto-request kzevent:csto-deployment } ?c kz:about ?topic .",
    ),
    "identity": (
        "Who was the man in the confession",
        (
            "VALUES ?topic { kzid:confession-man kzid:vikram-ruzakhunov"
            " kzevent:confession-broadcast } ?c kz:about ?topic ."
        ),
    ),
    "airport": (
        "Almaty airport",
        (
            "VALUES ?topic { kzid:almaty-airport kzevent:almaty-airport-seizure"
            " kzevent:almaty-airport-recapture } ?c kz:about ?topic ."
        ),
    ),
}
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
ARTICLE_PATTERN = re.compile(r"^[0-9]{3}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------------------------
# shared helpers


def _reader() -> tuple[Served, GraphReader]:
    """What is served and a reader for this request; 503 that says a build is needed before the first."""
    service = current_app.extensions["kzkg"]
    try:
        served = service.served()
    except NoReleaseError as missing:
        abort(503, description=str(missing))
    return served, service.backend.reader(served, float(current_app.config["QUERY_TIMEOUT"]))


def _base() -> str:
    return str(current_app.config["RESOURCE_BASE"])


def local_url(iri: str) -> str:
    """The page of a resource on this server (``/id/...``), or the IRI itself when it is elsewhere."""
    base = _base()
    if iri.startswith(base):
        return f"{request.script_root}/id/{iri[len(base) :]}"
    if iri.startswith(KZ_NS):
        return f"{request.script_root}/ontology#{iri[len(KZ_NS) :]}"
    return iri


def _id_param(name: str) -> str | None:
    """A resource id from the query string (``tokayev``, ``event/csto-request``), checked; 400 otherwise."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not ID_PATTERN.match(value) or ".." in value:
        abort(400, description=f"{name}={value!r}: not a resource id (letters, digits, '-', '/', e.g. tokayev)")
    return value


def _date_param(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if not DATE_PATTERN.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        abort(400, description=f"{name}={value!r}: not a date (YYYY-MM-DD)")


def _choice_param(name: str, allowed: Iterable[str], default: str) -> str:
    value = request.args.get(name, "").strip() or default
    allowed = list(allowed)
    if value not in allowed:
        abort(400, description=f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


def _value(term: Term | None) -> str | None:
    """The lexical value of a bound term; a quoted triple (RDF-star) has none, so it reads as its N-Triples form."""
    if term is None:
        return None
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def _text(row: Row, name: str, default: str = "") -> str:
    value = _value(row.get(name))
    return value if value is not None else default


def _int(row: Row, name: str) -> int:
    value = _value(row.get(name))
    return int(value) if value is not None else 0


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _page(template: str, **context: Any) -> Response:
    response = Response(render_template(template, **context), mimetype="text/html")
    served = context.get("served")
    if isinstance(served, Served) and served.build_id:
        response.set_etag(f"{served.build_id}-{template}-{request.query_string.decode('latin-1')}")
        response.cache_control.max_age = 60
        response.make_conditional(request)  # updates the response in place (and returns it, typed as werkzeug's)
    return response


def _palette(keys: Iterable[str]) -> dict[str, str]:
    """A stable colour per key (sorted, so the same claimant keeps its colour across filters)."""
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(sorted(set(keys)))}


# --------------------------------------------------------------------------------------------
# /timeline


@dataclass
class TimelineEvent:
    iri: str
    label: str
    start: date | None
    end: date | None
    date_text: str
    places: str
    claims: int
    source_dates: list[tuple[str, str]] = field(default_factory=list)  # (date, claimant) from assertion graphs
    left: float = 0.0  # percent of the window
    width: float = 0.0

    @property
    def is_range(self) -> bool:
        return self.end is not None and self.start is not None and self.end > self.start


TIMELINE_QUERY = """
SELECT ?e (SAMPLE(?l) AS ?label) (MIN(?s) AS ?start) (MAX(?en) AS ?end) (SAMPLE(?t) AS ?text)
       (GROUP_CONCAT(DISTINCT ?pl; separator=", ") AS ?places) (COUNT(DISTINCT ?c) AS ?claims) WHERE {
  ?e a kz:Event ; rdfs:label ?l . %(filter)s
  OPTIONAL { ?e kz:startDate ?s } OPTIONAL { ?e kz:endDate ?en } OPTIONAL { ?e kz:dateText ?t }
  OPTIONAL { ?e kz:place ?p . ?p rdfs:label ?pl
             FILTER NOT EXISTS { ?e kz:place ?q . ?q kz:locatedIn ?p FILTER(?q != ?p) } }
  OPTIONAL { ?c kz:about ?e }
} GROUP BY ?e"""
# Claims as data (issue #12): the dates each claim's assertion graph gives an event.
SOURCE_DATES_QUERY = """
SELECT ?e ?d (SAMPLE(?who) AS ?claimant) WHERE {
  ?claim kz:asserts ?g . GRAPH ?g { ?e kz:startDate ?d }
  OPTIONAL { ?claim kz:claimedBy/rdfs:label ?who }
} GROUP BY ?e ?d ORDER BY ?e ?d"""


def _as_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


@bp.get("/timeline")
def timeline() -> Response:
    """Events by date and place: ranges as bars, the text's own words beside each, undated ones listed."""
    place = _id_param("place")
    first, last = _date_param("from"), _date_param("to")
    served, reader = _reader()
    pattern = f"?e kz:place <{_base()}{place}> ." if place else ""
    events = [
        TimelineEvent(
            _text(r, "e"),
            _text(r, "label"),
            _as_date(_text(r, "start")),
            _as_date(_text(r, "end")),
            _text(r, "text"),
            _text(r, "places"),
            _int(r, "claims"),
        )
        for r in reader.select(TIMELINE_QUERY % {"filter": pattern})
    ]
    by_iri = {e.iri: e for e in events}
    for row in reader.select(SOURCE_DATES_QUERY):
        if _text(row, "e") in by_iri:
            by_iri[_text(row, "e")].source_dates.append((_text(row, "d"), _text(row, "claimant", "unattributed")))
    dated = [e for e in events if e.start]
    if dated:
        first = first or min(e.start for e in dated if e.start)
        last = last or max((e.end or e.start) for e in dated if e.start)
    if first and last and last < first:
        abort(400, description=f"from={first} is after to={last}")
    inside = [e for e in dated if first and last and e.start and first <= e.start <= last]
    outside = sorted((e for e in dated if e not in inside), key=lambda e: (e.start, e.label))
    undated = sorted((e for e in events if not e.start), key=lambda e: e.label.lower())
    days: list[date] = []
    if first and last:
        span = (last - first).days + 1
        days = [first + timedelta(days=i) for i in range(span)]
        for event in inside:
            assert event.start is not None
            end = min(event.end or event.start, last)
            event.left = 100.0 * (event.start - first).days / span
            event.width = 100.0 * ((end - event.start).days + 1) / span
    groups: dict[date, list[TimelineEvent]] = defaultdict(list)
    for event in sorted(inside, key=lambda e: (e.start, e.end or e.start, e.label.lower())):
        assert event.start is not None
        groups[event.start].append(event)
    places = reader.select("""SELECT ?p (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e a kz:Event ; kz:place ?p ; kz:startDate ?s . ?p rdfs:label ?l } GROUP BY ?p ORDER BY DESC(?n) ?label""")
    return _page(
        "views/timeline.html",
        served=served,
        groups=sorted(groups.items()),
        days=days,
        first=first,
        last=last,
        outside=outside,
        undated=undated,
        place=place,
        total=len(events),
        places=[(_text(p, "p")[len(_base()) :], _text(p, "label"), _int(p, "n")) for p in places],
        local_url=local_url,
    )


# --------------------------------------------------------------------------------------------
# /figures


FIGURES_QUERY = """
SELECT ?c (SAMPLE(?l) AS ?label) (SAMPLE(?q) AS ?value) (SAMPLE(?qt) AS ?qtext) (SAMPLE(?d) AS ?date)
       (MIN(?ad) AS ?reported) (SAMPLE(?st) AS ?status) (SAMPLE(?qual) AS ?qualifier)
       (GROUP_CONCAT(DISTINCT ?who; separator=" / ") AS ?claimants) WHERE {
  ?c a kz:Claim ; kz:quantityKind kz:%(kind)s ; rdfs:label ?l .
  OPTIONAL { ?c kz:quantity ?q } OPTIONAL { ?c kz:quantityText ?qt } OPTIONAL { ?c kz:claimDate ?d }
  OPTIONAL { ?c kz:reportedIn/dcterms:date ?ad } OPTIONAL { ?c kz:status ?st }
  OPTIONAL { ?c kz:quantityQualifier/rdfs:label ?qual }
  OPTIONAL { ?c kz:claimedBy/rdfs:label ?who }
} GROUP BY ?c"""
KINDS_QUERY = """SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kz:Claim ; kz:quantityKind ?k }
GROUP BY ?k ORDER BY DESC(?n)"""


@dataclass
class FigurePoint:
    iri: str
    label: str
    value: float | None
    quantity_text: str
    claim_date: date | None
    reported: date | None
    status: str
    qualifier: str
    claimants: str
    colour: str = ""
    x: float = 0.0
    y: float = 0.0
    labelled: bool = True

    @property
    def when(self) -> date | None:
        """The claim's own date, else the date of the first article that reports it."""
        return self.claim_date or self.reported

    @property
    def retracted(self) -> bool:
        return self.status == "Retracted"


@bp.get("/figures")
def figures() -> Response:
    """Every figure claim of a kind as a dot: x the claim date, y the value, colour the claimant."""
    served, reader = _reader()
    kinds = [(_local_name(_text(r, "k")), _int(r, "n")) for r in reader.select(KINDS_QUERY)]
    kind = _choice_param("kind", [k for k, _ in kinds] or ["Deaths"], "Deaths")
    scale = _choice_param("scale", ["linear", "log"], "linear")
    points = []
    for row in reader.select(FIGURES_QUERY % {"kind": kind}):
        value = _value(row.get("value"))
        points.append(
            FigurePoint(
                _text(row, "c"),
                _text(row, "label"),
                float(value) if value is not None else None,
                _text(row, "qtext"),
                _as_date(_text(row, "date")),
                _as_date(_text(row, "reported")),
                _local_name(_text(row, "status", KZ_NS + "Unverified")),
                _text(row, "qualifier"),
                _text(row, "claimants", "unattributed"),
            )
        )
    colours = _palette(p.claimants for p in points)
    for point in points:
        point.colour = colours[point.claimants]
    # Figures whose date nobody gives (article 004 is undated) stand in an "undated" column at the
    # right, so 227 is on the chart beside 164 without a guessed day.
    plotted = sorted(
        (p for p in points if p.value is not None), key=lambda p: (p.when is None, p.when or date.max, p.value)
    )
    unplotted = sorted((p for p in points if p not in plotted), key=lambda p: p.label.lower())
    chart = _figure_layout(plotted, scale)
    return _page(
        "views/figures.html",
        served=served,
        kinds=kinds,
        kind=kind,
        scale=scale,
        plotted=plotted,
        unplotted=unplotted,
        chart=chart,
        colours=sorted(colours.items()),
        local_url=local_url,
        status_colours=STATUS_COLOURS,
    )


def _figure_layout(points: list[FigurePoint], scale: str) -> dict[str, Any]:
    """Positions in a 720×340 plot area (viewBox 800×420): a column per date on x, value (linear or log) on y."""
    left, top, width, height = 60.0, 20.0, 720.0, 340.0
    if not points:
        return {"x_ticks": [], "y_ticks": [], "left": left, "top": top, "width": width, "height": height}
    # One column per date that has a figure, in order, then "undated": the figures cluster on a few
    # days weeks apart, and a linear time axis squeezed 5, 6 and 9 January into one smear.
    days = sorted({p.when for p in points if p.when})
    columns: list[date | None] = [*days, *([None] if any(p.when is None for p in points) else [])]
    step_x = width / max(len(columns), 1)
    top_value = max(p.value or 0 for p in points)
    if scale == "log":
        upper = math.ceil(math.log10(max(top_value, 1)) + 0.05)
        y_of = lambda v: top + height - height * (math.log10(max(v, 1)) / upper)  # noqa: E731
        y_ticks = [10**i for i in range(upper + 1)]
    else:
        step = 10 ** max(math.floor(math.log10(max(top_value, 1))), 0)
        step = step / 2 if top_value / step < 4 else step
        upper_value = math.ceil(top_value / step) * step or 1
        y_of = lambda v: top + height - height * (v / upper_value)  # noqa: E731
        y_ticks = [step * i for i in range(int(upper_value / step) + 1)]

    def x_of(day: date | None) -> float:
        return left + step_x * (columns.index(day) + 0.3)

    seen: dict[tuple[date | None, float], int] = defaultdict(int)
    for point in points:
        assert point.value is not None
        offset = seen[(point.when, point.value)]
        seen[(point.when, point.value)] += 1
        # Claims at the same day and value sit side by side, not on top of each other.
        point.x = x_of(point.when) + 9 * offset
        point.y = y_of(point.value)
    # Value labels only where they do not overprint the one above in the same column.
    last_label: dict[date | None, float] = {}
    for point in sorted(points, key=lambda p: p.y):
        point.labelled = point.y - last_label.get(point.when, -1e9) >= 15 or point.retracted
        if point.labelled:
            last_label[point.when] = point.y
    x_ticks = [(x_of(d), d.strftime("%-d %b %Y") if d else "undated") for d in columns]
    return {
        "x_ticks": x_ticks,
        "y_ticks": [(y_of(v), int(v) if v == int(v) else v) for v in y_ticks],
        "left": left,
        "top": top,
        "width": width,
        "height": height,
    }


# --------------------------------------------------------------------------------------------
# /network


NETWORK_CLAIMS = """
SELECT ?c (SAMPLE(?l) AS ?label) (SAMPLE(?st) AS ?status) (MIN(?who) AS ?claimant) (MIN(?outlet) AS ?publisher)
       (MIN(?art) AS ?article) WHERE {
  ?c a kz:Claim ; rdfs:label ?l . %(filter)s
  OPTIONAL { ?c kz:status ?st }
  OPTIONAL { ?c kz:claimedBy/rdfs:label ?who }
  OPTIONAL { ?c kz:reportedIn ?art . OPTIONAL { ?art kz:publisher/rdfs:label ?outlet } }
} GROUP BY ?c"""
NETWORK_EDGES = """
SELECT DISTINCT ?a ?p ?b WHERE {
  VALUES ?p { kz:contradicts kz:corroborates kz:conflictsWith }
  ?a ?p ?b . ?a a kz:Claim . ?b a kz:Claim . FILTER(STR(?a) < STR(?b))
}"""


MAX_NODES = 600  # claims drawn at most in one network picture


@dataclass
class Node:
    iri: str
    label: str
    status: str
    group: str
    article: str
    context: bool = False  # outside the filter, drawn because it is linked to a claim inside
    x: float = 0.0
    y: float = 0.0
    degree: int = 0


@bp.get("/network")
def network() -> Response:
    """Claims as nodes coloured by status, contradicts/corroborates as edges, grouped in boxes."""
    topic = _choice_param("topic", ["all", *TOPICS], "all")
    article = request.args.get("article", "").strip() or None
    if article is not None and not ARTICLE_PATTERN.match(article):
        abort(400, description=f"article={article!r}: expected an article number such as 001")
    about = _id_param("about")
    group_by = _choice_param("group", ["claimant", "outlet"], "claimant")
    served, reader = _reader()
    filters = []
    if topic != "all":
        filters.append(TOPICS[topic][1])
    if article:
        filters.append(f"?c kz:reportedIn <{_base()}article/{article}> .")
    if about:
        filters.append(f"?c kz:about <{_base()}{about}> .")

    def node_of(r: Row, context: bool) -> Node:
        return Node(
            _text(r, "c"),
            _text(r, "label"),
            _local_name(_text(r, "status", KZ_NS + "Unverified")),
            _text(r, "claimant" if group_by == "claimant" else "publisher", "unattributed"),
            _local_name(_text(r, "article")),
            context=context,
        )

    nodes = {_text(r, "c"): node_of(r, False) for r in reader.select(NETWORK_CLAIMS % {"filter": " ".join(filters)})}
    all_edges = [(_text(r, "a"), _local_name(_text(r, "p")), _text(r, "b")) for r in reader.select(NETWORK_EDGES)]
    # A claim outside the filter that contradicts or corroborates one inside is drawn too, faded: the
    # retraction of the 164 toll has no figure of its own, yet it is half of the death-toll story.
    outside = sorted({x for a, _, b in all_edges for x in (a, b) if (a in nodes) != (b in nodes)} - set(nodes))
    if outside:
        values = " ".join(f"<{iri}>" for iri in outside)
        for r in reader.select(NETWORK_CLAIMS % {"filter": f"VALUES ?c {{ {values} }}"}):
            nodes[_text(r, "c")] = node_of(r, True)
    edges = [(a, kind, b) for a, kind, b in all_edges if a in nodes and b in nodes]
    for a, _, b in edges:
        nodes[a].degree += 1
        nodes[b].degree += 1
    # With no filter the whole corpus would be a wall of isolated dots: keep the linked claims.
    if not filters:
        nodes = {iri: n for iri, n in nodes.items() if n.degree}
    # A picture of thousands of dots says nothing (and weighs megabytes): the most linked claims are
    # drawn, and the page says how many more a filter would show.
    hidden = max(len(nodes) - MAX_NODES, 0)
    if hidden:
        kept = sorted(nodes.values(), key=lambda n: (-n.degree, n.iri))[:MAX_NODES]
        nodes = {n.iri: n for n in kept}
        edges = [(a, kind, b) for a, kind, b in edges if a in nodes and b in nodes]
    boxes = _network_layout(list(nodes.values()))
    drawn, bottom = [], max((b["y"] + b["height"] for b in boxes), default=0.0)
    for a, kind, b in edges:
        na, nb = nodes[a], nodes[b]
        # Every curve bows down and right, so none leaves the top of the picture.
        cx = (na.x + nb.x) / 2 + 0.3 * abs(nb.y - na.y)
        cy = (na.y + nb.y) / 2 + 0.3 * abs(nb.x - na.x)
        bottom = max(bottom, 0.25 * na.y + 0.5 * cy + 0.25 * nb.y + 8)
        drawn.append(
            {"from": a, "to": b, "kind": kind, "d": f"M{na.x:.1f},{na.y:.1f} Q{cx:.1f},{cy:.1f} {nb.x:.1f},{nb.y:.1f}"}
        )
    articles = [
        (_local_name(_text(r, "a")), _text(r, "t"))
        for r in reader.select(
            "SELECT ?a (SAMPLE(?title) AS ?t) WHERE { ?a a kz:Article ; dcterms:title ?title } GROUP BY ?a ORDER BY ?a"
        )
    ]
    counts: dict[str, int] = defaultdict(int)
    for _, kind, _ in edges:
        counts[kind] += 1
    return _page(
        "views/network.html",
        served=served,
        nodes=nodes,
        edges=drawn,
        boxes=boxes,
        height=bottom + 16,
        hidden=hidden,
        topic=topic,
        topics=TOPICS,
        article=article,
        about=about,
        group_by=group_by,
        articles=articles,
        status_colours=STATUS_COLOURS,
        counts=counts,
        local_url=local_url,
    )


def _network_layout(nodes: list[Node]) -> list[dict[str, Any]]:
    """Groups as boxes in rows of a 1000-wide canvas, claims on a grid inside each box."""
    groups: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        groups[node.group].append(node)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0].lower()))
    canvas, gap, cell = 1000.0, 16.0, 22.0
    boxes, x, y, row_height = [], gap, gap, 0.0
    for name, members in ordered:
        columns = max(3, min(10, math.ceil(math.sqrt(len(members) * 2))))
        rows = math.ceil(len(members) / columns)
        width, height = columns * cell + 16, rows * cell + 34
        if x + width > canvas - gap and x > gap:
            x, y = gap, y + row_height + gap
            row_height = 0.0
        members.sort(key=lambda n: (n.article, n.label.lower()))
        for i, node in enumerate(members):
            node.x = x + 8 + cell * (i % columns) + cell / 2
            node.y = y + 28 + cell * (i // columns) + cell / 2
        boxes.append({"name": name, "x": x, "y": y, "width": width, "height": height, "members": members})
        x += width + gap
        row_height = max(row_height, height)
    return boxes


# --------------------------------------------------------------------------------------------
# /map


@lru_cache(maxsize=1)
def _countries() -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """Natural Earth's country rings (lon, lat) from world-atlas's TopoJSON, decoded once per process."""
    if not WORLD_ATLAS.is_file():
        raise FileNotFoundError(
            f"{WORLD_ATLAS}: the map's outlines are missing; run `npm ci --prefix server/static --ignore-scripts`"
        )
    topology = json.loads(WORLD_ATLAS.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # delta-encoded, quantized
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for index in indexes:
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            out.extend(points[1:] if out else points)
        return out

    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        elif geometry.get("type") != "MultiPolygon":
            continue
        rings = [ring(r) for polygon in polygons for r in polygon]
        countries.append((geometry.get("properties", {}).get("name", ""), rings))
    return countries


MAP_QUERY = """
SELECT ?p (SAMPLE(?l) AS ?label) (SAMPLE(?wkt) AS ?point) (COUNT(DISTINCT ?e) AS ?events)
       (COUNT(DISTINCT ?c) AS ?claims) WHERE {
  ?p a kz:Place ; rdfs:label ?l ; skos:exactMatch ?item .
  GRAPH kzgraph:enrichment { ?item <http://www.wikidata.org/prop/direct/P625> ?wkt }
  OPTIONAL { ?e kz:place ?p }  OPTIONAL { ?c kz:about ?p }
} GROUP BY ?p"""


@dataclass
class MapPlace:
    """A place with coordinates as the map draws it; x, y and r (the dot) are set once the view is known."""

    iri: str
    label: str
    lat: float
    lon: float
    events: int
    claims: int
    x: float = 0.0
    y: float = 0.0
    r: float = 0.0


@bp.get("/map")
def place_map() -> Response:
    """The places with coordinates over Natural Earth's country outlines, sized by their events."""
    served, reader = _reader()
    places: list[MapPlace] = []
    for row in reader.select(MAP_QUERY):
        point = parse_point(_text(row, "point"))
        if point:
            places.append(
                MapPlace(
                    _text(row, "p"), _text(row, "label"), point[0], point[1], _int(row, "events"), _int(row, "claims")
                )
            )
    # The view: Kazakhstan and its neighbours, widened to every place with coordinates.
    lon_min, lon_max, lat_min, lat_max = 45.0, 88.0, 38.0, 56.5
    for place in places:
        lon_min, lon_max = min(lon_min, place.lon - 2), max(lon_max, place.lon + 2)
        lat_min, lat_max = min(lat_min, place.lat - 2), max(lat_max, place.lat + 2)
    k = math.cos(math.radians((lat_min + lat_max) / 2))
    width = 1000.0
    scale = width / ((lon_max - lon_min) * k)
    height = (lat_max - lat_min) * scale

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon_min) * k * scale, (lat_max - lat) * scale

    try:
        countries = _countries()
    except FileNotFoundError as missing:  # an install without the npm packages: say which command
        abort(503, description=str(missing))
    outlines, labels = [], []
    for name, rings in countries:
        inside_rings = [
            r
            for r in rings
            if any(lon_min - 5 <= lo <= lon_max + 5 and lat_min - 5 <= la <= lat_max + 5 for lo, la in r)
        ]
        if not inside_rings:
            continue
        paths = []
        for r in inside_rings:
            points = [project(lo, la) for lo, la in r]
            paths.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
        outlines.append({"name": name, "d": "".join(paths)})
        visible = [
            project(lo, la)
            for r in inside_rings
            for lo, la in r
            if lon_min <= lo <= lon_max and lat_min <= la <= lat_max
        ]
        if len(visible) > 20:
            labels.append(
                {
                    "name": name,
                    "x": sum(x for x, _ in visible) / len(visible),
                    "y": sum(y for _, y in visible) / len(visible),
                }
            )
    for place in places:
        place.x, place.y = project(place.lon, place.lat)
        place.r = 4 + 2.2 * math.sqrt(place.events)
    try:  # region outlines, and the names of those holding a place, clear of the dots (server/regions.py)
        box, located = (lon_min, lat_min, lon_max, lat_max), [(p.lon, p.lat, p.label, p.r) for p in places]
        region_outlines, region_labels = regions.layers(project, box, located, [name for name, _ in countries])
    except regions.GeometryError as missing:
        abort(503, description=str(missing))
    places.sort(key=lambda p: (-p.events, p.label))
    return _page(
        "views/map.html",
        served=served,
        places=places,
        outlines=outlines,
        labels=labels,
        regions=region_outlines,
        region_labels=region_labels,
        width=width,
        height=height,
        local_url=local_url,
    )


# --------------------------------------------------------------------------------------------
# /search


@bp.get("/search")
def search() -> Response:
    """Full text over the build-time index, grouped by kind; JSON for ``format=json`` or Accept."""
    query = request.args.get("q", "").strip()
    if len(query) > 200:
        abort(400, description="q: at most 200 characters")
    served, _ = _reader()
    if served.release is None:
        abort(
            404,
            description="This server answers from a remote store and has no local copy of the build, "
            "so it has no search index.",
        )
    results = None
    if query:
        try:
            results = search_index.search(served.release.path / search_index.INDEX_FILE, query, per_kind=25)
        except search_index.SearchIndexMissing as missing:
            abort(503, description=str(missing))
    wants_json = request.args.get("format") == "json" or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        body = {
            "q": query,
            "groups": {}
            if results is None
            else {
                kind: {
                    "total": results.totals[kind],
                    "hits": [
                        {"iri": h.iri, "label": h.label, "url": local_url(h.iri), "snippet": h.snippet_html}
                        for h in hits
                    ],
                }
                for kind, hits in results.groups.items()
            },
        }
        response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
        response.vary.add("Accept")
        return response
    response = _page(
        "views/search.html",
        served=served,
        q=query,
        results=results,
        kind_labels=search_index.KIND_LABELS,
        local_url=local_url,
    )
    response.vary.add("Accept")
    return response


# --------------------------------------------------------------------------------------------
# /browse


BROWSE_QUERIES = {
    "actor": (
        "Actors",
        "claims made",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?t) AS ?type) (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?s a kz:Actor ; rdfs:label ?l . OPTIONAL { ?s a ?t . VALUES ?t { kz:Person kz:MediaOutlet kz:Group } }
          OPTIONAL { ?c kz:claimedBy ?s } } GROUP BY ?s ORDER BY DESC(?n) ?label""",
    ),
    "event": (
        "Events",
        "claims about it",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (MIN(?d) AS ?type) (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?s a kz:Event ; rdfs:label ?l . OPTIONAL { ?s kz:startDate ?d }
          OPTIONAL { ?c kz:about ?s } } GROUP BY ?s ORDER BY DESC(?n) ?label""",
    ),
    "place": (
        "Places",
        "events there",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?in) AS ?type) (COUNT(DISTINCT ?e) AS ?n) WHERE {
          ?s a kz:Place ; rdfs:label ?l . OPTIONAL { ?s kz:locatedIn/rdfs:label ?in }
          OPTIONAL { ?e a kz:Event ; kz:place ?s } } GROUP BY ?s ORDER BY DESC(?n) ?label""",
    ),
    "article": (
        "Articles",
        "claims reported",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?type) (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?s a kz:Article ; dcterms:title ?l . OPTIONAL { ?s dcterms:date ?d }
          OPTIONAL { ?c kz:reportedIn ?s } } GROUP BY ?s ORDER BY ?s""",
    ),
}


def _browse_note(kind: str, row: Row) -> str:
    """The second column: an actor's kind, an event's date, a place's container, an article's number
    and date (two articles may share a title: 004 and the original it reposts)."""
    value = _text(row, "type")
    if kind == "actor":
        return _local_name(value)
    if kind == "article":
        return " · ".join(x for x in (_local_name(_text(row, "s")), value) if x)
    return value


BROWSE_PAGE = 200  # rows of one list per page (?type=…&page=N)
BROWSE_PREVIEW = 25  # rows of each list on the index of all four


@bp.get("/browse")
def browse() -> Response:
    """Index of actors, events, places and articles, each with its count; ``?type=`` opens one list,
    ``page=`` pages through it, so a page stays readable however large the graph grows."""
    only = _choice_param("type", ["all", *BROWSE_QUERIES], "all")
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        abort(400, description=f"page={request.args.get('page')!r}: expected a page number")
    served, reader = _reader()
    sections = []
    for kind, (title, counted, query) in BROWSE_QUERIES.items():
        if only not in ("all", kind):
            continue
        rows = reader.select(query)
        size = BROWSE_PREVIEW if only == "all" else BROWSE_PAGE
        start = 0 if only == "all" else (page - 1) * size
        items = [
            {"iri": _text(r, "s"), "label": _text(r, "label"), "n": _int(r, "n"), "note": _browse_note(kind, r)}
            for r in rows[start : start + size]
        ]
        sections.append(
            {
                "kind": kind,
                "title": title,
                "counted": counted,
                "entries": items,
                "total": len(rows),
                "start": start,
                "pages": math.ceil(len(rows) / size) if only != "all" else 1,
                "open": only == kind or (only == "all" and kind == "article"),
            }
        )
    return _page("views/browse.html", served=served, sections=sections, only=only, page=page, local_url=local_url)


# --------------------------------------------------------------------------------------------
# /ontology


ONTOLOGY_TERMS = """
SELECT ?term ?kind ?label ?comment WHERE {
  GRAPH <%(graph)s> {
    VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty skos:Concept
                   skos:ConceptScheme owl:NamedIndividual rdfs:Class rdf:Property }
    ?term a ?kind . FILTER(STRSTARTS(STR(?term), "%(ns)s"))
    OPTIONAL { ?term rdfs:label ?label FILTER(LANG(?label) IN ("en", "")) }
    OPTIONAL { ?term rdfs:comment ?comment FILTER(LANG(?comment) IN ("en", "")) }
  }
}"""
ONTOLOGY_LINKS = """
SELECT ?term ?p ?o WHERE {
  GRAPH <%(graph)s> {
    VALUES ?p { rdfs:domain rdfs:range rdfs:subClassOf rdfs:subPropertyOf owl:equivalentClass
                owl:equivalentProperty owl:inverseOf skos:exactMatch skos:closeMatch skos:broadMatch
                skos:narrowMatch skos:relatedMatch skos:inScheme skos:broader rdf:type }
    ?term ?p ?o . FILTER(STRSTARTS(STR(?term), "%(ns)s") && isIRI(?o))
  }
}"""
KIND_ORDER = {
    "Class": 0,
    "ObjectProperty": 1,
    "DatatypeProperty": 2,
    "AnnotationProperty": 3,
    "ConceptScheme": 4,
    "Concept": 5,
    "NamedIndividual": 6,
}
LINK_NAMES = {
    "domain": "domain",
    "range": "range",
    "subClassOf": "subclass of",
    "subPropertyOf": "subproperty of",
    "equivalentClass": "equivalent class",
    "equivalentProperty": "equivalent property",
    "inverseOf": "inverse of",
    "exactMatch": "exact match",
    "closeMatch": "close match",
    "broadMatch": "broad match",
    "narrowMatch": "narrow match",
    "relatedMatch": "related match",
    "inScheme": "in scheme",
    "broader": "broader",
    "type": "type",
}


@bp.get("/ontology")
def ontology() -> Response:
    """The ``https://w3id.org/kzkg/ontology#`` namespace document: HTML for people, RDF by Accept."""
    media = _negotiate_ontology()
    if media is None:
        abort(406, description="The ontology is offered as " + ", ".join(m.media_type for m in ONTOLOGY_TYPES))
    served, reader = _reader()
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    if media is not HTML_TYPE:
        assert media.rdf is not None
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in reader.quads(None, None, None, graph)]
        body = ox.serialize(
            triples,
            format=media.rdf,
            prefixes={
                "kz": KZ_NS,
                "owl": "http://www.w3.org/2002/07/owl#",
                "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                "skos": "http://www.w3.org/2004/02/skos/core#",
            }
            if media.rdf in (ox.RdfFormat.TURTLE,)
            else None,
        )
        response = Response(body, mimetype=media.media_type)
    else:
        response = Response(
            render_template(
                "views/ontology.html",
                terms=_cached_terms(served, reader),
                ontology_iri=ONTOLOGY_IRI,
                ns=KZ_NS,
                local_url=local_url,
                kind_order=KIND_ORDER,
            ),
            mimetype="text/html",
        )
    response.vary.add("Accept")
    if served.build_id:
        response.set_etag(f"{served.build_id}-ontology-{media.names[0]}")
        response.make_conditional(request)  # updates the response in place (and returns it, typed as werkzeug's)
    return response


def _negotiate_ontology() -> MediaType | None:
    """HTML first (what a browser or an empty Accept gets), then the RDF syntaxes; ``format=`` wins."""
    name = request.args.get("format", "").strip().lower()
    if name:
        return next((m for m in ONTOLOGY_TYPES if name in m.names or name == m.media_type), None)
    if not request.accept_mimetypes:
        return HTML_TYPE
    best = request.accept_mimetypes.best_match([m.media_type for m in ONTOLOGY_TYPES] + ["application/xhtml+xml"])
    if best == "application/xhtml+xml":
        return HTML_TYPE
    return next((m for m in ONTOLOGY_TYPES if m.media_type == best), None)


_TERMS_CACHE: dict[str, list[dict[str, Any]]] = {}


def _cached_terms(served: Served, reader: GraphReader) -> list[dict[str, Any]]:
    """The documented terms, computed once per build: finding an example of each term scans the
    data graphs, which is cheap on the corpus but not on a million triples."""
    if served.build_id is None:
        return _ontology_terms(reader)
    terms = _TERMS_CACHE.get(served.build_id)
    if terms is None:
        terms = _ontology_terms(reader)
        _TERMS_CACHE.clear()  # one build is served at a time
        _TERMS_CACHE[served.build_id] = terms
    return terms


def _ontology_terms(reader: GraphReader) -> list[dict[str, Any]]:
    values = {"graph": ONTOLOGY_GRAPH, "ns": KZ_NS}
    terms: dict[str, dict[str, Any]] = {}
    for row in reader.select(ONTOLOGY_TERMS % values):
        iri = _text(row, "term")
        term = terms.setdefault(
            iri,
            {
                "iri": iri,
                "name": iri[len(KZ_NS) :],
                "kinds": set(),
                "label": "",
                "comment": "",
                "links": defaultdict(list),
                "example": None,
            },
        )
        term["kinds"].add(_local_name(_text(row, "kind")))
        term["label"] = term["label"] or _text(row, "label")
        term["comment"] = term["comment"] or _text(row, "comment")
    for row in reader.select(ONTOLOGY_LINKS % values):
        linked = terms.get(_text(row, "term"))
        if linked is None:
            continue
        name, target = LINK_NAMES.get(_local_name(_text(row, "p")), ""), _text(row, "o")
        if name == "type" and not (target.startswith(KZ_NS)):
            continue  # owl:Class etc. are the term's kind, shown already
        if target not in linked["links"][name]:
            linked["links"][name].append(target)
    _examples(reader, terms)
    ordered = sorted(terms.values(), key=lambda t: (min(KIND_ORDER.get(k, 9) for k in t["kinds"]), t["name"].lower()))
    for term in ordered:
        term["kind"] = min(term["kinds"], key=lambda k: KIND_ORDER.get(k, 9))
        term["links"] = sorted(term["links"].items())
    return ordered


def _examples(reader: GraphReader, terms: dict[str, dict[str, Any]]) -> None:
    """One use of each term in the data (outside the ontology graph): a triple for a property, an
    instance for a class, a subject for a concept. One query per kind, not per term."""
    graph = ONTOLOGY_GRAPH
    queries = {
        "property": f"""SELECT ?t (SAMPLE(?s) AS ?a) (SAMPLE(?o) AS ?b) WHERE {{
            GRAPH ?g {{ ?s ?t ?o }} FILTER(?g != <{graph}> && STRSTARTS(STR(?t), "{KZ_NS}")) }} GROUP BY ?t""",
        "class": f"""SELECT ?t (SAMPLE(?s) AS ?a) WHERE {{
            GRAPH ?g {{ ?s a ?t }} FILTER(?g != <{graph}> && STRSTARTS(STR(?t), "{KZ_NS}")) }} GROUP BY ?t""",
        "value": f"""SELECT ?t (SAMPLE(?s) AS ?a) (SAMPLE(?p) AS ?b) WHERE {{
            GRAPH ?g {{ ?s ?p ?t }} FILTER(?g != <{graph}> && isIRI(?t) && STRSTARTS(STR(?t), "{KZ_NS}")
            && ?p != rdf:type) }} GROUP BY ?t""",
    }
    for how, query in queries.items():
        for row in reader.select(query):
            term = terms.get(_text(row, "t"))
            if term is None or term["example"] is not None:
                continue
            subject = _text(row, "a")
            if how == "property":
                obj = row.get("b")
                term["example"] = {
                    "subject": subject,
                    "predicate": term["iri"],
                    "object": _value(obj) or "",
                    "object_is_iri": isinstance(obj, ox.NamedNode),
                }
            elif how == "class":
                term["example"] = {"subject": subject, "predicate": "a", "object": term["iri"], "object_is_iri": True}
            else:
                term["example"] = {
                    "subject": subject,
                    "predicate": _text(row, "b"),
                    "object": term["iri"],
                    "object_is_iri": True,
                }
