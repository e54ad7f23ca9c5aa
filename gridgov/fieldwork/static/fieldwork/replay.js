/* Track replay: the worker's grids, the day's track coloured by time (blue → red), a marker that plays it back. */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || !window.L) return;
  const map = L.map(el, {attributionControl: false, maxZoom: 19, zoomSnap: 0.25, preferCanvas: true});
  window.__gridgovReplayMap = map;
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map);
  map.setView([22.67, 113.85], 13);
  const playBtn = document.getElementById("play");
  const slider = document.getElementById("slider");
  const speed = document.getElementById("speed");
  const label = document.getElementById("replay-time");
  const pos = document.getElementById("replay-pos");
  const pad = n => String(n).padStart(2, "0");
  const clock = ms => { const d = new Date(ms + 8 * 3600 * 1000); return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`; };
  function colour(f) {  // 0 → blue, 0.5 → green/yellow, 1 → red
    const hue = 240 - 240 * f;
    return `hsl(${hue.toFixed(0)}, 85%, 45%)`;
  }
  const url = `/api/v1/patrols/track?worker=${encodeURIComponent(el.dataset.worker)}&day=${encodeURIComponent(el.dataset.day)}`;
  fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(r => r.json().then(d => {
    if (!r.ok) throw new Error(d.message || r.statusText);
    return d;
  })).then(data => {
    const grids = L.geoJSON(data.grids, {style: {color: "#f59e0b", weight: 2, fillOpacity: 0.08}}).addTo(map);
    grids.eachLayer(l => l.bindTooltip(l.feature.properties.name, {sticky: true}));
    const list = document.getElementById("replay-anomalies");
    data.anomalies.forEach(a => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/anomalies/${a.id}/`; link.textContent = a.label; link.className = "badge error";
      li.appendChild(link); list.appendChild(li);
    });
    const pts = data.points;
    let bounds = grids.getBounds();
    if (!pts.length) {
      document.getElementById("replay-empty").hidden = false;
      map.invalidateSize();
      if (bounds.isValid()) map.fitBounds(bounds, {padding: [15, 15], animate: false});
      el.dataset.ready = "1";
      return;
    }
    const t0 = pts[0][0], t1 = pts[pts.length - 1][0], span = Math.max(1, t1 - t0);
    const buckets = 24;  // one polyline per colour band keeps thousands of points cheap to draw
    for (let b = 0; b < buckets; b++) {
      const seg = [];
      pts.forEach((p, i) => {
        const f = (p[0] - t0) / span;
        if (Math.min(buckets - 1, Math.floor(f * buckets)) === b) {
          if (!seg.length && i > 0) seg.push([pts[i - 1][2], pts[i - 1][1]]);
          seg.push([p[2], p[1]]);
        }
      });
      if (seg.length > 1) L.polyline(seg, {color: colour((b + 0.5) / buckets), weight: 4, opacity: 0.85}).addTo(map);
    }
    const step = Math.max(1, Math.floor(pts.length / 600));
    for (let i = 0; i < pts.length; i += step) {
      const p = pts[i];
      L.circleMarker([p[2], p[1]], {radius: 2.5, weight: 0, fillOpacity: 0.9, fillColor: colour((p[0] - t0) / span)}).addTo(map);
    }
    const marker = L.circleMarker([pts[0][2], pts[0][1]], {radius: 8, color: "#111827", weight: 3, fillColor: "#fff", fillOpacity: 1}).addTo(map);
    const line = L.polyline(pts.map(p => [p[2], p[1]]));
    bounds = bounds.isValid() ? bounds.extend(line.getBounds()) : line.getBounds();
    map.invalidateSize();
    map.fitBounds(bounds, {padding: [15, 15], maxZoom: 18, animate: false});
    document.getElementById("t-first").textContent = clock(t0);
    document.getElementById("t-last").textContent = clock(t1);
    slider.max = String(pts.length - 1);
    slider.disabled = false; playBtn.disabled = false;
    let index = 0, playing = false, simTime = t0, last = null;
    function show(i) {
      index = Math.max(0, Math.min(pts.length - 1, i));
      const p = pts[index];
      marker.setLatLng([p[2], p[1]]);
      slider.value = String(index);
      label.textContent = clock(p[0]);
      pos.textContent = `${p[2].toFixed(5)}, ${p[1].toFixed(5)} · ${index + 1}/${pts.length}`;
      el.dataset.index = String(index);
    }
    function frame(now) {
      if (!playing) return;
      if (last !== null) simTime += (now - last) * parseFloat(speed.value);
      last = now;
      let i = index;
      while (i < pts.length - 1 && pts[i + 1][0] <= simTime) i++;
      show(i);
      if (i >= pts.length - 1) { setPlaying(false); return; }
      requestAnimationFrame(frame);
    }
    function setPlaying(on) {
      playing = on;
      playBtn.textContent = on ? playBtn.dataset.pause : playBtn.dataset.play;
      if (on) {
        if (index >= pts.length - 1) show(0);
        simTime = pts[index][0]; last = null;
        requestAnimationFrame(frame);
      }
    }
    playBtn.addEventListener("click", () => setPlaying(!playing));
    slider.addEventListener("input", () => { show(parseInt(slider.value, 10)); simTime = pts[index][0]; });
    show(0);
    el.dataset.ready = "1";
  }).catch(err => {
    const empty = document.getElementById("replay-empty");
    empty.textContent = err.message; empty.hidden = false;
    el.dataset.ready = "error";
  });
})();
