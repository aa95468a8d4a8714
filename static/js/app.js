// Tunekeeper's small behaviours, kept out of the HTML so a strict Content-Security-Policy holds.
(function () {
  "use strict";

  // Phone layout: the main navigation folds behind a Menu button. Without this script the
  // navigation simply stays open (the button keeps its `hidden` attribute).
  function setUpNavigation() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("main-nav");
    if (!toggle || !nav) return;
    document.documentElement.classList.add("js");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      nav.classList.toggle("open", !open);
    });
  }

  // Forms marked data-warn-unsaved ask before the page is left with edits not saved (the rule
  // editor). Submitting the form itself is not "leaving".
  function setUpUnsavedWarning() {
    var dirty = new Set();
    document.addEventListener("input", function (event) {
      var form = event.target.closest && event.target.closest("form[data-warn-unsaved]");
      if (form) dirty.add(form);
    });
    document.addEventListener("change", function (event) {
      var form = event.target.closest && event.target.closest("form[data-warn-unsaved]");
      if (form) dirty.add(form);
    });
    document.querySelectorAll("form[data-warn-unsaved][data-dirty]").forEach(function (form) {
      dirty.add(form);
    });
    // Saving is a plain submit of the form (its live preview is an HTMX request, not a save).
    document.addEventListener("submit", function (event) {
      dirty.delete(event.target);
    });
    window.addEventListener("beforeunload", function (event) {
      var pending = false;
      dirty.forEach(function (form) { if (document.body.contains(form)) pending = true; });
      if (pending) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpNavigation();
    setUpUnsavedWarning();
  });
})();

// Narrow screens show each table row as a card: every cell gets its column's heading as a label
// (data-label, shown by the stylesheet). Run again after HTMX swaps new rows in.
(function () {
  "use strict";
  function label(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!heads.length) return;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && heads[column] !== undefined) {
            cell.setAttribute("data-label", heads[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:afterSettle", function (event) { label(event.detail.elt.closest("table") || event.detail.elt); });
})();

// Tunekeeper's only script besides htmx: behaviour that would otherwise be inline attributes,
// which the Content-Security-Policy forbids (core/headers.py).
(function () {
  "use strict";

  // <input data-autosubmit>: submit its form when it changes (the blocklist's "enforce
  // automatically" checkbox).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-autosubmit]") && target.form) {
      if (target.form.requestSubmit) {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });

  // hx-target elements marked data-swap-409: a 409 answer (e.g. "a sync is already running")
  // is shown like a normal answer instead of being dropped as an error.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.elt || (event.detail.requestConfig && event.detail.requestConfig.elt);
    if (event.detail.xhr.status === 409 && source && source.closest("[data-swap-409]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
