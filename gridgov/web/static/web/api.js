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

  function describe(result) {
    const d = result.data || {};
    let text = d.message || (result.status + "");
    if (d.details && d.details.length && d.details[0].message && d.code !== "illegal_move") {
      text += " " + d.details.map(x => (x.field ? x.field + "：" : "") + x.message).join("；");
    }
    return text;
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
