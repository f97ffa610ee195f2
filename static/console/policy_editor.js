/* The policy editor: line numbers beside the JSON textarea, and the policy engine's findings (with
   line and column) shown as you type, from POST policies/validate/. Plain JS, no build step.
   Without it the form still works: the server checks the document when it is saved. */
(function () {
  "use strict";

  var TABS = [
    ["SECURITY_WARNING", "Security"],
    ["ERROR", "Errors"],
    ["WARNING", "Warnings"],
    ["SUGGESTION", "Suggestions"]
  ];
  var LABELS = {
    ERROR: "Error",
    SECURITY_WARNING: "Security warning",
    WARNING: "Warning",
    SUGGESTION: "Suggestion"
  };
  var PAUSE_MS = 400; // check after a pause in typing, not at every key

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // The engine counts lines and columns from 1, in characters, lines ending at "\n".
  function offsetOf(text, line, column) {
    var offset = 0;
    for (var l = 1; l < line; l++) {
      var next = text.indexOf("\n", offset);
      if (next === -1) return text.length;
      offset = next + 1;
    }
    return Math.min(offset + Math.max(column - 1, 0), text.length);
  }

  function lineHeight(textarea) {
    var value = parseFloat(window.getComputedStyle(textarea).lineHeight);
    return isNaN(value) ? 18 : value;
  }

  function addGutter(textarea) {
    var frame = textarea.parentElement;
    var gutter = document.createElement("pre");
    gutter.className = "policy-editor-gutter";
    gutter.setAttribute("aria-hidden", "true"); // screen readers get line numbers from the findings
    frame.classList.add("with-gutter");
    frame.insertBefore(gutter, textarea);
    textarea.setAttribute("wrap", "off"); // one text line per number
    var shown = 0;
    function update() {
      var lines = textarea.value.split("\n").length;
      if (lines !== shown) {
        var out = [];
        for (var i = 1; i <= lines; i++) out.push(i);
        gutter.textContent = out.join("\n") + "\n";
        shown = lines;
      }
      gutter.scrollTop = textarea.scrollTop;
    }
    textarea.addEventListener("input", update);
    textarea.addEventListener("scroll", function () { gutter.scrollTop = textarea.scrollTop; });
    update();
  }

  function goTo(textarea, line, column) {
    var start = offsetOf(textarea.value, line, column);
    textarea.focus();
    textarea.setSelectionRange(start, Math.min(start + 1, textarea.value.length));
    textarea.scrollTop = Math.max(0, (line - 3) * lineHeight(textarea));
  }

  function render(pane, textarea, data) {
    var list = pane.querySelector(".findings");
    var summary = pane.querySelector(".findings-summary");
    var counts = data.counts || {};
    list.textContent = "";
    summary.textContent = TABS.map(function (tab) {
      return tab[1] + ": " + (counts[tab[0]] || 0);
    }).join(" · ");
    pane.classList.toggle("has-errors", (counts.ERROR || 0) > 0);
    if (!data.findings.length) {
      var ok = document.createElement("li");
      ok.className = "finding finding-none";
      ok.textContent = "No findings: the policy is valid.";
      list.appendChild(ok);
      return;
    }
    data.findings.forEach(function (finding) {
      var item = document.createElement("li");
      item.className = "finding finding-" + finding.severity.toLowerCase().replace("_", "-");
      var badge = document.createElement("span");
      badge.className = "severity";
      badge.textContent = LABELS[finding.severity] || finding.severity;
      item.appendChild(badge);
      if (finding.line) {
        var where = document.createElement("button");
        where.type = "button";
        where.className = "finding-location";
        where.textContent = "Ln " + finding.line + ", Col " + finding.column;
        where.setAttribute("aria-label", "Go to line " + finding.line + ", column " + finding.column);
        where.addEventListener("click", function () { goTo(textarea, finding.line, finding.column); });
        item.appendChild(where);
      }
      var message = document.createElement("span");
      message.className = "finding-message";
      message.textContent = finding.message + (finding.path ? " (" + finding.path + ")" : "");
      item.appendChild(message);
      list.appendChild(item);
    });
  }

  function setUp(pane) {
    var textarea = document.getElementById(pane.getAttribute("data-editor"));
    if (!textarea) return;
    var summary = pane.querySelector(".findings-summary");
    var list = pane.querySelector(".findings");
    var timer = null;
    var controller = null;
    var sent = 0;
    pane.hidden = false;
    addGutter(textarea);

    function unavailable(text) {
      list.textContent = "";
      summary.textContent = text;
    }

    function validate() {
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var mine = ++sent;
      var body = new URLSearchParams();
      body.set("policy_document", textarea.value);
      body.set("policy_type", pane.getAttribute("data-policy-type") || "IDENTITY_POLICY");
      var resourceType = pane.getAttribute("data-resource-type");
      if (resourceType) body.set("validate_policy_resource_type", resourceType);
      fetch(pane.getAttribute("data-validate-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(textarea.form), Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error(response.redirected ? "signed-out" : "unavailable");
        }
        return response.json();
      }).then(function (data) {
        if (mine !== sent) return; // an older answer arriving late
        if (data.error) unavailable(data.error.code + ": " + data.error.message);
        else render(pane, textarea, data);
      }).catch(function (error) {
        if (error.name === "AbortError" || mine !== sent) return;
        unavailable(error.message === "signed-out"
          ? "Your session has ended: sign in again to check the policy."
          : "The policy could not be checked just now; it is checked again when you save.");
      });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(validate, PAUSE_MS);
    });

    var format = pane.querySelector(".format-json");
    if (format) {
      format.addEventListener("click", function () {
        try {
          textarea.value = JSON.stringify(JSON.parse(textarea.value), null, 4);
        } catch (e) {
          summary.textContent = "Fix the JSON syntax error first: the findings say where it is.";
          return;
        }
        textarea.dispatchEvent(new Event("input"));
      });
    }
    validate();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".policy-findings[data-validate-url]"), setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
