// The kzkg query page: YASGUI (from node_modules, served by this server) wired to this server's
// /sparql, with the named example queries, our predeclared prefixes for completion, and no
// remote calls: the LOV class/property completers are replaced by ones that ask our own endpoint,
// and the prefix.cc lookup stays off (our prefixes, then YASQE's bundled list).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("kzkg-config").textContent);
  var root = document.getElementById("yasgui");
  if (!root) return;
  if (typeof Yasgui === "undefined") {
    document.getElementById("yasgui-failed").classList.remove("hidden");
    return;
  }
  var endpoint = new URL(config.sparql, document.baseURI).href;

  // The address decides what the editor opens, and the editor and its results always agree:
  // - `#query=<text>` (YASGUI's share link) wins: that query is shown and run, and an `?example=`
  //   beside it is dropped from the address (a link cannot show one query's text and another's
  //   results, and a reload must not switch to the example);
  // - otherwise `?example=<slug>` opens that example in its tab and runs it;
  // - a bare anchor (`#query`, the examples' links) only scrolls to the editor. YASGUI would read it
  //   as a share link with an empty query and crash (issue #14), so it is taken off the address
  //   before YASGUI starts and put back after.
  var fragment = new URLSearchParams(location.hash.slice(1));
  var sharedQuery = !!fragment.get("query");
  var anchor = sharedQuery ? "" : location.hash;
  if (sharedQuery && config.explicit) {
    var cleaned = new URL(location.href);
    cleaned.searchParams.delete("example");
    history.replaceState(null, "", cleaned.pathname + cleaned.search + cleaned.hash);
  } else if (!sharedQuery && location.hash) {
    history.replaceState(null, "", location.pathname + location.search);
  }
  var Yasqe = Yasgui.Yasqe;

  // Prefix completion: ours first, then the list bundled in YASQE (no prefix.cc request: prefixCcApi
  // stays null). Not cached in localStorage, so a changed prefix list shows at once.
  var ours = Object.keys(config.prefixes).map(function (p) { return p + ": <" + config.prefixes[p] + ">"; });
  var ourNames = new Set(Object.keys(config.prefixes).map(function (p) { return p + ":"; }));
  Yasqe.forkAutocompleter("prefixes", {
    name: "kzkgPrefixes",
    persistenceId: function () { return undefined; },
    get: function (yasqe, token) {
      return Promise.resolve(Yasqe.Autocompleters.prefixes.get(yasqe, token)).then(function (bundled) {
        return ours.concat((bundled || []).filter(function (s) { return !ourNames.has(s.split(" ")[0]); }));
      });
    }
  }, false);

  // Class and property completion from this server's own graph instead of the LOV web service:
  // same token handling as YASQE's LOV completers, but the terms come from our /sparql.
  var TERM_QUERIES = {
    class: "SELECT DISTINCT ?t WHERE { { ?t a owl:Class } UNION { ?t a rdfs:Class } UNION { [] a ?t } ",
    property: "SELECT DISTINCT ?t WHERE { { ?t a owl:ObjectProperty } UNION { ?t a owl:DatatypeProperty } " +
      "UNION { ?t a rdf:Property } UNION { [] ?t [] } "
  };
  function localTerms(kind) {
    return function (yasqe, token) {
      if (!token || !token.autocompletionString) return Promise.resolve([]);
      var query = "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n" +
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" +
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n" + TERM_QUERIES[kind] +
        "FILTER(isIRI(?t) && STRSTARTS(STR(?t), " + JSON.stringify(token.autocompletionString) + ")) } " +
        "ORDER BY ?t LIMIT 50";
      return fetch(endpoint, {
        method: "POST",
        headers: { "Accept": "application/sparql-results+json",
                   "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: query })
      }).then(function (response) {
        if (!response.ok) throw new Error("completion query failed: " + response.status);
        return response.json();
      }).then(function (json) {
        return json.results.bindings.map(function (b) { return b.t.value; });
      }).catch(function () { return []; });
    };
  }
  Yasqe.forkAutocompleter("class", { name: "kzkgClasses", get: localTerms("class") }, false);
  Yasqe.forkAutocompleter("property", { name: "kzkgProperties", get: localTerms("property") }, false);
  // YASGUI merges its defaults into our config index by index, so the default list (which holds the
  // LOV completers) is replaced at the source rather than in the config.
  var completers = ["variables", "kzkgPrefixes", "kzkgClasses", "kzkgProperties"];
  Yasqe.defaults.autocompleters = completers.slice();
  Yasgui.defaults.yasqe.autocompleters = completers.slice();

  var examples = {};
  config.examples.forEach(function (e) { examples[e.slug] = e; });
  var firstQuery = config.examples.length ? config.examples[0].sparql :
    "SELECT * WHERE { ?s ?p ?o } LIMIT 10";

  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    autofocus: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    yasqe: {
      value: firstQuery,
      autocompleters: completers.slice(),
      prefixCcApi: null,
      editorHeight: "320px"
    },
    yasr: { prefixes: config.prefixes, pluginOrder: ["table", "response"].concat(KzkgViews.names) }
  });
  KzkgViews.attach(yasgui, sharedQuery ? fragment.get("outputFormat") : null);
  window.kzkgYasgui = yasgui;  // for the browser tests and the console

  // Tabs restored from localStorage may point at another port or host: point them all here.
  Object.keys(yasgui._tabs).forEach(function (id) {
    var tab = yasgui.getTab(id);
    if (tab && tab.getEndpoint() !== endpoint) tab.setEndpoint(endpoint);
  });

  function openExample(slug, run) {
    var example = examples[slug];
    if (!example) return;
    var tab = null;
    Object.keys(yasgui._tabs).forEach(function (id) {
      var candidate = yasgui.getTab(id);
      if (candidate && candidate.getName() === example.title) tab = candidate;
    });
    if (tab) {
      yasgui.selectTabId(tab.getId());
      tab.setQuery(example.sparql);
    } else {
      tab = yasgui.addTab(true, { name: example.title, yasqe: { value: example.sparql } });
    }
    tab.setEndpoint(endpoint);
    if (run) tab.query().catch(function () {});
  }

  function markCurrent(slug) {
    document.querySelectorAll(".example-list li").forEach(function (li) {
      var link = li.querySelector("a.example");
      li.classList.toggle("current", !!link && link.dataset.example === slug);
    });
  }

  document.querySelectorAll("a.example[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openExample(link.dataset.example, true);
      markCurrent(link.dataset.example);
      history.replaceState(null, "", link.getAttribute("href"));
      document.getElementById("query").scrollIntoView({ behavior: "smooth" });
    });
  });
  var asked = new URLSearchParams(location.search).get("example");
  if (asked && !sharedQuery) {
    if (examples[asked]) {
      openExample(asked, true);
      markCurrent(asked);
    } else {  // say so rather than open another example in its place
      var missing = document.getElementById("example-missing");
      missing.textContent = "There is no example query named \u201c" + asked + "\u201d; the examples are listed beside the editor.";
      missing.classList.remove("hidden");
    }
  }
  if (anchor) {
    history.replaceState(null, "", location.pathname + location.search + anchor);
    var target = document.getElementById(anchor.slice(1));
    if (target) target.scrollIntoView();
  }

  // On a phone the examples start folded, so the editor is on the first screen.
  var box = document.getElementById("examples-box");
  if (box && window.matchMedia("(max-width: 820px)").matches) box.open = false;

  // The example list is searchable: every word typed must occur in a title or description.
  var filter = document.getElementById("example-filter");
  if (filter) {
    filter.classList.remove("hidden");
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      document.querySelectorAll(".example-list li").forEach(function (li) {
        var text = li.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) >= 0; });
        li.classList.toggle("hidden", !match);
        if (match) shown += 1;
      });
      document.getElementById("example-none").classList.toggle("hidden", shown > 0);
    });
  }

  // IRIs in results are links; ours resolve on this server, so point them here rather than at
  // w3id.org (which redirects back here anyway, but not when offline).
  function localise(scope) {
    scope.querySelectorAll("a[href^='" + config.resourceBase + "']").forEach(function (a) {
      a.setAttribute("href", config.resourcePath + a.getAttribute("href").slice(config.resourceBase.length));
      a.removeAttribute("target");
    });
  }
  new MutationObserver(function () { localise(root); }).observe(root, { childList: true, subtree: true });
})();
