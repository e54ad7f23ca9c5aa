/* Leaflet finds its default marker images next to leaflet.css by the file's name; once static files carry hashed
   names (the manifest storage `gridgov serve` uses) that guess fails and markers ask for ./marker-icon.png (404).
   The template names the three images through {% static %}, so they are right under any storage. */
(function () {
  "use strict";
  const urls = document.currentScript.dataset;
  L.Icon.Default.imagePath = "";
  L.Icon.Default.mergeOptions({iconUrl: urls.icon, iconRetinaUrl: urls.retina, shadowUrl: urls.shadow});
})();
