/* htmx leaves a 4xx answer unswapped, so a refusal the server explained (a 403 or 422 fragment with the reason)
   would show nothing. An element marked data-swap-errors (or inside one) swaps such answers like a success; a
   5xx answer or a lost connection puts a short message in its [data-error-slot] instead. Load it on pages with
   such elements. */
(function () {
  "use strict";
  // The element that sent the request (detail.elt is the swap's target for some events).
  const source = e => (e.detail.requestConfig && e.detail.requestConfig.elt) || e.detail.elt;
  const marked = e => { const elt = source(e); return elt && elt.closest ? elt.closest("[data-swap-errors]") : null; };

  document.body.addEventListener("htmx:beforeSwap", e => {
    const status = e.detail.xhr.status;
    if (marked(e) && status >= 400 && status < 500) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  function showFailure(e) {
    const host = marked(e);
    const slot = host && host.querySelector("[data-error-slot]");
    if (!slot || (e.detail.xhr && e.detail.xhr.status < 500 && e.detail.xhr.status >= 400)) return;
    slot.textContent = slot.dataset.errorSlot;
    slot.classList.add("error");
    slot.hidden = false;
  }
  document.body.addEventListener("htmx:responseError", showFailure);
  document.body.addEventListener("htmx:sendError", showFailure);
})();
