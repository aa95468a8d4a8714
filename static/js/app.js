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
