/* The grid map: draws the region tree and the grid layers with Leaflet, with no internet needed. */
(function () {
  "use strict";
  const gettext = window.gettext || (s => s);
  const el = document.getElementById("map");
  const LEVELS = [
    {level: "district", label: gettext("district"), color: "#1e3a8a", weight: 3, fill: 0.0, on: true},
    {level: "street", label: gettext("street / town"), color: "#2563eb", weight: 2.5, fill: 0.0, on: true},
    {level: "community", label: gettext("community / village"), color: "#16a34a", weight: 2, fill: 0.04, on: true},
    {level: "grid", label: gettext("grid"), color: "#f59e0b", weight: 1.2, fill: 0.12, on: true, minZoom: 0},
    {level: "micro", label: gettext("micro-grid"), color: "#db2777", weight: 1, fill: 0.05, on: false},
    {level: "special", label: gettext("special grid"), color: "#7c3aed", weight: 1.5, fill: 0.3, on: true},
  ];
  const map = L.map(el, {preferCanvas: true, zoomControl: true, minZoom: 3, maxZoom: 19, zoomSnap: 0.25,
                         attributionControl: !!el.dataset.tileUrl});
  window.__gridgovMap = map;
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {maxZoom: 19, attribution: el.dataset.tileAttribution || ""}).addTo(map);
  }
  const groups = {};
  const highlight = L.geoJSON(null, {style: {color: "#dc2626", weight: 4, fillOpacity: 0.08}}).addTo(map);
  let fitted = false;

  function api(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(r => {
      if (!r.ok) return r.json().then(body => { throw new Error(body.message || r.statusText); });
      return r.json();
    });
  }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  let asOf = "";

  function loadLevel(spec) {
    if (groups[spec.level]) map.removeLayer(groups[spec.level]);
    const group = L.geoJSON(null, {
      style: () => ({color: spec.color, weight: spec.weight, fillColor: spec.color, fillOpacity: spec.fill}),
      onEachFeature: (feature, layer) => {
        if (spec.level === "grid" || spec.level === "special" || spec.level === "community") {
          layer.bindTooltip(escapeHtml(feature.properties.name), {sticky: true});
        }
      },
    });
    groups[spec.level] = group;
    if (spec.on) group.addTo(map);
    const when = asOf ? "&as_of=" + encodeURIComponent(asOf) : "";
    return api("/api/v1/regions/geojson?level=" + spec.level + when).then(fc => {
      group.addData(fc);
      return fc.features.length;
    });
  }

  function legend() {
    const ul = document.getElementById("levels");
    LEVELS.forEach(spec => {
      const li = document.createElement("li");
      li.innerHTML = `<label><input type="checkbox" ${spec.on ? "checked" : ""} data-level="${spec.level}"> ` +
        `<span class="swatch" style="border-color:${spec.color}"></span> ${escapeHtml(spec.label)}</label>`;
      ul.appendChild(li);
    });
    ul.addEventListener("change", e => {
      const spec = LEVELS.find(l => l.level === e.target.dataset.level);
      if (spec) spec.on = e.target.checked;  // remembered when the date changes and levels reload
      const g = groups[e.target.dataset.level];
      if (!g) return;
      e.target.checked ? g.addTo(map) : map.removeLayer(g);
    });
    document.getElementById("layers").addEventListener("change", e => {
      const code = e.target.dataset.layer;
      if (!code) return;
      if (!groups["layer:" + code]) {
        const color = e.target.dataset.color;
        groups["layer:" + code] = L.geoJSON(null, {
          style: {color: color, weight: 2, dashArray: "6 4", fillColor: color, fillOpacity: 0.06},
          onEachFeature: (f, layer) => layer.bindTooltip(escapeHtml(f.properties.name), {sticky: true}),
        });
        api(`/api/v1/layers/${encodeURIComponent(code)}/geojson`).then(fc => groups["layer:" + code].addData(fc));
      }
      e.target.checked ? groups["layer:" + code].addTo(map) : map.removeLayer(groups["layer:" + code]);
    });
  }

  function showPlace(lat, lng) {
    const box = document.getElementById("place");
    box.innerHTML = `<p class="muted">${escapeHtml(gettext("Looking up…"))}</p>`;
    api(`/api/v1/grids/locate?lon=${lng.toFixed(7)}&lat=${lat.toFixed(7)}`).then(found => {
      const chain = found.ancestors.map(a => escapeHtml(a.name)).join(" › ");
      const target = found.grid || found.ancestors[found.ancestors.length - 1];
      let html = `<h3>${escapeHtml(found.grid ? found.grid.name : gettext("Not in any grid (a gap)"))}</h3>` +
        `<div class="crumbs">${chain}</div>`;
      if (found.layer_grids.length) {
        html += `<div><strong>${escapeHtml(gettext("Other layers here"))}</strong><ul>` +
          found.layer_grids.map(g => `<li>${escapeHtml(g.layer_name)}: ${escapeHtml(g.name)}</li>`).join("") + "</ul></div>";
      }
      html += `<div id="responsible" class="muted">${escapeHtml(gettext("Loading the people responsible…"))}</div>`;
      box.innerHTML = html;
      if (!target) return;
      api(`/api/v1/regions/${target.id}`).then(d => {
        const people = d.workers.concat(d.staff.filter(s => !d.workers.some(w => w.id === s.id)));
        let inner = `<div><strong>${escapeHtml(gettext("People responsible"))}</strong><ul>` +
          (people.length ? people.map(p => `<li>${escapeHtml(p.name)} · ${escapeHtml(p.role_label)} <span class="muted">${escapeHtml(p.phone)}</span></li>`).join("")
                         : `<li class="muted">${escapeHtml(gettext("Nobody is assigned yet."))}</li>`) + "</ul></div>";
        inner += `<div>${escapeHtml(gettext("Households"))}: ${d.households} · ${escapeHtml(gettext("Population"))}: ${d.population}</div>`;
        inner += `<p><a href="/regions/${d.id}/">${escapeHtml(gettext("Details and history"))} →</a></p>`;
        const r = document.getElementById("responsible");
        r.className = ""; r.innerHTML = inner;
      }).catch(err => { document.getElementById("responsible").textContent = err.message; });
    }).catch(err => { box.innerHTML = `<p>${escapeHtml(err.message)}</p>`; });
  }

  function search() {
    const input = document.getElementById("q");
    const results = document.getElementById("results");
    let timer = null;
    const run = () => {
      const q = input.value.trim();
      if (!q) { results.innerHTML = ""; return; }
      api(`/api/v1/regions?q=${encodeURIComponent(q)}&page_size=20`).then(page => {
        results.innerHTML = page.items.length ? "" : `<li class="muted">${escapeHtml(gettext("Nothing found in your area."))}</li>`;
        page.items.forEach(r => {
          const li = document.createElement("li");
          li.innerHTML = `${escapeHtml(r.name)} <span class="muted">${escapeHtml(r.level_label)} · ${escapeHtml(r.code)}</span>`;
          li.addEventListener("click", () => focusRegion(r.id));
          results.appendChild(li);
        });
      });
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 250); });
    document.getElementById("search").addEventListener("submit", e => { e.preventDefault(); run(); });
  }

  function focusRegion(id) {
    api(`/api/v1/regions/${id}/geometry`).then(f => {
      highlight.clearLayers();
      highlight.addData(f);
      if (highlight.getBounds().isValid()) map.fitBounds(highlight.getBounds(), {maxZoom: 17, padding: [20, 20]});
      const c = highlight.getBounds().getCenter();
      showPlace(c.lat, c.lng);
    });
  }

  // #zoom/lat/lon centres the map; #zoom/lat/lon/pin also marks that point and says where it is (links from an
  // anomaly's evidence to a position use it).
  function hashView() {
    const m = location.hash.match(/^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)(\/pin)?$/);
    if (!m) return false;
    map.setView([+m[2], +m[3]], +m[1]);
    fitted = true;
    if (m[4]) {
      if (!map.getPane("pin")) map.createPane("pin").style.zIndex = 650;  // above the grids drawn later
      L.circleMarker([+m[2], +m[3]], {pane: "pin", radius: 9, color: "#b91c1c", weight: 3, fillColor: "#fecaca",
                                      fillOpacity: 0.9}).addTo(map);
      showPlace(+m[2], +m[3]);
    }
    return true;
  }

  function loadAll() {
    el.dataset.loaded = "";
    delete el.dataset.loaded;
    return Promise.all(LEVELS.map(loadLevel)).then(counts => {
      el.dataset.loaded = counts.reduce((a, b) => a + b, 0);
      return counts;
    });
  }

  function historyPicker() {
    const input = document.getElementById("as-of");
    const note = document.getElementById("as-of-note");
    // input.max is today in Asia/Shanghai, written by the server: the browser's clock may be wrong, and its UTC
    // date is still yesterday until 08:00.
    input.addEventListener("change", () => { asOf = input.value; note.hidden = !asOf; loadAll(); });
    document.getElementById("as-of-clear").addEventListener("click", () => {
      input.value = ""; asOf = ""; note.hidden = true; loadAll();
    });
  }

  map.on("click", e => showPlace(e.latlng.lat, e.latlng.lng));
  map.on("moveend", () => {
    const c = map.getCenter();
    history.replaceState(null, "", `#${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  });
  if (!hashView()) map.setView([22.67, 113.85], 11);
  legend();
  search();
  historyPicker();
  loadAll().then(counts => {
    // Fit the whole visible area (a worker sees their grids, a street its subtree) unless a link chose a view.
    const bounds = L.latLngBounds([]);
    Object.values(groups).forEach(g => { if (g.getBounds && g.getBounds().isValid()) bounds.extend(g.getBounds()); });
    if (!fitted && bounds.isValid()) map.fitBounds(bounds, {padding: [10, 10], animate: false});
  }).catch(err => {
    el.dataset.loaded = "error";
    document.getElementById("place").innerHTML = `<p>${escapeHtml(err.message)}</p>`;
  });
})();
