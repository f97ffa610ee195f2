/* Policy simulator: show the chosen subject's panel and the chosen service's actions, "select all",
   name suggestions from the server, an action's resource rows folded under a toggle, and "Show
   statement" opening the highlighted document.
   Plain JS; the page works without it (every panel stays visible, the boxes post as they are). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  function showOnly(selector, attribute, value) {
    document.querySelectorAll(selector).forEach(function (panel) {
      if (panel.getAttribute(attribute) === value) panel.removeAttribute("data-hidden");
      else panel.setAttribute("data-hidden", "");
    });
  }
  ready(function () {
    var form = document.getElementById("simulator-form");
    if (!form) return;
    document.body.classList.add("sim-js");

    var kinds = form.querySelectorAll("input[data-sim-kind]");
    function kindChanged() {
      var chosen = form.querySelector("input[data-sim-kind]:checked");
      showOnly(".sim-panel", "data-kind", chosen ? chosen.value : "");
    }
    kinds.forEach(function (radio) { radio.addEventListener("change", kindChanged); });
    kindChanged();

    var service = form.querySelector("select[data-sim-service]");
    function serviceChanged() { showOnly(".sim-service", "data-service", service.value); }
    if (service) { service.addEventListener("change", serviceChanged); serviceChanged(); }

    form.querySelectorAll("input[data-select-all-actions]").forEach(function (all) {
      var group = all.closest(".sim-service");
      var boxes = group.querySelectorAll('input[name="actions"]');
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
      });
      boxes.forEach(function (box) {
        box.addEventListener("change", function () { if (!box.checked) all.checked = false; });
      });
    });

    form.querySelectorAll("input[data-names-url]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var url = input.dataset.namesUrl + "&q=" + encodeURIComponent(input.value.trim());
          fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : { names: [] }; })
            .then(function (body) {
              list.replaceChildren.apply(list, (body.names || []).map(function (name) {
                var option = document.createElement("option");
                option.value = name;
                return option;
              }));
            })
            .catch(function () {});
        }, 200);
      });
    });

    // An action simulated on several resources: its resources' rows fold under a toggle.
    document.querySelectorAll("[data-sim-toggle]").forEach(function (label) {
      var group = label.dataset.simToggle;
      var rows = document.querySelectorAll('tr[data-sim-group="' + group + '"]');
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sim-toggle";
      button.textContent = label.textContent;
      button.setAttribute("aria-expanded", "false");
      rows.forEach(function (row, n) { row.id = group + "-" + (n + 1); row.setAttribute("data-hidden", ""); });
      button.setAttribute("aria-controls", Array.prototype.map.call(rows, function (row) { return row.id; }).join(" "));
      button.addEventListener("click", function () {
        var expanded = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", expanded ? "true" : "false");
        rows.forEach(function (row) {
          if (expanded) row.removeAttribute("data-hidden"); else row.setAttribute("data-hidden", "");
        });
      });
      label.replaceWith(button);
    });

    function open(anchor) {
      var target = document.getElementById(anchor);
      if (!target) return;
      document.querySelectorAll("details.sim-statement.sim-current").forEach(function (d) {
        d.classList.remove("sim-current");
      });
      target.open = true;
      target.classList.add("sim-current");
    }
    document.querySelectorAll("a.sim-show").forEach(function (link) {
      link.addEventListener("click", function () { open(link.dataset.statement); });
    });
    if (location.hash) open(location.hash.slice(1));
  });
})();
