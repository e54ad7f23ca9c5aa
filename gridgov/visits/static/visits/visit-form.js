/* The visit form on a phone: the browser's position fills lon/lat (asked once on load, again on the button). */
(function () {
  "use strict";
  const gettext = window.gettext || (s => s);
  const form = document.getElementById("visit-form");
  const where = document.getElementById("where");
  function locate(manual) {
    if (!navigator.geolocation) { if (manual) where.textContent = gettext("Your position is not available."); return; }
    navigator.geolocation.getCurrentPosition(p => {
      form.lon.value = p.coords.longitude.toFixed(7);
      form.lat.value = p.coords.latitude.toFixed(7);
      where.textContent = form.lon.value + ", " + form.lat.value + " (±" + Math.round(p.coords.accuracy) + " m)";
    }, () => { if (manual) where.textContent = gettext("Your position is not available."); },
    {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }
  document.getElementById("locate-me").addEventListener("click", () => locate(true));
  if (!form.lon.value) locate(false);
  form.addEventListener("submit", () => { form.querySelector("button[type=submit]").disabled = true; });
})();
