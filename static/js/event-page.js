/* Event page (/events/<slug>/), the hub of an emergency: its tickets, announcements, offers of
   help and activity feed stay live over /ws/feed/?event=<slug> (ticket.created,
   ticket.status_changed, ticket.hidden, event.announcement, event.offer); moderators post
   announcements through the JSON API. Labels and sentences come from the page (json_script
   "event-labels", in the page's language); text from the server is only ever set with
   textContent, never as HTML. */
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

  function ticketLink(id, title, url) {
    return el("a", { href: url || "/tickets/" + id + "/" }, "#" + id + " " + (title || ""));
  }

  // --- Offers of help: accepted and completed for everyone, pending for moderators --------
  function offerRow(root, d) {
    var li = el("li", { "class": "event-offer", "data-testid": "event-offer", "data-offer-id": d.id, "data-status": d.status });
    li.appendChild(el("span", { "class": "badge badge-offer-" + d.status, "data-offer-status": "" }, label("offer", d.status)));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", { "class": "event-offer-what" }, d.skills || label("words", "no_skills")));
    li.appendChild(document.createTextNode(" "));
    var where = el("span", { "class": "muted" }, "· ");
    if (d.ticket) { where.appendChild(ticketLink(d.ticket, d.ticket_title, d.ticket_url)); }
    else { where.appendChild(document.createTextNode(label("words", "whole_event"))); }
    li.appendChild(where);
    if (d.status === "pending") {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("a", { "class": "event-offer-review", "data-testid": "event-offer-review", href: root.getAttribute("data-console") }, label("words", "review")));
    }
    return li;
  }

  function updateOffer(root, list, d) {
    var moderator = root.getAttribute("data-moderator") === "1";
    var old = list.querySelector('[data-offer-id="' + d.id + '"]');
    var listed = d.status === "accepted" || d.status === "completed" || (moderator && d.status === "pending");
    if (!listed) {
      if (old) { old.parentNode.removeChild(old); }
      return;
    }
    if (old && d.status === "pending") { return; }  // the page's row says more than the socket
    var row = offerRow(root, d);
    if (old) { list.replaceChild(row, old); return; }
    var empty = list.querySelector("[data-empty]");
    if (empty) { empty.parentNode.removeChild(empty); }
    list.insertBefore(row, list.firstChild);
  }

  // --- The activity feed: newest first, the same sentences as the rendered entries --------
  function addActivity(feed, entry) {
    if (feed.querySelector('[data-key="' + entry.key + '"]')) { return; }
    var empty = feed.querySelector("[data-empty]");
    if (empty) { empty.parentNode.removeChild(empty); }
    var attrs = { "class": "activity-item activity-" + entry.kind, "data-testid": "activity-item", "data-kind": entry.kind, "data-key": entry.key };
    if (entry.ticket) { attrs["data-ticket-id"] = entry.ticket; }
    var li = el("li", attrs);
    var when = new Date(entry.at);
    li.appendChild(el("time", { datetime: entry.at || "" }, isNaN(when) ? "" : dateFormat.format(when)));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", { "class": "activity-what" }, entry.what));
    if (entry.body) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", { "class": "activity-body" }, entry.body));
    }
    if (entry.ticket) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(ticketLink(entry.ticket, entry.title, entry.url));
    }
    feed.insertBefore(li, feed.firstChild);
    var keep = parseInt(feed.getAttribute("data-keep"), 10) || 50;
    while (feed.children.length > keep) { feed.removeChild(feed.lastChild); }
  }

  function activityOf(message) {
    var d = message.data || {};
    var at = message.at || d.at || d.created_at || new Date().toISOString();
    if (message.type === "ticket.created") {
      return { key: "ticket-" + d.id, kind: "ticket", at: d.created_at || at, what: label("activity", "ticket"), ticket: d.id, title: d.title, url: d.url };
    }
    if (message.type === "ticket.status_changed" && d.to) {
      var id = d.id || message.ticket;
      var what = label("activity", "status").replace("%(status)s", label("status", d.to));
      return { key: "status-" + id + "-" + d.to + "-" + at, kind: "status", at: at, what: what, ticket: id, title: d.title };
    }
    if (message.type === "event.announcement") {
      return { key: "announcement-" + d.id, kind: "announcement", at: d.at || at, what: label("activity", "announcement"), body: d.body };
    }
    if (message.type === "event.offer" && (d.status === "accepted" || d.status === "completed")) {
      return { key: "offer-" + d.id + "-" + d.status, kind: d.status, at: d.at || at, what: label("activity", d.status), body: d.skills, ticket: d.ticket, title: d.ticket_title, url: d.ticket_url };
    }
    return null;
  }

  function forgetTicket(root, id) {
    // Taken down: its row, its feed entries and the offers on it leave the page.
    root.querySelectorAll('[data-ticket-id="' + id + '"]').forEach(function (node) { node.parentNode.removeChild(node); });
    root.querySelectorAll("[data-testid=event-offer] a").forEach(function (a) {
      if (a.getAttribute("href") === "/tickets/" + id + "/") {
        var row = a.closest("[data-testid=event-offer]");
        if (row) { row.parentNode.removeChild(row); }
      }
    });
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
    var offers = root.querySelector("[data-testid=event-offer-list]");
    var feed = root.querySelector("[data-testid=event-activity]");
    if (form) { announcementForm(form, announcements); }
    liveSocket(root, function (message) {
      var d = message.data || {};
      var entry = feed && activityOf(message);
      if (entry) { addActivity(feed, entry); }
      if (message.type === "ticket.hidden") {
        forgetTicket(root, d.id || message.ticket);
      } else if (message.type === "event.offer") {
        if (offers) { updateOffer(root, offers, d); }
      } else if (message.type === "event.announcement") {
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
