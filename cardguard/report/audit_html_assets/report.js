(function () {
  "use strict";
  var table = document.getElementById("repos");
  var filter = document.getElementById("filter");
  var severity = document.getElementById("severity");
  var profile = document.getElementById("profile");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var expandAll = document.getElementById("expand-all");
  var searchText = new Map();

  function repos() { return Array.prototype.slice.call(table.tBodies); }

  var collator = new Intl.Collator(undefined, { numeric: true });

  function sortBy(header, direction) {
    var key = header.dataset.key;
    var numeric = header.dataset.type === "number";
    var sign = direction === "ascending" ? 1 : -1;
    // Each row's key is read once, not in every comparison.
    var keyed = repos().map(function (row) {
      var value = row.dataset[key] || "";
      return { row: row, value: numeric ? Number(value) : value, name: row.dataset.repo };
    });
    keyed.sort(function (a, b) {
      var order = numeric ? a.value - b.value : collator.compare(a.value, b.value);
      return order * sign || collator.compare(a.name, b.name);
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    table.appendChild(fragment);
    table.tHead.querySelectorAll("th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction);
  }

  table.tHead.addEventListener("click", function (event) {
    var header = event.target.closest("th[data-key]");
    if (!header) { return; }
    var current = header.getAttribute("aria-sort");
    // A first click puts the most errors (or A before Z) on top; a second click reverses.
    var first = header.dataset.type === "number" ? "descending" : "ascending";
    var next = current ? (current === "ascending" ? "descending" : "ascending") : first;
    sortBy(header, next);
  });

  function textOf(row) {
    if (!searchText.has(row)) { searchText.set(row, row.textContent.toLowerCase()); }
    return searchText.get(row);
  }

  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = severity.value, wantedProfile = profile.value;
    var count = 0, rows = repos();
    rows.forEach(function (row) {
      var visible = (!wanted || row.dataset.flags.split(" ").indexOf(wanted) >= 0)
        && (!wantedProfile || row.dataset.profile === wantedProfile)
        && words.every(function (word) { return textOf(row).indexOf(word) >= 0; });
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count === rows.length ? rows.length + " repos" : count + " of " + rows.length + " repos";
    noMatch.hidden = count > 0;
  }

  function setOpen(row, open) {
    var toggle = row.querySelector("button.toggle");
    if (!toggle) { return; }
    toggle.setAttribute("aria-expanded", String(open));
    row.querySelector("tr.findings").hidden = !open;
  }

  table.addEventListener("click", function (event) {
    var toggle = event.target.closest("button.toggle");
    if (!toggle) { return; }
    var row = toggle.closest("tbody");
    setOpen(row, toggle.getAttribute("aria-expanded") !== "true");
  });

  expandAll.addEventListener("click", function () {
    var open = expandAll.textContent === "Expand all";
    repos().forEach(function (row) { if (!row.hidden) { setOpen(row, open); } });
    expandAll.textContent = open ? "Collapse all" : "Expand all";
  });

  // A click on a rule of the chart shows the repos with a finding of that rule.
  var chart = document.querySelector("ol.chart");  // absent when there is no finding
  if (chart) {
    chart.addEventListener("click", function (event) {
      var rule = event.target.closest("button.rule");
      if (!rule) { return; }
      filter.value = rule.dataset.code;
      applyFilter();
      table.scrollIntoView({ block: "start" });
    });
  }

  filter.addEventListener("input", applyFilter);
  severity.addEventListener("change", applyFilter);
  profile.addEventListener("change", applyFilter);
  sortBy(table.tHead.querySelector('th[data-key="errors"]'), "descending");
  applyFilter();  // a reload keeps the form's values: show what they select
})();
