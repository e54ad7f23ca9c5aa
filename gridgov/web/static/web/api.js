/* Shared helpers for pages that call the API: JSON with the CSRF token, photo uploads, Chinese error text. */
window.gridgovApi = (function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  function request(method, url, body, headers) {
    const opts = {method, credentials: "same-origin", headers: Object.assign({"X-CSRFToken": csrf(), "Accept": "application/json"}, headers || {})};
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch(url, opts).then(r => r.json().catch(() => ({})).then(data => ({ok: r.ok, status: r.status, data})));
  }

  // The label the user reads for an API field ("description", "photos.0", "parties.1.phone"): the page's control
  // of that name (its <label>, or its aria-label / data-label), without an aside like "（选填）". "" when the page
  // has no such control: the message then stands alone, never with the API's English name.
  function ownText(label) {
    return Array.from(label.childNodes).filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join("").trim();
  }
  function fieldLabel(field) {
    const name = String(field || "").split(".")[0];
    if (!name || name === "body") return "";
    const control = document.querySelector(`[name="${window.CSS && CSS.escape ? CSS.escape(name) : name}"]`);
    if (!control) return "";
    let text = control.dataset.label || "";
    if (!text && control.labels && control.labels.length) text = ownText(control.labels[0]);
    if (!text) text = control.getAttribute("aria-label") || "";
    return text.replace(/\s*[（(][^（）()]*[）)]\s*$/, "").trim();
  }
  function line(field, message) {
    const label = fieldLabel(field);
    return label ? `${label}：${message}` : message;
  }

  // An API answer as a sentence for people: every problem it lists, each with the field's label.
  function describe(result) {
    const d = result.data || {};
    if (d.details && d.details.length && d.details[0].message && d.code !== "illegal_move") {
      return d.details.map(x => line(x.field, x.message)).join("；");
    }
    if (!d.message) return String(result.status);
    return d.field ? line(d.field, d.message) : d.message;
  }

  function uploadPhotos(input) {
    const files = input && input.files ? Array.from(input.files) : [];
    return files.reduce((chain, file) => chain.then(ids => {
      const form = new FormData();
      form.append("file", file);
      return request("POST", "/api/v1/photos", form).then(r => {
        if (!r.ok) throw new Error(describe(r));
        return ids.concat([r.data.id]);
      });
    }), Promise.resolve([]));
  }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  return {request, describe, uploadPhotos, escapeHtml};
})();
