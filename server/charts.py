"""The pictures of claims: the timeline of events, the figures (numbers claimed over time) and
the claim network (who contradicts or corroborates whom)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Response, abort, request

from .backend import GraphReader, Row, Served
from .labels import page_reader, resource_base
from .view_common import (
    ARTICLE_PATTERN,
    KZ_NS,
    STATUS_COLOURS,
    choice_param,
    date_param,
    id_param,
    int_of,
    local_name,
    local_url,
    page_param,
    page_response,
    palette,
    text_of,
    value_of,
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


# Every event with its dates (the order, the window and the pages need them all); what only a drawn
# event shows (places, claims, the dates its sources give) is read for the events of one page, as
# grouping the places and claims of all 5,555 events of the 1M build took 0.8 s.
TIMELINE_QUERY = """
SELECT ?e (SAMPLE(?l) AS ?label) (MIN(?s) AS ?start) (MAX(?en) AS ?end) (SAMPLE(?t) AS ?text) WHERE {
  ?e a kz:Event ; rdfs:label ?l . %(filter)s
  OPTIONAL { ?e kz:startDate ?s } OPTIONAL { ?e kz:endDate ?en } OPTIONAL { ?e kz:dateText ?t }
} GROUP BY ?e"""
TIMELINE_DETAILS = """
SELECT ?e (GROUP_CONCAT(DISTINCT ?pl; separator=", ") AS ?places) (COUNT(DISTINCT ?c) AS ?claims) WHERE {
  VALUES ?e { %s }
  OPTIONAL { ?e kz:place ?p . ?p rdfs:label ?pl
             FILTER NOT EXISTS { ?e kz:place ?q . ?q kz:locatedIn ?p FILTER(?q != ?p) } }
  OPTIONAL { ?c kz:about ?e }
} GROUP BY ?e"""
# Claims as data (issue #12): the dates each claim's assertion graph gives an event (OPTIONAL: the
# engine looks each event up rather than scanning every assertion graph).
SOURCE_DATES_QUERY = """
SELECT ?e ?d (SAMPLE(?who) AS ?claimant) WHERE {
  VALUES ?e { %s }
  OPTIONAL { ?claim kz:asserts ?g . GRAPH ?g { ?e kz:startDate ?d } OPTIONAL { ?claim kz:claimedBy/rdfs:label ?who } }
  FILTER(BOUND(?d))
} GROUP BY ?e ?d ORDER BY ?e ?d"""
EVENTS_PER_PAGE = 200  # dated events drawn on one page of the timeline


def _as_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def timeline() -> Response:
    """Events by date and place: ranges as bars, the text's own words beside each, undated ones listed."""
    place = id_param("place")
    first, last = date_param("from"), date_param("to")
    page = page_param()
    served, reader = page_reader()
    pattern = f"?e kz:place <{resource_base()}{place}> ." if place else ""
    events = [
        TimelineEvent(
            text_of(r, "e"),
            text_of(r, "label"),
            _as_date(text_of(r, "start")),
            _as_date(text_of(r, "end")),
            text_of(r, "text"),
            "",
            0,
        )
        for r in reader.select(TIMELINE_QUERY % {"filter": pattern})
    ]
    dated = [e for e in events if e.start]
    if dated:
        first = first or min(e.start for e in dated if e.start)
        last = last or max((e.end or e.start) for e in dated if e.start)
    if first and last and last < first:
        abort(400, description=f"from={first} is after to={last}")
    inside = sorted(
        (e for e in dated if first and last and e.start and first <= e.start <= last),
        key=lambda e: (e.start, e.end or e.start, e.label.lower(), e.iri),
    )
    drawn = {e.iri for e in inside}
    outside = sorted((e for e in dated if e.iri not in drawn), key=lambda e: (e.start, e.label))
    undated = sorted((e for e in events if not e.start), key=lambda e: e.label.lower())
    # Whole pages of the window's events, in date order: a page is a stable URL (its filters and
    # ?page=N), and the page says which events it holds and links to the others.
    pages = max(math.ceil(len(inside) / EVENTS_PER_PAGE), math.ceil(len(undated) / EVENTS_PER_PAGE), 1)
    if page > pages:
        abort(404, description=f"page={page}: the timeline has {pages} page{'s' if pages != 1 else ''} here")
    shown = inside[(page - 1) * EVENTS_PER_PAGE : page * EVENTS_PER_PAGE]
    undated_shown = undated[(page - 1) * EVENTS_PER_PAGE : page * EVENTS_PER_PAGE]
    _timeline_details(reader, [*shown, *undated_shown])
    days: list[date] = []
    if first and last:
        span = (last - first).days + 1
        days = [first + timedelta(days=i) for i in range(span)]
        for event in shown:
            assert event.start is not None
            end = min(event.end or event.start, last)
            event.left = 100.0 * (event.start - first).days / span
            event.width = 100.0 * ((end - event.start).days + 1) / span
    groups: dict[date, list[TimelineEvent]] = defaultdict(list)
    for event in shown:
        assert event.start is not None
        groups[event.start].append(event)
    places = reader.select("""SELECT ?p (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e a kz:Event ; kz:place ?p ; kz:startDate ?s . ?p rdfs:label ?l } GROUP BY ?p ORDER BY DESC(?n) ?label""")
    return page_response(
        "views/timeline.html",
        served=served,
        groups=sorted(groups.items()),
        days=days,
        first=first,
        last=last,
        outside=outside,
        undated=undated_shown,
        undated_total=len(undated),
        undated_from=(page - 1) * EVENTS_PER_PAGE + 1,
        place=place,
        total=len(events),
        page=page,
        pages=pages,
        in_window=len(inside),
        shown_from=(page - 1) * EVENTS_PER_PAGE + 1,
        shown_to=(page - 1) * EVENTS_PER_PAGE + len(shown),
        places=[(text_of(p, "p")[len(resource_base()) :], text_of(p, "label"), int_of(p, "n")) for p in places],
        local_url=local_url,
    )


