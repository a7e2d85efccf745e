/* The report's own script: the matrix filter and the governance pictures. No network. */
(function () {
  "use strict";

  function filterMatrix() {
    var table = document.getElementById("matrix");
    if (!table) { return; }
    var body = document.getElementById("filter-body").value;
    var kind = document.getElementById("filter-kind").value;
    var words = document.getElementById("filter-search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var allowed = document.getElementById("filter-allowed").checked;
    var rows = table.querySelectorAll("tr.actor-row");
    var shown = 0;
    var kinds = {};
    rows.forEach(function (row) {
      var name = row.getAttribute("data-name");
      var visible = (!body || row.getAttribute("data-bodies").indexOf(" " + body + " ") >= 0) &&
        (!kind || row.getAttribute("data-kind") === kind) &&
        (!allowed || row.getAttribute("data-allowed") === "yes") &&
        words.every(function (w) { return name.indexOf(w) >= 0; });
      row.hidden = !visible;
      if (visible) { shown += 1; kinds[row.getAttribute("data-kind")] = true; }
    });
    table.querySelectorAll("tr.group").forEach(function (row) {
      row.hidden = !kinds[row.getAttribute("data-kind")];
    });
    var count = document.getElementById("filter-count");
    count.textContent = count.getAttribute("data-template")
      .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
  }

  function setUpFilter() {
    var form = document.getElementById("matrix-filter");
    if (!form) { return; }
    ["filter-body", "filter-kind", "filter-allowed"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", filterMatrix);
    });
    document.getElementById("filter-search").addEventListener("input", filterMatrix);
    var query = new URLSearchParams(window.location.search);
    if (query.get("body")) { document.getElementById("filter-body").value = query.get("body"); }
    filterMatrix();
  }

  function drawGraphs() {
    if (!document.querySelector(".mermaid")) { document.body.setAttribute("data-graphs", "none"); return; }
    if (!window.mermaid) { document.body.setAttribute("data-graphs", "failed"); return; }
    window.mermaid.initialize({
      startOnLoad: false, securityLevel: "strict", theme: "default",
      flowchart: { htmlLabels: false, useMaxWidth: true }, maxEdges: 500
    });
    window.mermaid.run({ querySelector: ".mermaid" }).then(function () {
      document.body.setAttribute("data-graphs", "drawn");
    }, function (err) {
      document.body.setAttribute("data-graphs", "failed");
      console.warn("the governance graph could not be drawn", err);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpFilter();
    drawGraphs();
  });
}());
