/* The citizen's report form: a pin on a map of the scanned grid and the grids around it (our own outlines, no tiles
   needed). The pin follows "use my position", a tap, or a drag; each place is checked against the grids, and a place
   in no grid keeps the form from being sent, so nothing typed (photos included) is lost. A position the server
   refused comes back on the pin, to be moved. */
(function () {
  "use strict";
  const gettext = window.gettext || (s => s);
  const interpolate = window.interpolate || ((s, a) => s.replace("%s", a[0]));
  const form = document.getElementById("citizen");
  const el = document.getElementById("map");
  const note = document.getElementById("here-note");
  const useGrid = document.getElementById("use-grid");
  const map = L.map(el, {attributionControl: !!el.dataset.tileUrl, maxZoom: 19, zoomSnap: 0.25});
  window.__gridgovCitizenMap = map;  // for the browser tests, as the other maps
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {maxZoom: 19, attribution: el.dataset.tileAttribution || ""}).addTo(map);
  }
  let marker = null, outside = false, asked = 0, home = null, area = null;

  function say(text, bad) {
    note.textContent = text;
    note.classList.toggle("error", !!bad);
    note.classList.toggle("muted", !bad);
  }

  function ask(latlng) {  // which grid is it in? the last answer wins
    const n = ++asked;
    const url = `${el.dataset.where}?lon=${latlng.lng.toFixed(7)}&lat=${latlng.lat.toFixed(7)}`;
    return fetch(url, {headers: {"Accept": "application/json"}}).then(r => r.ok ? r.json() : null).then(d => {
      if (n !== asked) return;
      outside = !d || !d.grid;
      if (!outside) { say(interpolate(gettext("The pin is in %s."), [d.grid]), false); return; }
      if (home && area && !area.contains(latlng)) {  // far away (another city): start again from this grid
        map.fitBounds(home.getBounds(), {animate: false});
        return place(home.getCenter()).then(() => say(gettext(
          "Your position is not in this district. The pin is now in this grid: drag it to where the problem is."), false));
      }
      say(gettext("This place is not in any grid of the district: move the pin to where the problem is."), true);
    });
  }

  function place(latlng) {
    const refused = form.querySelector("[data-error-for=lon]");  // the server's word on the old place
    if (refused) refused.remove();
    form.lon.value = latlng.lng.toFixed(7);
    form.lat.value = latlng.lat.toFixed(7);
    if (marker) marker.setLatLng(latlng);
    else {
      marker = L.marker(latlng, {draggable: true, autoPan: true, title: gettext("Where the problem is")}).addTo(map);
      marker.on("dragend", () => place(marker.getLatLng()));
    }
    useGrid.hidden = false;
    return ask(latlng);
  }

  fetch(el.dataset.grids, {headers: {"Accept": "application/json"}}).then(r => r.json()).then(fc => {
    const layer = L.geoJSON(fc, {
      style: f => f.properties.home ? {color: "#1d4ed8", weight: 3, fillOpacity: 0.1}
                                    : {color: "#f59e0b", weight: 1.2, fillOpacity: 0.04},
      onEachFeature: (f, l) => { l.bindTooltip(f.properties.name, {sticky: true}); if (f.properties.home) home = l; },
    }).addTo(map);
    area = layer.getBounds().pad(0.5);
    map.fitBounds((home || layer).getBounds(), {animate: false, padding: [10, 10]});
    if (form.lon.value && form.lat.value) {  // a position typed before, or one the server refused
      const at = L.latLng(parseFloat(form.lat.value), parseFloat(form.lon.value));
      place(at);
      if (area.contains(at)) map.setView(at, Math.max(map.getZoom(), 16), {animate: false});
    }
    el.dataset.ready = "1";
  });

  map.on("click", e => place(e.latlng));
  document.getElementById("here").addEventListener("click", () => {
    if (!navigator.geolocation) { say(gettext("Your position is not available: tap the map instead."), true); return; }
    navigator.geolocation.getCurrentPosition(p => {
      const at = L.latLng(p.coords.latitude, p.coords.longitude);
      map.setView(at, 17, {animate: false});
      place(at);
    }, () => say(gettext("Your position is not available: tap the map instead."), true));
  });
  useGrid.addEventListener("click", () => {
    form.lon.value = form.lat.value = "";
    if (marker) { map.removeLayer(marker); marker = null; }
    outside = false; asked++;
    useGrid.hidden = true;
    if (home) map.fitBounds(home.getBounds(), {animate: false});
    say(gettext("The report goes to this grid."), false);
  });
  form.addEventListener("submit", e => {
    if (!outside) return;
    e.preventDefault();
    say(gettext("This place is not in any grid of the district: move the pin to where the problem is."), true);
    el.scrollIntoView({block: "center"});
  });
})();