def _timeline_details(reader: GraphReader, events: list[TimelineEvent]) -> None:
    """Places, claim counts and the dates the sources give, for the events a page shows."""
    by_iri = {e.iri: e for e in events}
    if not by_iri:
        return
    iris = _iris(by_iri)
    for row in reader.select(TIMELINE_DETAILS % iris):
        event = by_iri[text_of(row, "e")]
        event.places, event.claims = text_of(row, "places"), int_of(row, "claims")
    for row in reader.select(SOURCE_DATES_QUERY % iris):
        by_iri[text_of(row, "e")].source_dates.append((text_of(row, "d"), text_of(row, "claimant", "unattributed")))


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


def figures() -> Response:
    """Every figure claim of a kind as a dot: x the claim date, y the value, colour the claimant."""
    served, reader = page_reader()
    kinds = [(local_name(text_of(r, "k")), int_of(r, "n")) for r in reader.select(KINDS_QUERY)]
    # The default is the most frequent kind the data holds (the real corpus: death tolls); a fixed
    # "Deaths" made the bare URL a 400 on a corpus without death-toll figures.
    kind = choice_param("kind", [k for k, _ in kinds] or ["Deaths"], _default_kind(kinds))
    scale = choice_param("scale", ["linear", "log"], "linear")
    points = []
    for row in reader.select(FIGURES_QUERY % {"kind": kind}):
        value = value_of(row.get("value"))
        points.append(
            FigurePoint(
                text_of(row, "c"),
                text_of(row, "label"),
                float(value) if value is not None else None,
                text_of(row, "qtext"),
                _as_date(text_of(row, "date")),
                _as_date(text_of(row, "reported")),
                local_name(text_of(row, "status", KZ_NS + "Unverified")),
                text_of(row, "qualifier"),
                text_of(row, "claimants", "unattributed"),
            )
        )
    colours = palette(p.claimants for p in points)
    for point in points:
        point.colour = colours[point.claimants]
    # Figures whose date nobody gives (article 004 is undated) stand in an "undated" column at the
    # right, so 227 is on the chart beside 164 without a guessed day.
    plotted = sorted(
        (p for p in points if p.value is not None), key=lambda p: (p.when is None, p.when or date.max, p.value)
    )
    unplotted = sorted((p for p in points if p not in plotted), key=lambda p: p.label.lower())
    chart = _figure_layout(plotted, scale)
    return page_response(
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


def _default_kind(kinds: list[tuple[str, int]]) -> str:
    """The kind with the most figure claims (ties: Deaths first, then by name, so the URL is stable)."""
    if not kinds:
        return "Deaths"
    return min(kinds, key=lambda kv: (-kv[1], kv[0] != "Deaths", kv[0]))[0]


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
  VALUES ?c { %(claims)s } ?c rdfs:label ?l .
  OPTIONAL { ?c kz:status ?st }
  OPTIONAL { ?c kz:claimedBy/rdfs:label ?who }
  OPTIONAL { ?c kz:reportedIn ?art . OPTIONAL { ?art kz:publisher/rdfs:label ?outlet } }
} GROUP BY ?c"""
LINKS = "kz:contradicts|kz:corroborates|kz:conflictsWith"  # all three symmetric: both directions are in the closure
# The claims of the filter, the most linked first, capped in the query: at 1M triples the graph
# holds 127k links (most of them computed conflicts), and fetching them all to rank them in Python
# took 14 s. ``%(link)s`` is OPTIONAL with a filter (its unlinked claims are drawn too; OPTIONAL also
# makes the engine look up each filtered claim's links rather than scan them all) and required
# without one (the whole corpus would be a wall of isolated dots).
NETWORK_RANKED = """
SELECT ?c (COUNT(?o) AS ?n) WHERE { %(filter)s %(link)s } GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT %(limit)d"""
NETWORK_COUNT = """SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { %(filter)s %(link)s }"""
# A UNION, not the path ``a|b|c``: the path gives each linked claim once, and a claim that both
# contradicts and conflicts with another has two links drawn, so two in its rank.
# Both directions: the three are symmetric, but a release without the closure (or a remote store)
# may hold a link one way only; in the closure every link then counts twice, for every claim alike.
LINK_PATTERN = "{ VALUES ?p { kz:contradicts kz:corroborates kz:conflictsWith } { ?c ?p ?o } UNION { ?o ?p ?c } }"
# Claims outside the filter linked to a drawn one (the retraction of the 164 toll has no figure of
# its own, yet it is half of the death-toll story): those of curated links first, then those of
# computed conflicts, as many as there is room for. LIMIT without ORDER BY stops the query early: the
# 278 death-toll claims of the 1M build link to 1,725 others, and ranking them all took 1.4 s.
# (OPTIONAL makes the engine look up each drawn claim's links: a plain join of a long VALUES block
# with the pattern scans every link.)
NETWORK_CONTEXT = """
SELECT DISTINCT ?c WHERE {
  VALUES ?i { %(inside)s } OPTIONAL { ?i %(links)s ?c . ?c a kz:Claim . FILTER NOT EXISTS { %(filter)s } }
  FILTER(BOUND(?c))
} LIMIT %(limit)d"""
# The links among the drawn claims only, at most MAX_EDGES: the curated ones (contradicts,
# corroborates) first, then the computed conflicts. The LIMIT stops the query early (no ORDER BY):
# the sides of one large computed disagreement are all pairs, 52k links among 600 claims at 1M.
# (OPTIONAL makes the engine look up each drawn claim's links: a plain join of a long VALUES
# block with the pattern scans every link.)
NETWORK_EDGES = """
SELECT DISTINCT ?a ?p ?b WHERE {
  VALUES ?a { %(claims)s }
  OPTIONAL { VALUES ?p { %(links)s } ?a ?p ?b . FILTER(?b IN (%(list)s) && STR(?a) < STR(?b)) } FILTER(BOUND(?b))
} LIMIT %(limit)d"""


MAX_NODES = 600  # claims drawn at most in one network picture
MAX_EDGES = 3000  # links drawn at most among them (the sides of a large disagreement are all pairs)


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


def network() -> Response:
    """Claims as nodes coloured by status, contradicts/corroborates as edges, grouped in boxes."""
    topic = choice_param("topic", ["all", *TOPICS], "all")
    article = request.args.get("article", "").strip() or None
    if article is not None and not ARTICLE_PATTERN.match(article):
        abort(400, description=f"article={article!r}: expected an article number such as 001")
    about = id_param("about")
    group_by = choice_param("group", ["claimant", "outlet"], "claimant")
    served, reader = page_reader()
    filters = []
    if topic != "all":
        filters.append(TOPICS[topic][1])
    if article:
        filters.append(f"?c kz:reportedIn <{resource_base()}article/{article}> .")
    if about:
        filters.append(f"?c kz:about <{resource_base()}{about}> .")
    inside, hidden = _ranked(served, reader, filters)
    context: list[str] = []
    hidden_context = False
    # One direction: the links are symmetric in the closure (an inverse path here took 100 s at 1M).
    for links in ("kz:contradicts|kz:corroborates", "kz:conflictsWith"):
        room = MAX_NODES - len(inside) - len(context)
        if not filters or not inside or room <= 0 or hidden_context:
            continue
        query = NETWORK_CONTEXT % {
            "inside": _iris(inside),
            "links": links,
            "filter": " ".join(filters),
            "limit": room + 1,
        }
        found = [c for c in (text_of(r, "c") for r in reader.select(query)) if c not in context]
        hidden_context = len(found) > room
        context += found[:room]

    def node_of(r: Row, is_context: bool) -> Node:
        return Node(
            text_of(r, "c"),
            text_of(r, "label"),
            local_name(text_of(r, "status", KZ_NS + "Unverified")),
            text_of(r, "claimant" if group_by == "claimant" else "publisher", "unattributed"),
            local_name(text_of(r, "article")),
            context=is_context,
        )

    nodes: dict[str, Node] = {}
    drawn_iris = inside + context
    if drawn_iris:
        outside = set(context)
        for r in reader.select(NETWORK_CLAIMS % {"claims": _iris(drawn_iris)}):
            nodes[text_of(r, "c")] = node_of(r, text_of(r, "c") in outside)
    edges: list[tuple[str, str, str]] = []
    for links in ("kz:contradicts kz:corroborates", "kz:conflictsWith"):
        if nodes and len(edges) < MAX_EDGES:
            claims = _iris(nodes)
            among = {
                "claims": claims,
                "links": links,
                "list": claims.replace("> <", ">, <"),
                "limit": MAX_EDGES - len(edges) + 1,
            }
            edges += [
                (text_of(r, "a"), local_name(text_of(r, "p")), text_of(r, "b"))
                for r in reader.select(NETWORK_EDGES % among)
            ]
    edges_capped = len(edges) > MAX_EDGES
    edges = edges[:MAX_EDGES]
    for a, _, b in edges:
        nodes[a].degree += 1
        nodes[b].degree += 1
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
        (local_name(text_of(r, "a")), text_of(r, "t"))
        for r in reader.select(
            "SELECT ?a (SAMPLE(?title) AS ?t) WHERE { ?a a kz:Article ; dcterms:title ?title } GROUP BY ?a ORDER BY ?a"
        )
    ]
    counts: dict[str, int] = defaultdict(int)
    for _, kind, _ in edges:
        counts[kind] += 1
    return page_response(
        "views/network.html",
        served=served,
        nodes=nodes,
        edges=drawn,
        boxes=boxes,
        height=bottom + 16,
        hidden=hidden,
        hidden_context=hidden_context,
        edges_capped=edges_capped,
        max_edges=MAX_EDGES,
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


# The ranked claims of a filter, per build: the ranking without a filter reads every link (0.7 s at
# 1M triples), and it is the same for every reader until the next build.
_RANKED: dict[tuple[str, str], tuple[list[str], int]] = {}


def _ranked(served: Served, reader: GraphReader, filters: list[str]) -> tuple[list[str], int]:
    """The filter's claims drawn (at most MAX_NODES, the most linked first) and how many are not."""
    pattern = " ".join(filters)
    if filters:
        values = {"filter": "?c a kz:Claim . " + pattern, "link": "OPTIONAL " + LINK_PATTERN}
    else:
        values = {"filter": "", "link": LINK_PATTERN}
    key = (served.build_id or "", f"{MAX_NODES} {pattern}")
    if served.build_id and key in _RANKED:
        return _RANKED[key]
    inside = [text_of(r, "c") for r in reader.select(NETWORK_RANKED % {**values, "limit": MAX_NODES})]
    # A picture of thousands of dots says nothing (and weighs megabytes): the most linked claims are
    # drawn, and the page says how many more a filter would show.
    hidden = 0
    if len(inside) == MAX_NODES:
        # All the filter's claims (they are drawn linked or not), or, without one, every linked claim.
        link = "" if filters else f"{{ ?c {LINKS}|^({LINKS}) ?o }}"
        count = NETWORK_COUNT % {"filter": values["filter"], "link": link}
        hidden = max(sum(int_of(r, "n") for r in reader.select(count)) - MAX_NODES, 0)
    if served.build_id:
        if len(_RANKED) >= 256 or any(build != served.build_id for build, _ in _RANKED):
            _RANKED.clear()  # one build is served at a time; the filters cited are few
        _RANKED[key] = (inside, hidden)
    return inside, hidden


def _iris(iris: Iterable[str]) -> str:
    return " ".join(f"<{iri}>" for iri in iris)


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
