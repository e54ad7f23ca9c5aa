/* Report a case from a phone: pick the place, add photos, submit once (an Idempotency-Key makes retries safe). */
(function () {
  "use strict";
  const gettext = window.gettext || (s => s);
  const api = window.gridgovApi;
  const form = document.getElementById("report");
  const error = document.getElementById("report-error");
  const where = document.getElementById("where");
  const el = document.getElementById("map");
  const map = L.map(el, {attributionControl: false, maxZoom: 19, zoomSnap: 0.25});
  window.__gridgovReportMap = map;
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map);
  let marker = null;
  // The grids the user may see, as the background to tap on.
  api.request("GET", "/api/v1/regions/geojson?level=grid").then(r => {
    if (!r.ok) return;
    const layer = L.geoJSON(r.data, {style: {color: "#f59e0b", weight: 1.2, fillOpacity: 0.08}}).addTo(map);
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), {animate: false});
    el.dataset.ready = "1";
  });
  function place(lat, lng) {
    form.lat.value = lat.toFixed(7);
    form.lon.value = lng.toFixed(7);
    if (marker) marker.setLatLng([lat, lng]);
    else marker = L.marker([lat, lng]).addTo(map);
    api.request("GET", `/api/v1/grids/locate?lon=${lng.toFixed(7)}&lat=${lat.toFixed(7)}`).then(r => {
      where.textContent = r.ok ? (r.data.grid ? r.data.grid.name : gettext("Not in any grid (a gap)")) : api.describe(r);
    });
  }
  map.on("click", e => place(e.latlng.lat, e.latlng.lng));
  document.getElementById("locate-me").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(p => { place(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 17); },
      () => { where.textContent = gettext("Your position is not available: tap the map instead."); });
  });
  // The photo after the fix belongs only to a case solved on the spot: shown, enabled and sent only then.
  function showAfter() {
    form.querySelector(".after").hidden = !form.self_resolved.checked;
    form.after_photos.disabled = !form.self_resolved.checked;
  }
  form.self_resolved.addEventListener("change", showAfter);
  showAfter();  // a box the browser kept ticked on "back"
  const key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  form.addEventListener("submit", e => {
    e.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    if (!form.lon.value) {
      error.textContent = gettext("Tap the map where it is, or use your position."); error.hidden = false; button.disabled = false;
      return;
    }
    let photos = [];
    api.uploadPhotos(form.photos).then(ids => {
      photos = ids;
      return form.self_resolved.checked ? api.uploadPhotos(form.after_photos) : [];
    }).then(after => {
      const body = {category: form.category.value, description: form.description.value, address: form.address.value,
                    lon: parseFloat(form.lon.value), lat: parseFloat(form.lat.value), photos: photos,
                    self_resolved: form.self_resolved.checked, after_photos: after};
      if (form.channel) {  // a dispatcher entering a 110 referral, a leader's assignment, a hotline call…
        Object.assign(body, {channel: form.channel.value, external_id: form.external_id.value,
                             reporter_name: form.reporter_name.value, reporter_phone: form.reporter_phone.value});
      }
      return api.request("POST", "/api/v1/events", body, {"Idempotency-Key": key});
    }).then(r => {
      if (r.ok) { location.href = `/cases/${r.data.id}/`; return; }
      error.textContent = api.describe(r); error.hidden = false; button.disabled = false;
    }).catch(err => { error.textContent = err.message; error.hidden = false; button.disabled = false; });
  });
})();
