/* Report form: custom questions per type, map location picker, similar reports nearby. */
(function () {
  "use strict";
  var form = document.querySelector('[data-testid="report-form"]');
  if (!form) return;

  var typeSelect = form.querySelector('[name="service_code"]');
  var latInput = form.querySelector('[name="lat"]');
  var longInput = form.querySelector('[name="long"]');
  var svg = form.querySelector("svg.map-picker");
  var marker = svg && svg.querySelector("[data-marker]");
  var similar = form.querySelector('[data-testid="similar"]');

  // --- Custom questions: show the chosen type's fieldset only ---------------------------
  function showQuestions() {
    var code = typeSelect ? typeSelect.value : "";
    form.querySelectorAll("[data-questions-for]").forEach(function (set) {
      var mine = set.getAttribute("data-questions-for") === code;
      set.hidden = !mine;
      set.disabled = !mine; // disabled fieldsets are not submitted
    });
  }

  // --- Map picker ---------------------------------------------------------------------------
  function num(el, name) { return parseFloat(el.getAttribute(name)); }

  function toXY(lat, long) {
    return {
      x: (long - num(svg, "data-min-long")) * num(svg, "data-x-scale"),
      y: (num(svg, "data-max-lat") - lat) * num(svg, "data-y-scale"),
    };
  }

  function placeMarker() {
    if (!marker) return;
    var lat = parseFloat(latInput.value);
    var long = parseFloat(longInput.value);
    if (!isFinite(lat) || !isFinite(long)) { marker.setAttribute("hidden", ""); return; }
    var p = toXY(lat, long);
    marker.setAttribute("cx", p.x.toFixed(1));
    marker.setAttribute("cy", p.y.toFixed(1));
    marker.removeAttribute("hidden");
  }

  if (svg) {
    svg.addEventListener("click", function (event) {
      var ctm = svg.getScreenCTM();
      if (!ctm) return;
      var pt = new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse());
      var long = num(svg, "data-min-long") + pt.x / num(svg, "data-x-scale");
      var lat = num(svg, "data-max-lat") - pt.y / num(svg, "data-y-scale");
      latInput.value = lat.toFixed(6);
      longInput.value = long.toFixed(6);
      placeMarker();
      lookupSimilar();
    });
  }

  var locate = form.querySelector("[data-locate]");
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        latInput.value = pos.coords.latitude.toFixed(6);
        longInput.value = pos.coords.longitude.toFixed(6);
        placeMarker();
        lookupSimilar();
      });
    });
  }

  // --- Similar open reports nearby ---------------------------------------------------------
  var pending = null;
  var lastQuery = "";

  function lookupSimilar() {
    if (!similar) return;
    clearTimeout(pending);
    pending = setTimeout(fetchSimilar, 250);
  }

  function fetchSimilar() {
    var code = typeSelect ? typeSelect.value : "";
    var lat = parseFloat(latInput.value);
    var long = parseFloat(longInput.value);
    if (!code || !isFinite(lat) || !isFinite(long)) { similar.hidden = true; return; }
    var query = new URLSearchParams({ service_code: code, lat: String(lat), long: String(long) }).toString();
    if (query === lastQuery) return;
    lastQuery = query;
    fetch("/api/v1/tickets/similar/?" + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (query !== lastQuery) return;
        if (!data || !data.count) { similar.hidden = true; return; }
        var title = data.count === 1 ? similar.dataset.one : similar.dataset.many.replace("{count}", data.count);
        similar.querySelector(".similar-title").textContent = title;
        var list = similar.querySelector(".similar-list");
        list.textContent = "";
        (data.tickets || []).forEach(function (t) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "/tickets/" + encodeURIComponent(t.id) + "/";
          a.textContent = t.title;
          li.appendChild(a);
          list.appendChild(li);
        });
        similar.querySelector(".similar-hint").textContent = similar.dataset.hint || "";
        similar.hidden = false;
      })
      .catch(function () { similar.hidden = true; });
  }

  if (typeSelect) {
    typeSelect.addEventListener("change", function () { showQuestions(); lookupSimilar(); });
  }
  [latInput, longInput].forEach(function (input) {
    if (!input) return;
    input.addEventListener("change", function () { placeMarker(); lookupSimilar(); });
  });

  showQuestions();
  placeMarker();
  lookupSimilar();
})();
