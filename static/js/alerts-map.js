/* /alerts/: the map chooses the alert's area. As it is dragged and zoomed, the form's real
 * `bbox` field (minlong,minlat,maxlong,maxlat) follows what the map shows; choosing a whole
 * jurisdiction instead empties it. Pre-centred on ?lat=…&long=… (a ticket's "alert me about
 * this street"), else on the area already in the field, else on every jurisdiction. */
(function () {
  "use strict";

  var MAX_DEGREES = 2;  // notifications/forms.py MAX_BBOX_DEGREES

  function round(n) { return Math.round(n * 1e5) / 1e5; }

  function parseBox(value) {
    var parts = (value || "").split(",").map(Number);
    if (parts.length !== 4 || parts.some(function (n) { return !isFinite(n); })) return null;
    return parts;
  }

  function start() {
    var container = document.querySelector("[data-testid=map][data-map=alerts]");
    var input = document.querySelector("input[name=bbox]");
    var jurisdiction = document.querySelector("select[name=jurisdiction]");
    var status = document.querySelector("[data-testid=alert-area-status]");
    if (!container || !input || !window.FixlineMap) return;
    var made = window.FixlineMap.create(container, { scrollWheelZoom: true });
    if (!made) return;
    var map = made.map;
    var centre = made.data.centre;
    var typed = parseBox(input.value);
    if (centre) {
      map.setView([centre.lat, centre.long], 16);
      // Where the link came from (a ticket): a landmark to zoom and drag around.
      window.L.marker([centre.lat, centre.long], {
        icon: window.FixlineMap.ticketIcon("open"), interactive: false, keyboard: false
      }).addTo(map);
    } else if (typed) {
      map.fitBounds([[typed[1], typed[0]], [typed[3], typed[2]]]);
    }

    function off() { return !!(jurisdiction && jurisdiction.value); }

    function fill() {
      if (off()) {
        input.value = "";
        container.classList.add("map-off");
        if (status) status.textContent = status.getAttribute("data-off");
        return;
      }
      container.classList.remove("map-off");
      var b = map.getBounds();
      var box = [
        Math.max(-180, round(b.getWest())), Math.max(-90, round(b.getSouth())),
        Math.min(180, round(b.getEast())), Math.min(90, round(b.getNorth()))
      ];
      input.value = box.join(",");
      container.setAttribute("data-bbox", input.value);
      var large = box[2] - box[0] > MAX_DEGREES || box[3] - box[1] > MAX_DEGREES;
      if (status) status.textContent = large ? status.getAttribute("data-too-large") : "";
    }
    map.on("moveend", fill);
    if (jurisdiction) jurisdiction.addEventListener("change", fill);
    // Leaflet measures its box once laid out; fill after that.
    map.whenReady(function () { map.invalidateSize(); fill(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
