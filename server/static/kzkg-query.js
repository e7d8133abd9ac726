// The kzkg query page: YASGUI (from node_modules, served by this server) wired to this server's
// /sparql, with the named example queries, our predeclared prefixes for completion, and no
// remote calls: the LOV class/property completers and the prefix.cc lookup stay off.
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
      autocompleters: ["variables", "kzkgPrefixes"],
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
