/* The phone's patrol recorder: start a session (idempotent client key), read positions, send them in batches. */
(function () {
  "use strict";
  const api = window.gridgovApi;
  const box = document.getElementById("recorder");
  if (!box) return;
  const $ = id => document.getElementById(id);
  const maxBatch = parseInt(box.dataset.maxBatch, 10) || 1000;
  let queue = [], watch = null, session = null, timer = null, sending = false;
  // How far the phone's clock is behind the server's (ms), measured when the patrol starts: a phone with a wrong
  // date or time would otherwise send positions that the server refuses as too old or in the future, or files
  // them under the wrong day. Differences of a few seconds (network time) are left alone.
  let skew = 0;
  const counts = {read: 0, accepted: 0, rejected: 0};
  function render() {
    $("n-read").textContent = counts.read; $("n-queued").textContent = queue.length;
    $("n-accepted").textContent = counts.accepted; $("n-rejected").textContent = counts.rejected;
  }
  function error(text) { const e = $("record-error"); e.textContent = text || ""; e.hidden = !text; }
  function key() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function flush() {
    if (sending || !queue.length || !session) return Promise.resolve();
    sending = true;
    const batch = queue.slice(0, maxBatch);
    return api.request("POST", "/api/v1/patrols/points", {points: batch, session: session.client_key}).then(r => {
      if (!r.ok) throw new Error(api.describe(r));
      queue = queue.slice(batch.length);
      counts.accepted += r.data.accepted; counts.rejected += r.data.rejected.length;
      error("");
    }).catch(() => error(box.dataset.msgOffline)).finally(() => { sending = false; render(); });
  }
  function onPosition(p) {
    queue.push({t: (p.timestamp || Date.now()) + skew, lon: p.coords.longitude, lat: p.coords.latitude,
                accuracy: p.coords.accuracy});
    counts.read++;
    $("last-pos").textContent = `${p.coords.latitude.toFixed(5)}, ${p.coords.longitude.toFixed(5)} (±${Math.round(p.coords.accuracy)} m)`;
    render();
    if (queue.length >= 50) flush();
  }
  $("start").addEventListener("click", () => {
    if (!navigator.geolocation) { error(box.dataset.msgNoGeo); return; }
    const clientKey = key();
    api.request("POST", "/api/v1/patrols/sessions", {client_key: clientKey, kind: $("kind").value}).then(r => {
      if (!r.ok) { error(api.describe(r)); return; }
      session = r.data;
      const behind = Date.parse(session.started_at) - Date.now();
      skew = Math.abs(behind) > 5000 ? behind : 0;
      watch = navigator.geolocation.watchPosition(onPosition, e => error(e.message),
                                                  {enableHighAccuracy: true, maximumAge: 5000, timeout: 20000});
      timer = setInterval(flush, 30000);
      $("state").textContent = box.dataset.msgRecording;
      $("start").hidden = true; $("stop").hidden = false; $("kind").disabled = true;
    });
  });
  $("stop").addEventListener("click", () => {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    clearInterval(timer);
    flush().then(() => session && api.request("POST", `/api/v1/patrols/sessions/${session.id}/end`, {})).then(() => {
      $("state").textContent = box.dataset.msgStopped;
      $("start").hidden = false; $("stop").hidden = true; $("kind").disabled = false;
      session = null;
    });
  });
  window.addEventListener("online", flush);
  render();
})();
