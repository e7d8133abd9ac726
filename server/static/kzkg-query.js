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
    yasr: { prefixes: config.prefixes }
  });
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

  document.querySelectorAll("a.example[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openExample(link.dataset.example, true);
      history.replaceState(null, "", link.getAttribute("href"));
      document.getElementById("query").scrollIntoView({ behavior: "smooth" });
    });
  });
  if (config.explicit && config.selected) openExample(config.selected, false);

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
