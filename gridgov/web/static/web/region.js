/* A small map of one region on its detail page. */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || !window.L) return;
  const map = L.map(el, {attributionControl: false, maxZoom: 19});
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map);
  fetch(el.dataset.geometryUrl, {credentials: "same-origin"}).then(r => r.json()).then(f => {
    if (!f.geometry) { el.textContent = ""; return; }
    const layer = L.geoJSON(f, {style: {color: "#f59e0b", weight: 2, fillOpacity: 0.15}}).addTo(map);
    map.fitBounds(layer.getBounds(), {padding: [15, 15]});
  });
})();
