/* User groups and roles pages: filter a table of choices by name, select all rows. Plain JS; every
   page works without it (the filter boxes stay hidden). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    document.querySelectorAll("input[data-filter]").forEach(function (input) {
      var table = document.getElementById(input.dataset.filter);
      if (!table) return;
      var holder = input.closest("[hidden]");
      if (holder) holder.hidden = false;
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (row) {
          row.hidden = needle !== "" && (row.dataset.name || "").indexOf(needle) === -1;
        });
      });
    });
    document.querySelectorAll("input[data-select-all]").forEach(function (box) {
      var name = box.dataset.selectAll;
      box.addEventListener("change", function () {
        box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
          other.checked = box.checked;
        });
      });
    });
  });
})();
