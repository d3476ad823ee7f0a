/* Make every plain Markdown table of the site with two rows or more sortable by its headers.
 * Runs on each page view (mkdocs-material's document$ also fires after instant navigation). */
(function () {
  function sortTables() {
    if (typeof Tablesort === "undefined") {
      return; /* tablesort not installed: tables stay in their published order */
    }
    document.querySelectorAll("article table:not([class])").forEach(function (table) {
      var body = table.tBodies[0];
      if (!body || body.rows.length < 2) {
        return; /* nothing to reorder: no sort arrows on one-row summaries */
      }
      if (!table.dataset.govsiteSortable) {
        table.dataset.govsiteSortable = "1";
        new Tablesort(table);
      }
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(sortTables);
  } else {
    document.addEventListener("DOMContentLoaded", sortTables);
  }
})();
