/* The event form's area map: draw (or edit) a polygon with Leaflet-Geoman (vendored); the
   drawn shape is written as GeoJSON into the form's `area` field, which the server checks.
   Choosing a jurisdiction clears the drawing (one or the other). Without this script, the
   jurisdiction select and the GeoJSON field still work. */
(function () {
  "use strict";

  var form = document.querySelector("[data-testid=event-form]");
  var container = form && form.querySelector("[data-testid=event-area-map]");
  if (!container || !window.L) { return; }
  var L = window.L;
  var areaField = form.querySelector("[name=area]");
  var placeField = form.querySelector("[name=jurisdiction]");
  var data = {};
  try { data = JSON.parse(document.getElementById(container.getAttribute("data-map-data")).textContent); }
  catch (e) { data = {}; }

  var map = L.map(container, { scrollWheelZoom: false, zoomControl: false });
  // The zoom buttons named in the page's language, no "Leaflet" prefix: as every other map
  // (static/js/map.js).
  var gettext = window.gettext || function (s) { return s; };
  L.control.zoom({ zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out") }).addTo(map);
  if (map.attributionControl) { map.attributionControl.setPrefix(false); }
  if (data.tiles) { L.tileLayer(data.tiles, { attribution: data.attribution || "", maxZoom: 19 }).addTo(map); }
  var outlines = L.geoJSON(data.areas || { type: "FeatureCollection", features: [] }, {
    style: { weight: 1, fillOpacity: 0.05 }, pmIgnore: true, interactive: false
  }).addTo(map);
  var bounds = outlines.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds); } else { map.setView([0, 0], 2); }

  var drawn = null;
  function setDrawn(layer) {
    if (drawn && drawn !== layer) { map.removeLayer(drawn); }
    drawn = layer;
    areaField.value = layer ? JSON.stringify(layer.toGeoJSON().geometry) : "";
    if (layer && placeField) { placeField.value = ""; }
  }

  if (areaField.value) {
    try {
      var existing = L.geoJSON(JSON.parse(areaField.value)).getLayers()[0];
      if (existing) { existing.addTo(map); drawn = existing; map.fitBounds(existing.getBounds()); }
    } catch (e) { /* the server says what is wrong with it */ }
  }

  if (map.pm) {
    if (document.documentElement.lang && map.pm.setLang) {
      try { map.pm.setLang(document.documentElement.lang.slice(0, 2)); } catch (e) { /* English */ }
    }
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
      drawRectangle: true, drawPolygon: true, drawCircle: false, drawText: false,
      cutPolygon: false, rotateMode: false, dragMode: false
    });
    // Geoman's buttons are links titled on their parent: give each its name for screen readers.
    Array.prototype.forEach.call(container.querySelectorAll(".leaflet-buttons-control-button"), function (button) {
      var title = button.parentNode && button.parentNode.getAttribute("title");
      if (title) { button.setAttribute("aria-label", title); }
    });
    map.on("pm:create", function (event) {
      setDrawn(event.layer);
      event.layer.on("pm:edit", function () { setDrawn(event.layer); });
    });
    if (drawn) { drawn.on("pm:edit", function () { setDrawn(drawn); }); }
    map.on("pm:remove", function (event) { if (event.layer === drawn) { setDrawn(null); } });
  }
  if (placeField) {
    placeField.addEventListener("change", function () {
      if (placeField.value && drawn) { map.removeLayer(drawn); drawn = null; areaField.value = ""; }
    });
  }
})();
