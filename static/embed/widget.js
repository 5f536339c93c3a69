/* Fixline widget: keeps the list live through /ws/feed/ (new tickets, status changes).
   No cookies and no framework; reconnects with backoff, and on reconnect reloads the list
   from the API so nothing missed while offline stays missing. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("fx-config");
  var list = document.querySelector("[data-testid=embed-list]");
  var state = document.querySelector("[data-testid=live-state]");
  if (!cfgEl || !list) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var bbox = cfg.bbox ? cfg.bbox.split(",").map(Number) : null;
  var statusLabels = cfg.status || {};
  var serviceNames = cfg.services || {};
  var announcements = document.querySelector("[data-testid=embed-announcements]");
  function statusLabel(status) {
    return Object.prototype.hasOwnProperty.call(statusLabels, status) ? statusLabels[status] : status;
  }

  function setState(s) {
    state.setAttribute("data-state", s);
    state.textContent = state.getAttribute("data-label-" + s) || s;
  }

  function inBox(t) {
    if (!bbox) return true;
    return t.long >= bbox[0] && t.lat >= bbox[1] && t.long <= bbox[2] && t.lat <= bbox[3];
  }

  function item(t) {
    var li = document.createElement("li");
    li.className = "fx-item";
    li.setAttribute("data-ticket-id", String(t.id));
    var a = document.createElement("a");
    a.href = location.origin + t.url;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = t.title;
    var status = document.createElement("span");
    status.className = "fx-status fx-status-" + t.status;
    status.setAttribute("data-status", t.status);
    status.textContent = statusLabel(t.status);
    var meta = document.createElement("span");
    meta.className = "fx-meta";
    var service = Object.prototype.hasOwnProperty.call(serviceNames, t.service_code)
      ? serviceNames[t.service_code] : (t.service_name || t.service_code || "");
    meta.textContent = service + (t.address ? " · " + t.address : "");
    li.appendChild(a);
    li.appendChild(status);
    li.appendChild(meta);
    return li;
  }

  function add(t, fresh) {
    if (!inBox(t) || list.querySelector('[data-ticket-id="' + t.id + '"]')) return;
    var empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    var li = item(t);
    if (fresh) li.classList.add("fx-new");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > cfg.size) list.removeChild(list.lastChild);
  }

  function setStatus(id, status) {
    var li = list.querySelector('[data-ticket-id="' + id + '"]');
    if (!li) return;
    var el = li.querySelector("[data-status]");
    el.className = "fx-status fx-status-" + status;
    el.setAttribute("data-status", status);
    el.textContent = statusLabel(status);
  }

  function announce(d) {
    if (!announcements || announcements.querySelector('[data-announcement-id="' + d.id + '"]')) return;
    var li = document.createElement("li");
    li.className = "fx-announcement fx-new";
    li.setAttribute("data-announcement-id", String(d.id));
    li.textContent = d.body;
    announcements.insertBefore(li, announcements.firstChild);
    while (announcements.children.length > 3) announcements.removeChild(announcements.lastChild);
  }

  function catchUp() {
    var q = [];
    ["jurisdiction", "event", "bbox"].forEach(function (k) { if (cfg[k]) q.push(k + "=" + encodeURIComponent(cfg[k])); });
    fetch("/api/v1/tickets/?" + q.join("&"), { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (page) {
        if (!page) return;
        page.results.slice().reverse().forEach(function (t) { add(t, false); setStatus(t.id, t.status); });
      })
      .catch(function () {});
  }

  var delay = 1000;
  var connectedOnce = false;
  function connect() {
    var q = [];
    if (cfg.jurisdiction) q.push("jurisdiction=" + encodeURIComponent(cfg.jurisdiction));
    if (cfg.event) q.push("event=" + encodeURIComponent(cfg.event));
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/feed/" + (q.length ? "?" + q.join("&") : "");
    setState("connecting");
    var ws;
    try { ws = new WebSocket(url); } catch (e) { retry(); return; }
    ws.onopen = function () {
      setState("live");
      delay = 1000;
      if (connectedOnce) catchUp();
      connectedOnce = true;
    };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "ticket.created") add(msg.data, true);
      else if (msg.type === "ticket.status_changed") setStatus(msg.ticket, msg.data.to);
      else if (msg.type === "event.announcement") announce(msg.data);
    };
    ws.onclose = function () { setState("offline"); retry(); };
  }
  function retry() {
    var wait = Math.min(delay, 30000) * (0.5 + Math.random());
    delay = Math.min(delay * 2, 30000);
    setTimeout(connect, wait);
  }
  connect();
})();
