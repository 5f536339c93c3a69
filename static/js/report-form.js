/* Report form: where first (the device's location, the map), large category choices, custom
   questions per type, photos checked before upload, similar reports nearby with "me too",
   and the browser's own check of the form before anything is uploaded. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (f, o) {
    return f.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); });
  };
  var form = document.querySelector('[data-testid="report-form"]');
  if (!form) return;

  var latInput = form.querySelector('[name="lat"]');
  var longInput = form.querySelector('[name="long"]');
  var svg = form.querySelector("svg.map-picker");
  var marker = svg && svg.querySelector("[data-marker]");
  var similar = form.querySelector('[data-testid="similar"]');

  function currentCode() {
    var checked = form.querySelector('input[name="service_code"]:checked');
    return checked ? checked.value : "";
  }

  // --- Custom questions: show the chosen type's fieldset only ---------------------------
  function showQuestions() {
    var code = currentCode();
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

  function located() {
    clearError("location");
    lookupSimilar();
  }

  function setPoint(lat, long) {
    latInput.value = lat.toFixed(6);
    longInput.value = long.toFixed(6);
    placeMarker();
    latInput.dispatchEvent(new Event("input", { bubbles: true })); // the draft keeps it
    located();
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
          located();
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

  // --- "Use my location": the device's position, one tap ----------------------------------
  var locate = form.querySelector("[data-locate]");
  var locateStatus = form.querySelector("[data-locate-status]");
  function locateMessage(text) { if (locateStatus) locateStatus.textContent = text; }
  // "Send" tapped while the device is still finding its position: the report waits for it
  // and then goes by itself, rather than leaving with the point from before (or none).
  // The send button says so where the thumb is (on a phone the status line above may be
  // scrolled away behind the sticky send bar).
  var locating = false;
  var sendWhenLocated = null; // {submitter, label} of the held send
  function holdSend(submitter) {
    sendWhenLocated = { submitter: submitter, label: submitter ? submitter.textContent : "" };
    if (submitter) {
      submitter.disabled = true;
      submitter.setAttribute("aria-busy", "true");
      submitter.textContent = gettext("Finding your location…");
    }
  }
  function afterLocating(found) {
    locating = false;
    var held = sendWhenLocated;
    sendWhenLocated = null;
    if (!held) return;
    if (held.submitter) {
      held.submitter.disabled = false;
      held.submitter.removeAttribute("aria-busy");
      held.submitter.textContent = held.label;
    }
    if (!found) return; // not found: the person taps the map, then sends again
    if (form.requestSubmit) form.requestSubmit(held.submitter || undefined);
    else form.submit();
  }
  if (locate && !("geolocation" in navigator)) {
    locate.hidden = true; // the map and the address field remain
  } else if (locate) {
    locate.addEventListener("click", function () {
      locate.disabled = true;
      locating = true;
      locateMessage(gettext("Finding your location…"));
      navigator.geolocation.getCurrentPosition(function (pos) {
        locate.disabled = false;
        setPoint(pos.coords.latitude, pos.coords.longitude);
        if (picker) picker.map.setView([pos.coords.latitude, pos.coords.longitude], 17);
        locateMessage(gettext("Marker placed at your location. Drag it on the map to adjust."));
        afterLocating(true);
      }, function () {
        locate.disabled = false;
        locateMessage(gettext("Your location is not available: tap the map instead."));
        afterLocating(false);
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }

  // --- Photos: camera and gallery, checked here as the server would -----------------------
  var photoInputs = Array.prototype.slice.call(form.querySelectorAll('input[type="file"][name="photos"]'));
  var previews = form.querySelector("[data-photo-previews]");
  var slotsBox = form.querySelector("[data-photo-slots]");
  var slots = slotsBox ? parseInt(slotsBox.getAttribute("data-photo-slots") || "3", 10) : 3;
  var TYPES = /^image\/(jpeg|png|gif|webp)$/;

  function checkPhotos() {
    var files = [];
    photoInputs.forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
    });
    var maxBytes = 0;
    photoInputs.forEach(function (input) {
      maxBytes = Math.max(maxBytes, parseInt(input.getAttribute("data-max-bytes") || "0", 10));
    });
    var problems = [];
    if (files.length > slots) {
      problems.push(interpolate(gettext("Choose at most %(count)s photos."), { count: slots }, true));
    }
    files.forEach(function (file) {
      if (maxBytes && file.size > maxBytes) {
        problems.push(interpolate(gettext("%(name)s: too large (at most %(mb)s MB)."),
          { name: file.name, mb: Math.floor(maxBytes / 1048576) }, true));
      }
      if (!TYPES.test(file.type)) {
        problems.push(interpolate(gettext("%(name)s: not a JPEG, PNG, GIF or WebP image."),
          { name: file.name }, true));
      }
    });
    var text = problems.join(" ");
    photoInputs.forEach(function (input) { input.setCustomValidity(text); });
    var note = form.querySelector("[data-photo-problems]");
    if (note) note.textContent = text;
    return { files: files, ok: !problems.length };
  }

  function showPreviews(files) {
    if (!previews) return;
    previews.textContent = "";
    files.forEach(function (file) {
      if (!TYPES.test(file.type) || !window.FileReader) return;
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
  }

  photoInputs.forEach(function (input) {
    input.addEventListener("change", function () { showPreviews(checkPhotos().files); });
  });

  // --- The browser's check before anything is uploaded ------------------------------------
  function errorBox(name) { return form.querySelector('[data-error-for="' + name + '"]'); }
  function setError(name, text) {
    var box = errorBox(name);
    if (!box) {
      var input = form.querySelector('[name="' + name + '"]');
      var field = input && input.closest(".field");
      if (!field) return;
      box = document.createElement("div");
      box.className = "field-error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-error-for", name);
      field.appendChild(box);
    }
    box.textContent = text;
    var holder = box.closest(".field, .categories");
    if (holder) holder.classList.toggle("field-invalid", !!text);
  }
  function clearError(name) { if (errorBox(name)) setError(name, ""); }

  function validate() {
    var problems = []; // [name, element to focus]
    if (!readPoint()) {
      setError("location", form.dataset.msgLocation);
      problems.push(locate && !locate.hidden ? locate : latInput);
    }
    if (!currentCode()) {
      setError("service_code", form.dataset.msgCategory);
      problems.push(form.querySelector('input[name="service_code"]'));
    }
    var title = form.querySelector('[name="title"]');
    if (title && !title.value.trim()) {
      setError("title", form.dataset.msgTitle);
      problems.push(title);
    }
    var email = form.querySelector('[name="email"]');
    if (email && email.value.trim() && !email.checkValidity()) {
      setError("email", form.dataset.msgEmail);
      problems.push(email);
    }
    if (!checkPhotos().ok) problems.push(photoInputs[0]);
    return problems;
  }

  // Capture: runs before the outbox's submit handler, which must not send a form that the
  // server would refuse for a missing field.
  form.addEventListener("submit", function (ev) {
    if (locating) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      if (!sendWhenLocated) holdSend(ev.submitter || null);
      locateMessage(gettext("Finding your location…"));
      return;
    }
    var problems = validate();
    if (!problems.length) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    var summary = form.querySelector('[data-testid="form-errors"]');
    if (summary && !summary.querySelector('[data-testid="event-error"]')) {
      summary.hidden = false;
      summary.textContent = form.dataset.msgSummary;
    }
    var first = problems[0];
    if (first && first.focus) {
      first.focus({ preventScroll: true });
      if (first.scrollIntoView) first.scrollIntoView({ block: "center" });
    }
  }, true);

  var titleInput = form.querySelector('[name="title"]');
  if (titleInput) titleInput.addEventListener("input", function () { if (titleInput.value.trim()) clearError("title"); });
  var emailInput = form.querySelector('[name="email"]');
  if (emailInput) emailInput.addEventListener("change", function () { if (emailInput.checkValidity()) clearError("email"); });

  // --- Similar open reports nearby: "me too" instead of a duplicate ------------------------
  var pending = null;
  var lastQuery = "";

  function lookupSimilar() {
    if (!similar) return;
    clearTimeout(pending);
    pending = setTimeout(fetchSimilar, 250);
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.detail || String(r.status));
        return data;
      });
    });
  }

  function doneNote(testid, text, t) {
    var done = document.createElement("p");
    done.className = "form-message form-message-success";
    done.setAttribute("role", "status");
    done.setAttribute("data-testid", testid);
    done.appendChild(document.createTextNode(text + " "));
    var go = document.createElement("a");
    go.href = "/tickets/" + encodeURIComponent(t.id) + "/";
    go.textContent = gettext("Go to the ticket");
    done.appendChild(go);
    return done;
  }

  function meTooButton(t) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-primary";
    button.setAttribute("data-testid", "me-too");
    button.setAttribute("data-ticket-id", String(t.id));
    button.textContent = gettext("Me too");
    button.setAttribute("aria-label", interpolate(gettext("Me too: add my voice to #%(id)s"), { id: t.id }, true));
    button.addEventListener("click", function () {
      button.disabled = true;
      post("/api/v1/tickets/" + encodeURIComponent(t.id) + "/vote/")
        .then(function (counts) {
          var text = interpolate(gettext("Your voice was added to #%(id)s (%(votes)s in all); no new report was sent."),
            { id: t.id, votes: counts.votes }, true);
          var li = button.closest("li");
          if (li) li.querySelectorAll("button").forEach(function (b) { b.remove(); });
          if (li) li.appendChild(doneNote("me-too-done", text, t));
        })
        .catch(function (err) {
          button.disabled = false;
          button.textContent = gettext("Could not add your voice: try again.");
          button.title = err.message;
        });
    });
    return button;
  }

  // "It's the same: follow it instead": follows the existing ticket and files nothing.
  function followInsteadButton(t) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-quiet";
    button.setAttribute("data-testid", "follow-instead");
    button.setAttribute("data-ticket-id", String(t.id));
    button.textContent = gettext("It's the same: follow it instead");
    button.addEventListener("click", function () {
      button.disabled = true;
      post("/api/v1/tickets/" + encodeURIComponent(t.id) + "/follow/")
        .then(function () {
          var text = interpolate(gettext("You now follow #%(id)s; no new report was sent."), { id: t.id }, true);
          button.replaceWith(doneNote("follow-instead-done", text, t));
        })
        .catch(function () {
          button.disabled = false;
          button.textContent = gettext("Could not follow it: try again.");
        });
    });
    return button;
  }

  function fetchSimilar() {
    var code = currentCode();
    var point = readPoint();
    if (!code || !point) { similar.hidden = true; return; }
    var query = new URLSearchParams({ service_code: code, lat: String(point.lat), long: String(point.long) }).toString();
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
          li.setAttribute("data-testid", "similar-item");
          var a = document.createElement("a");
          a.href = "/tickets/" + encodeURIComponent(t.id) + "/";
          a.textContent = t.title;
          li.appendChild(a);
          li.appendChild(meTooButton(t));
          li.appendChild(followInsteadButton(t));
          list.appendChild(li);
        });
        similar.querySelector(".similar-hint").textContent = similar.dataset.hint || "";
        similar.hidden = false;
      })
      .catch(function () { similar.hidden = true; });
  }

  form.querySelectorAll('input[name="service_code"]').forEach(function (radio) {
    radio.addEventListener("change", function () { clearError("service_code"); showQuestions(); lookupSimilar(); });
  });
  [latInput, longInput].forEach(function (input) {
    if (!input) return;
    input.addEventListener("change", function () { placeMarker(); located(); });
  });

  showQuestions();
  placeMarker();
  lookupSimilar();
})();
