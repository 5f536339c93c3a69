/* Report form: custom questions per type, map location picker, similar reports nearby. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
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

  // --- Map picker: Leaflet (map.js) with a draggable marker; the SVG is the fallback ------
  function num(el, name) { return parseFloat(el.getAttribute(name)); }

  function toXY(lat, long) {
    return {
      x: (long - num(svg, "data-min-long")) * num(svg, "data-x-scale"),
      y: (num(svg, "data-max-lat") - lat) * num(svg, "data-y-scale"),
    };
  }

  function readPoint() {
    var lat = parseFloat(latInput.value);
    var long = parseFloat(longInput.value);
    if (!isFinite(lat) || !isFinite(long) || Math.abs(lat) > 90 || Math.abs(long) > 180) return null;
    return { lat: lat, long: long };
  }

  function setPoint(lat, long) {
    latInput.value = lat.toFixed(6);
    longInput.value = long.toFixed(6);
    placeMarker();
    lookupSimilar();
  }

  var container = form.querySelector('[data-testid="map"][data-map="picker"]');
  var picker = null; // {map, marker}

  function placeMarker() {
    var point = readPoint();
    if (picker) {
      if (!point) { if (picker.marker) { picker.marker.remove(); picker.marker = null; } return; }
      var latlng = [point.lat, point.long];
      if (!picker.marker) {
        picker.marker = window.L.marker(latlng, {
          draggable: true,
          keyboard: true,
          title: gettext("Location of the problem (drag to adjust)"),
          icon: window.FixlineMap.ticketIcon("open"),
        }).addTo(picker.map);
        picker.marker.on("dragend", function () {
          var ll = picker.marker.getLatLng();
          latInput.value = ll.lat.toFixed(6);
          longInput.value = ll.lng.toFixed(6);
          if (container) container.setAttribute("data-has-marker", "true");
          lookupSimilar();
        });
      } else {
        picker.marker.setLatLng(latlng);
      }
      if (container) container.setAttribute("data-has-marker", "true");
      if (!picker.map.getBounds().contains(latlng)) picker.map.panTo(latlng);
      return;
    }
    if (!marker) return;
    if (!point) { marker.setAttribute("hidden", ""); return; }
    var p = toXY(point.lat, point.long);
    marker.setAttribute("cx", p.x.toFixed(1));
    marker.setAttribute("cy", p.y.toFixed(1));
    marker.removeAttribute("hidden");
  }

  if (container && window.FixlineMap && window.L) {
    try {
      var made = window.FixlineMap.create(container, { scrollWheelZoom: false });
      if (made) {
        picker = { map: made.map, marker: null };
        made.map.on("click", function (ev) { setPoint(ev.latlng.lat, ev.latlng.lng); });
        var point = readPoint();
        if (point) picker.map.setView([point.lat, point.long], 16);
      }
    } catch (e) {
      picker = null;
      container.classList.remove("map-ready");
    }
  }

  if (!picker && svg) {
    svg.addEventListener("click", function (event) {
      var ctm = svg.getScreenCTM();
      if (!ctm) return;
      var pt = new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse());
      setPoint(num(svg, "data-max-lat") - pt.y / num(svg, "data-y-scale"),
        num(svg, "data-min-long") + pt.x / num(svg, "data-x-scale"));
    });
  }

  // Keyboard: put the marker at the centre of the map (pan the map with the arrow keys first).
  var centre = form.querySelector("[data-map-centre]");
  if (centre && picker) {
    centre.hidden = false;
    centre.addEventListener("click", function () {
      var c = picker.map.getCenter();
      setPoint(c.lat, c.lng);
    });
  }

  var locate = form.querySelector("[data-locate]");
  var locateStatus = form.querySelector("[data-locate-status]");
  function locateMessage(text) { if (locateStatus) locateStatus.textContent = text; }
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locateMessage(gettext("Finding your location…"));
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPoint(pos.coords.latitude, pos.coords.longitude);
        if (picker) picker.map.setView([pos.coords.latitude, pos.coords.longitude], 17);
        locateMessage(gettext("Marker placed at your location."));
      }, function () {
        locateMessage(gettext("Your location is not available: tap the map instead."));
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // --- Photos: previews and a clear limit message -----------------------------------------
  var photoInput = form.querySelector('input[type="file"][name="photos"]');
  var previews = form.querySelector("[data-photo-previews]");
  if (photoInput && previews) {
    photoInput.addEventListener("change", function () {
      previews.textContent = "";
      var files = Array.prototype.slice.call(photoInput.files || []);
      var max = parseInt(photoInput.getAttribute("data-max-count") || "3", 10);
      var maxBytes = parseInt(photoInput.getAttribute("data-max-bytes") || "0", 10);
      var problems = [];
      if (files.length > max) problems.push(gettext("Choose at most 3 photos."));
      files.slice(0, max).forEach(function (file) {
        if (maxBytes && file.size > maxBytes) problems.push(file.name + ": " + gettext("too large."));
        if (!/^image\//.test(file.type)) problems.push(file.name + ": " + gettext("not an image."));
        if (!/^image\//.test(file.type) || !window.FileReader) return;
        var img = document.createElement("img");
        var reader = new FileReader(); // a data: URL (the CSP allows data: images, not blob:)
        reader.onload = function () { img.src = reader.result; };
        reader.readAsDataURL(file);
        img.alt = file.name;
        img.className = "photo-preview";
        var li = document.createElement("li");
        li.appendChild(img);
        previews.appendChild(li);
      });
      photoInput.setCustomValidity(problems.join(" "));
      var note = form.querySelector("[data-photo-problems]");
      if (note) note.textContent = problems.join(" ");
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

  // "It's the same: follow it instead": follows the existing ticket and files nothing.
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function followInsteadButton(t) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-quiet";
    button.setAttribute("data-testid", "follow-instead");
    button.setAttribute("data-ticket-id", String(t.id));
    button.textContent = gettext("It's the same: follow it instead");
    button.addEventListener("click", function () {
      button.disabled = true;
      fetch("/api/v1/tickets/" + encodeURIComponent(t.id) + "/follow/", {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
      })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function () {
          var done = document.createElement("p");
          done.className = "form-message form-message-success";
          done.setAttribute("role", "status");
          done.setAttribute("data-testid", "follow-instead-done");
          var text = (window.interpolate || function (f, o) { return f.replace("%(id)s", o.id); })(
            gettext("You now follow #%(id)s; no new report was sent."), { id: t.id }, true);
          done.appendChild(document.createTextNode(text + " "));
          var go = document.createElement("a");
          go.href = "/tickets/" + encodeURIComponent(t.id) + "/";
          go.textContent = gettext("Go to the ticket");
          done.appendChild(go);
          button.replaceWith(done);
        })
        .catch(function () {
          button.disabled = false;
          button.textContent = gettext("Could not follow it: try again.");
        });
    });
    return button;
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
          li.appendChild(document.createTextNode(" "));
          li.appendChild(followInsteadButton(t));
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
