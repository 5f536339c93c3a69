/* Home: "Near me" asks the device for its location and reloads the list nearest first
 * (?near=lat,long); without it the list stays newest first and says why. docs/ui.md. */
(function () {
  "use strict";

  function start() {
    var button = document.querySelector("[data-near-me]");
    var status = document.querySelector("[data-testid=home-order]");
    if (!button) return;
    button.addEventListener("click", function () {
      function refuse() {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        if (status) status.textContent = button.getAttribute("data-denied");
      }
      if (!navigator.geolocation) { refuse(); return; }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      if (status) status.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var params = new URLSearchParams(window.location.search);
        params.set("near", pos.coords.latitude.toFixed(5) + "," + pos.coords.longitude.toFixed(5));
        params.delete("page");
        window.location.search = params.toString();
      }, refuse, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
