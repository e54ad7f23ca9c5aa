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
  map.fitBounds(group.getBounds().pad(0.3), {maxZoom: 16, animate: false});
  // The grids in view as a light background, so a place can be read without map tiles.
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(6)).join(",");
  fetch(`/api/v1/regions/geojson?level=grid&bbox=${bbox}`, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
    L.geoJSON(fc, {style: {color: "#94a3b8", weight: 1, fillOpacity: 0.03},
                   onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, {sticky: true})}).addTo(map).bringToBack();
  });
})();
