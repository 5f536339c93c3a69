/* Event page (/events/<slug>/), the hub of an emergency: its tickets and announcements stay
   live over /ws/feed/?event=<slug>; moderators post announcements through the JSON API.
   Labels come from the page (json_script "event-labels", in the page's language); text from
   the server is only ever set with textContent, never as HTML. */
(function () {
  "use strict";

  var gettext = window.gettext || function (s) { return s; };

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function readLabels() {
    var node = document.getElementById("event-labels");
    try { return JSON.parse(node.textContent) || {}; } catch (e) { return {}; }
  }

  var labels = readLabels();
  function label(kind, key) {
    var table = labels[kind] || {};
    return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
  }

  var dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { dateStyle: "medium", timeStyle: "short" });

  function liveSocket(root, onMessage) {
    var state = document.querySelector("[data-testid=live-state]");
    var stateLabel = state && state.querySelector("[data-live-label]");
    var delay = 500;
    function setState(name) {
      if (!state) { return; }
      state.setAttribute("data-state", name);
      if (stateLabel) { stateLabel.textContent = root.getAttribute("data-label-" + name) || name; }
    }
    function open() {
      var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
      var ws;
      setState("connecting");
      try { ws = new WebSocket(proto + "//" + window.location.host + root.getAttribute("data-socket")); }
      catch (e) { retry(); return; }
      ws.onopen = function () { delay = 500; setState("live"); };
      ws.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        onMessage(message);
      };
      ws.onclose = function () { setState("offline"); retry(); };
    }
    function retry() {
      window.setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    }
    open();
  }

  function addAnnouncement(list, d) {
    if (list.querySelector('[data-announcement-id="' + d.id + '"]')) { return; }
    var empty = list.querySelector("[data-empty]");
    if (empty) { empty.parentNode.removeChild(empty); }
    var li = el("li", { "class": "announcement", "data-testid": "announcement", "data-announcement-id": d.id });
    li.appendChild(el("p", { "class": "announcement-body" }, d.body));
    var meta = el("p", { "class": "muted" });
    var when = new Date(d.at || d.created_at);
    meta.appendChild(el("time", { datetime: d.at || d.created_at }, isNaN(when) ? "" : dateFormat.format(when)));
    if (d.author) { meta.appendChild(document.createTextNode(" · " + d.author)); }
    li.appendChild(meta);
    list.insertBefore(li, list.firstChild);
  }

  function ticketRow(d) {
    var li = el("li", { "class": "ticket-item", "data-ticket-id": d.id });
    li.appendChild(el("a", { href: d.url }, d.title));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", { "class": "badge badge-" + d.status, "data-status": d.status }, label("status", d.status)));
    li.appendChild(document.createTextNode(" "));
    var service = d.service_code ? label("service", d.service_code) : (d.service_name || "");
    li.appendChild(el("span", { "class": "muted" }, service + " · " + label("jurisdiction", d.jurisdiction)));
    return li;
  }

  function announcementForm(form, list) {
    var errorBox = form.querySelector("[data-testid=announcement-error]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = form.querySelector("[name=body]");
      var button = form.querySelector("button[type=submit]");
      errorBox.hidden = true;
      button.disabled = true;
      fetch(form.getAttribute("data-api"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
        body: JSON.stringify({ body: body.value })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var message = (data.body && data.body[0]) || data.detail || gettext("Could not send the announcement.");
            throw new Error(message);
          }
          addAnnouncement(list, data);
          body.value = "";
        });
      }).catch(function (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
      }).then(function () { button.disabled = false; });
    });
  }

  function eventPage(root) {
    var list = root.querySelector("[data-testid=event-tickets]");
    var announcements = root.querySelector("[data-testid=announcement-list]");
    var form = root.querySelector("[data-testid=announcement-form]");
    if (form) { announcementForm(form, announcements); }
    liveSocket(root, function (message) {
      var d = message.data || {};
      if (message.type === "event.announcement") {
        addAnnouncement(announcements, d);
      } else if (message.type === "ticket.created") {
        if (list.querySelector('[data-ticket-id="' + d.id + '"]')) { return; }
        var empty = list.querySelector("[data-empty]");
        if (empty) { empty.parentNode.removeChild(empty); }
        list.insertBefore(ticketRow(d), list.firstChild);
      } else if (message.type === "ticket.status_changed") {
        var badge = list.querySelector('[data-ticket-id="' + (d.id || message.ticket) + '"] [data-status]');
        if (badge && d.to) {
          badge.setAttribute("data-status", d.to);
          badge.className = "badge badge-" + d.to;
          badge.textContent = label("status", d.to);
        }
      }
    });
  }

  var root = document.getElementById("event-feed");
  if (root) { eventPage(root); }
})();
