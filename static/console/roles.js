/* The trust relationship editor: shows the fields of the chosen template and writes its trust
   policy into the JSON editor as you type (the server writes the same text on submit, so the page
   also works without JavaScript); editing the JSON by hand makes it a custom trust policy.
   Also "Add tag" on the create page. Plain JS, no build step. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // The same document as iam_portal/console/roles.py trust_policy(), key for key.
  function trustPolicy(template, fields) {
    var principal;
    if (template === "service") principal = { Service: fields.service.trim() };
    else if (template === "user") principal = { AWS: fields.userArn.trim() };
    else principal = { AWS: "arn:aws:iam::" + fields.accountId.trim() + ":root" };
    var statement = { Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" };
    var conditions = {};
    if (template === "account" || template === "user") {
      if (fields.externalId.trim()) conditions.StringEquals = { "sts:ExternalId": fields.externalId.trim() };
      if (fields.requireMfa) conditions.Bool = { "aws:MultiFactorAuthPresent": "true" };
    }
    if (Object.keys(conditions).length) statement.Condition = conditions;
    return JSON.stringify({ Version: "2012-10-17", Statement: [statement] }, null, 4);
  }

  function setUpTrustEditor(editor) {
    var form = editor.closest("form");
    var textarea = form.elements.trust_policy;
    function template() {
      var checked = form.querySelector('input[name="template"]:checked');
      return checked ? checked.value : "custom";
    }
    function showFields() {
      var current = template();
      editor.querySelectorAll("[data-for]").forEach(function (row) {
        row.hidden = row.dataset.for.split(" ").indexOf(current) === -1;
      });
    }
    function write() {
      var current = template();
      if (current === "custom") return;
      textarea.value = trustPolicy(current, {
        accountId: form.elements.account_id.value || editor.dataset.accountId,
        userArn: form.elements.user_arn.value,
        service: form.elements.service.value,
        externalId: form.elements.external_id.value,
        requireMfa: form.elements.require_mfa.checked
      });
    }
    form.querySelectorAll('input[name="template"]').forEach(function (radio) {
      radio.addEventListener("change", function () { showFields(); write(); });
    });
    ["account_id", "user_arn", "service", "external_id"].forEach(function (name) {
      form.elements[name].addEventListener("input", write);
    });
    form.elements.require_mfa.addEventListener("change", write);
    textarea.addEventListener("input", function () {
      var custom = form.querySelector('input[name="template"][value="custom"]');
      if (custom && !custom.checked) { custom.checked = true; showFields(); }
    });
    showFields();
  }

  function setUpAddRow(button) {
    var table = document.getElementById(button.dataset.addRow);
    if (!table) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = table.tBodies[0].rows;
      var row = rows[rows.length - 1].cloneNode(true);
      var n = rows.length + 1;
      row.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(n)));
      });
      table.tBodies[0].appendChild(row);
      row.querySelector("input").focus();
    });
  }

  ready(function () {
    document.querySelectorAll(".trust-editor").forEach(setUpTrustEditor);
    document.querySelectorAll("button[data-add-row]").forEach(setUpAddRow);
  });
})();
