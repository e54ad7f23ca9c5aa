/* The case page: a small map, and the moves this user may make (through the API's one gatekeeper). */
(function () {
  "use strict";
  const gettext = window.gettext || (s => s);
  const api = window.gridgovApi;
  const el = document.getElementById("map");
  if (el && window.L) {
    const map = L.map(el, {attributionControl: false, maxZoom: 19});
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map);
    const at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    L.circleMarker(at, {radius: 8, color: "#dc2626", weight: 3, fillOpacity: 0.4}).addTo(map);
    map.setView(at, 16);
    if (el.dataset.grid) {  // the case's grid as context (plain background when no tiles are configured)
      fetch(`/api/v1/regions/${el.dataset.grid}/geometry`, {credentials: "same-origin"}).then(r => r.ok ? r.json() : null).then(f => {
        if (!f || !f.geometry) return;
        const grid = L.geoJSON(f, {style: {color: "#f59e0b", weight: 2, fillOpacity: 0.08}}).addTo(map);
        grid.bindTooltip(f.properties.name, {sticky: true});
        map.fitBounds(grid.getBounds().extend(at), {maxZoom: 17, padding: [15, 15], animate: false});
      });
    }
  }
  const form = document.getElementById("act");
  if (!form) return;
  const error = document.getElementById("act-error");
  let clicked = null, withPhotos = false;
  form.querySelectorAll("button[data-action]").forEach(b => b.addEventListener("click", () => {
    clicked = b.dataset.action; withPhotos = b.dataset.photos === "1";
  }));
  form.addEventListener("submit", e => {
    e.preventDefault();
    if (!clicked) return;
    const buttons = form.querySelectorAll("button");
    buttons.forEach(b => { b.disabled = true; });
    error.hidden = true;
    const body = {version: parseInt(form.dataset.version, 10), reason: form.reason ? form.reason.value : ""};
    if (form.lead_department && form.lead_department.value) body.lead_department = parseInt(form.lead_department.value, 10);
    if (form.satisfaction) body.satisfaction = form.satisfaction.value;
    if (form.amount) body.amount = parseFloat(form.amount.value);
    if (form.reject_reason) body.reject_reason = form.reject_reason.value;
    (withPhotos ? api.uploadPhotos(form.photos) : Promise.resolve([])).then(ids => {  // photos go with their moves only
      body.photos = ids;
      return api.request("POST", `/api/v1/events/${form.dataset.event}/actions/${clicked}`, body);
    }).then(r => {
      if (r.ok) { location.reload(); return; }
      error.textContent = api.describe(r) + (r.status === 409 ? " " + gettext("Reload the page to see the latest state.") : "");
      error.hidden = false;
      buttons.forEach(b => { b.disabled = false; });
    }).catch(err => {
      error.textContent = err.message; error.hidden = false;
      buttons.forEach(b => { b.disabled = false; });
    });
  });
})();
