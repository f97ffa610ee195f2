/* Users pages: "select all" on the users list, and Show/Hide of a password shown once. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("action-toggle");
    if (toggle) {
      toggle.addEventListener("change", function () {
        document.querySelectorAll("input.action-select").forEach(function (box) {
          box.checked = toggle.checked;
          box.closest("tr").classList.toggle("selected", toggle.checked);
        });
      });
      document.querySelectorAll("input.action-select").forEach(function (box) {
        box.addEventListener("change", function () {
          box.closest("tr").classList.toggle("selected", box.checked);
        });
      });
    }
    document.querySelectorAll("button[data-reveal]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-reveal"));
      if (!target) { return; }
      button.addEventListener("click", function () {
        var hidden = target.hasAttribute("hidden");
        if (hidden) { target.removeAttribute("hidden"); } else { target.setAttribute("hidden", ""); }
        button.textContent = hidden ? "Hide" : "Show";
        button.setAttribute("aria-expanded", hidden ? "true" : "false");
      });
    });
  });
})();
