// The map view: rows with coordinates as dots over country outlines, in SVG. Coordinates come from
// a WKT point column (`Point(lon lat)`, as Wikidata's P625 gives) or from a pair of columns named
// lat/latitude and long/lon/lng/longitude. The outlines are Natural Earth's 1:50m countries from
// the npm package world-atlas, served by this server: no tile server, nothing fetched elsewhere.
// The view is an equirectangular projection of the points' bounding box (widened to at least
// 8 degrees and padded), with x scaled by the cosine of the middle latitude.
(function () {
  "use strict";
  if (typeof KzkgViews === "undefined") return;
  var V = KzkgViews;
  var atlas = null;  // one fetch of the outlines per page

  function countries() {
    if (!atlas) {
      atlas = fetch(V.config.worldAtlas).then(function (response) {
        if (!response.ok) throw new Error("country outlines: HTTP " + response.status);
        return response.json();
      }).then(function (topology) {
        return topojson.feature(topology, topology.objects.countries).features;
      });
    }
    return atlas;
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
      " · outlines: Natural Earth (world-atlas)");
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
    var labels = V.svg("g", { "class": "country-labels" }, root);
    var dots = V.svg("g", { "class": "places" }, root);

    places.forEach(function (place) {
      var p = project(place.lon, place.lat);
      var group = V.markGroup(dots, table, place.row, "place");
      group.setAttribute("data-lon", String(place.lon));
      group.setAttribute("data-lat", String(place.lat));
      V.svg("circle", { cx: p[0], cy: p[1], r: 5 }, group);
      V.svgText(V.rowLabel(table, place.row), { x: p[0] + 7, y: p[1] + 4 }, group);
    });

    return countries().then(function (features) {
      features.forEach(function (feature) {
        var geometry = feature.geometry;
        if (!geometry) return;
        var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
        var d = "", visible = false, biggest = null, biggestSize = -1;
        polygons.forEach(function (polygon) {
          polygon.forEach(function (ring, ri) {
            var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
            ring.forEach(function (c, i) {
              var p = project(c[0], c[1]);
              d += (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1);
              minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]); minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
            });
            d += "Z";
            if (maxX >= 0 && minX <= width && maxY >= 0 && minY <= height) visible = true;
            var size = (maxX - minX) * (maxY - minY);
            if (ri === 0 && size > biggestSize) { biggestSize = size; biggest = [minX, maxX, minY, maxY]; }
          });
        });
        if (!visible) return;
        var name = feature.properties && feature.properties.name || "";
        var path = V.svg("path", { d: d, "class": "country", "data-name": name }, land);
        V.svg("title", {}, path).textContent = name;
        // the label sits in the middle of the country's largest part, clipped to the view
        var lx = (Math.max(biggest[0], 0) + Math.min(biggest[1], width)) / 2;
        var ly = (Math.max(biggest[2], 0) + Math.min(biggest[3], height)) / 2;
        if (biggestSize > 2500 && name) V.svgText(name, { x: lx, y: ly, "text-anchor": "middle" }, labels);
      });
    }).catch(function (error) {
      V.note(wrap, "Country outlines could not be loaded (" + error.message + "); the places are drawn without them.");
    });
  };

  V.register("kzkgMap", MapView);
})();
