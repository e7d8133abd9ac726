// Result views for the query page beyond YASR's table (issue #14): a chart, a timeline, a map and a
// graph, each a YASR plugin (kzkg-yasr-<view>.js) drawn from the SPARQL JSON results in the
// browser, with nothing fetched from elsewhere. This file holds what they share: reading the
// columns' kinds, SVG helpers, and the rule that picks a view automatically.
//
// The automatic choice, made afresh for every new result (the buttons still switch views; a switch
// holds until the next query runs):
//   1. the view a shared link names (YASGUI's `outputFormat`), then a `#defaultView:Name` comment in
//      the query (Wikidata's convention: Table, Chart, BarChart, LineChart, ScatterChart/DotChart,
//      Timeline, Map, Graph) wins if that view can draw the result;
//   2. else the first view whose strict "fits" test passes, in the order map, timeline, chart, graph;
//   3. else the table.
// Each view's `canHandleResults` is looser than its `fits`: its button is enabled whenever it can
// draw something, so a user can always try it.
(function () {
  "use strict";
  if (typeof Yasgui === "undefined") return;
  var Yasr = Yasgui.Yasr;
  var configEl = document.getElementById("kzkg-config");
  var config = configEl ? JSON.parse(configEl.textContent) : {};

  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"].map(function (t) { return XSD + t; });
  var DATES = ["date", "dateTime", "dateTimeStamp", "gYear", "gYearMonth"].map(function (t) { return XSD + t; });
  var WKT = "http://www.opengis.net/ont/geosparql#wktLiteral";
  var POINT = /^\s*(?:<[^>]*>\s*)?point\s*\(\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s+([-+]?[\d.]+(?:e[-+]?\d+)?)\s*\)\s*$/i;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f5fa8", "#c0392b", "#2e8b57", "#d4860b", "#7b4fa8", "#138d90", "#a0522d", "#5b6472"];

  /** The kind of one RDF term: number, date, point, iri, bnode or text. */
  function termKind(term) {
    if (!term) return null;
    if (term.type === "uri") return "iri";
    if (term.type === "bnode") return "bnode";
    var datatype = term.datatype || "";
    if (NUMERIC.indexOf(datatype) >= 0 && isFinite(parseFloat(term.value))) return "number";
    if (DATES.indexOf(datatype) >= 0 && parseDate(term) !== null) return "date";
    if (datatype === WKT || POINT.test(term.value)) return POINT.test(term.value) ? "point" : "text";
    return "text";
  }

  /**
   * The columns of a SELECT result with the kind of each: the kind every bound value shares, or
   * "text" when they differ (a number beside a string reads as text), or null when none is bound.
   */
  function analyse(yasr) {
    var results = yasr.results;
    if (!results || results.hasError()) return null;
    // every view asks on every draw (can it draw? does it fit?): read a result's columns once
    if (results.kzkgTable !== undefined) return results.kzkgTable;
    results.kzkgTable = readColumns(results);
    return results.kzkgTable;
  }

  function readColumns(results) {
    var json = results.getAsJson();
    if (!json || !json.results) return null;
    var vars = results.getVariables() || [];
    var rows = results.getBindings() || [];
    var kinds = {};
    vars.forEach(function (v) {
      var kind = null;
      for (var i = 0; i < rows.length; i++) {
        var k = termKind(rows[i][v]);
        if (!k) continue;
        if (kind === null) kind = k;
        else if (kind !== k) { kind = (kind === "iri" || kind === "bnode") && (k === "iri" || k === "bnode") ? "iri" : "text"; }
      }
      kinds[v] = kind;
    });
    return {
      vars: vars, rows: rows, kinds: kinds,
      graph: results.getType() === "ttl",
      of: function (kind) { return vars.filter(function (v) { return kinds[v] === kind; }); }
    };
  }

  /**
   * A date term as a [start, end) range in milliseconds (UTC): a day for xsd:date, the month or the
   * year for the vague gYearMonth and gYear, an instant for dateTime; null when unreadable.
   */
  function parseDate(term) {
    var v = String(term.value).trim();
    var m;
    if ((m = /^(-?\d{4,})$/.exec(v))) return [Date.UTC(+m[1], 0, 1), Date.UTC(+m[1] + 1, 0, 1)];
    if ((m = /^(-?\d{4,})-(\d\d)(?:Z|[+-]\d\d:\d\d)?$/.exec(v))) return [Date.UTC(+m[1], +m[2] - 1, 1), Date.UTC(+m[1], +m[2], 1)];
    if ((m = /^(-?\d{4,})-(\d\d)-(\d\d)(?:Z|[+-]\d\d:\d\d)?$/.exec(v))) {
      var day = Date.UTC(+m[1], +m[2] - 1, +m[3]);
      return [day, day + 86400000];
    }
    var t = Date.parse(v);
    return isNaN(t) ? null : [t, t];
  }

  /** A readable name for an IRI: its prefixed form with our prefixes, else its last segment. */
  function shortName(iri) {
    var prefixes = config.prefixes || {};
    for (var p in prefixes) {
      if (iri.indexOf(prefixes[p]) === 0 && iri.length > prefixes[p].length) return p + ":" + iri.slice(prefixes[p].length);
    }
    var cut = Math.max(iri.lastIndexOf("/"), iri.lastIndexOf("#"));
    return cut >= 0 && cut < iri.length - 1 ? iri.slice(cut + 1) : iri;
  }

  /** Where a link to a resource should go: our own resources resolve on this server. */
  function localHref(iri) {
    if (config.resourceBase && iri.indexOf(config.resourceBase) === 0) {
      return config.resourcePath + iri.slice(config.resourceBase.length);
    }
    return iri;
  }

  /** The label of a row: its first text column, else the short name of its first IRI. */
  function rowLabel(table, row, skip) {
    var text = table.vars.filter(function (v) { return table.kinds[v] === "text" && (skip || []).indexOf(v) < 0; });
    for (var i = 0; i < text.length; i++) if (row[text[i]]) return row[text[i]].value;
    var iris = table.of("iri");
    for (var j = 0; j < iris.length; j++) if (row[iris[j]]) return shortName(row[iris[j]].value);
    return "";
  }

  /** A one-line summary of a whole row, for tooltips. */
  function rowSummary(table, row) {
    return table.vars.filter(function (v) { return row[v]; }).map(function (v) {
      var term = row[v];
      return "?" + v + " = " + (term.type === "uri" ? shortName(term.value) : term.value);
    }).join("\n");
  }

  /** The first IRI of a row, the resource its marks link to. */
  function rowLink(table, row) {
    var iris = table.of("iri");
    for (var i = 0; i < iris.length; i++) if (row[iris[i]] && row[iris[i]].type === "uri") return row[iris[i]].value;
    return null;
  }

  function svg(tag, attrs, parent) {
    var el = document.createElementNS(SVG_NS, tag);
    for (var k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) el.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(el);
    return el;
  }

  function svgText(text, attrs, parent) {
    var el = svg("text", attrs, parent);
    el.textContent = text;
    return el;
  }

  /** Wrap marks in a link to the row's resource when it has one, with the row as the tooltip. */
  function markGroup(parent, table, row, className) {
    var link = rowLink(table, row);
    var group = link ? svg("a", { href: localHref(link), "class": className }, parent) : svg("g", { "class": className }, parent);
    svg("title", {}, group).textContent = rowSummary(table, row);
    return group;
  }

  /** Round tick values over [lo, hi], about `count` of them. */
  function niceTicks(lo, hi, count) {
    if (hi === lo) { hi = lo + 1; }
    var raw = (hi - lo) / count;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (f) { return f * power; }).find(function (s) { return s >= raw; });
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
    return ticks;
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  /** Time ticks over [lo, hi] ms: days, weeks, months or years, whichever gives a readable count. */
  function timeTicks(lo, hi, maxCount) {
    var day = 86400000;
    var span = hi - lo;
    var steps = [[day, "day"], [2 * day, "day"], [7 * day, "day"], [14 * day, "day"], [0, "month"], [0, "year"]];
    for (var i = 0; i < steps.length; i++) {
      var ticks = [];
      var step = steps[i];
      if (step[1] === "day") {
        if (span / step[0] > maxCount) continue;
        for (var t = Math.ceil(lo / day) * day; t <= hi; t += step[0]) ticks.push(t);
        return ticks.map(function (t) { var d = new Date(t); return [t, d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear()]; });
      }
      var start = new Date(lo);
      var y = start.getUTCFullYear();
      var m = step[1] === "month" ? start.getUTCMonth() + 1 : 12;
      if (step[1] === "month" && span / (30 * day) > maxCount) continue;
      while (true) {
        var tick = step[1] === "month" ? Date.UTC(y, m, 1) : Date.UTC(y + 1, 0, 1);
        if (step[1] === "month") { m += 1; } else { y += 1; }
        if (tick > hi) break;
        ticks.push([tick, step[1] === "month" ? MONTHS[new Date(tick).getUTCMonth()] + " " + new Date(tick).getUTCFullYear() : String(new Date(tick).getUTCFullYear())]);
        if (ticks.length > 200) break;
      }
      return ticks;
    }
    return [];
  }

  /** A note above a view (rows left out, what is drawn), as text. */
  function note(parent, text) {
    var p = document.createElement("p");
    p.className = "kzkg-view-note";
    p.textContent = text;
    parent.appendChild(p);
    return p;
  }

  var AUTO_ORDER = ["kzkgMap", "kzkgTimeline", "kzkgChart", "kzkgGraph"];  // most specific first
  var HINTS = {
    table: ["table"], map: ["kzkgMap"], timeline: ["kzkgTimeline"], graph: ["kzkgGraph"],
    chart: ["kzkgChart"], barchart: ["kzkgChart", "bar"], linechart: ["kzkgChart", "line"],
    scatterchart: ["kzkgChart", "dot"], dotchart: ["kzkgChart", "dot"]
  };

  /** The `#defaultView:Name` comment of a query, as [plugin, option], or null. */
  function viewHint(query) {
    var match = /^\s*#\s*defaultView\s*:\s*(\w+)/im.exec(query || "");
    return match ? HINTS[match[1].toLowerCase()] || null : null;
  }

  /** The view a new result is drawn with (see the rule at the top of this file). */
  function choose(yasr, hint) {
    if (!yasr.results || yasr.results.hasError()) return null;
    if (hint && yasr.plugins[hint[0]] && yasr.plugins[hint[0]].canHandleResults()) {
      if (hint[1]) yasr.kzkgChartType = hint[1];
      return hint[0];
    }
    for (var i = 0; i < AUTO_ORDER.length; i++) {
      var plugin = yasr.plugins[AUTO_ORDER[i]];
      if (plugin && plugin.canHandleResults() && plugin.fits()) return AUTO_ORDER[i];
    }
    return yasr.plugins.table && yasr.plugins.table.canHandleResults() ? "table" : null;
  }

  // YASR draws the selected plugin; before the first draw of a new result, select the view the
  // rule picks. Only results that just came back are re-chosen (not a redraw or a tab switch).
  var originalDraw = Yasr.prototype.draw;
  Yasr.prototype.draw = function () {
    if (this.kzkgFresh && this.results) {
      var hint = this.kzkgFresh.hint;
      this.kzkgFresh = null;
      this.kzkgChartType = null;
      var chosen = choose(this, hint);
      if (chosen && chosen !== this.getSelectedPluginName()) {
        this.selectedPlugin = chosen;
        this.emit("change", this);
      }
    }
    return originalDraw.apply(this, arguments);
  };

  window.KzkgViews = {
    names: [],
    config: config,
    palette: PALETTE,
    register: function (name, plugin) {
      this.names.push(name);
      Yasr.registerPlugin(name, plugin);
    },
    /**
     * Mark every new result of every tab for the automatic choice. `sharedView` is the view a
     * shared link names (its `outputFormat`): the sharer's view wins for that link's first result.
     */
    attach: function (yasgui, sharedView) {
      var pending = sharedView ? [sharedView] : null;
      yasgui.on("queryResponse", function (_yasgui, tab) {
        var yasr = tab.getYasr();
        if (yasr) yasr.kzkgFresh = { hint: pending || viewHint(tab.getQuery()) };
        pending = null;
      });
    },
    analyse: analyse, parseDate: parseDate, shortName: shortName, localHref: localHref,
    rowLabel: rowLabel, rowSummary: rowSummary, rowLink: rowLink, point: POINT,
    svg: svg, svgText: svgText, markGroup: markGroup, niceTicks: niceTicks, timeTicks: timeTicks,
    note: note, viewHint: viewHint
  };
})();
