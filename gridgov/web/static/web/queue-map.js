/* The queue on a map: one marker per case on this page (red when overdue); click to open it. */
(function () {
  "use strict";
  const el = document.getElementById("queue-map");
  const data = JSON.parse(document.getElementById("queue-markers").textContent);
  const map = L.map(el, {attributionControl: false, maxZoom: 19});
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map);
  const group = L.featureGroup().addTo(map);
  data.forEach(m => {
    L.circleMarker([m.lat, m.lon], {radius: 7, color: m.overdue ? "#dc2626" : "#1d4ed8", weight: 2, fillOpacity: 0.5})
      .bindTooltip(`${m.number} ${m.category}`).on("click", () => { location.href = `/cases/${m.id}/`; }).addTo(group);
  });
  // Grid outlines as a light background, so a place can be read without map tiles.
  fetch("/api/v1/regions/geojson?level=community", {credentials: "same-origin"}).then(r => r.json()).then(fc => {
    L.geoJSON(fc, {style: {color: "#94a3b8", weight: 1, fillOpacity: 0}}).addTo(map).bringToBack();
  });
  map.fitBounds(group.getBounds().pad(0.3), {maxZoom: 16, animate: false});
})();
