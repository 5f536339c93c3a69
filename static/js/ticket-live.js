/* Fixline: the ticket page, live. No build step, no dependencies.
 *
 * Connects to /ws/tickets/<id>/?since=<seq the page was rendered at>, renders durable events
 * (comments, hides, restores, status changes) and counters in place, and keeps
 * [data-testid=live-state] at connecting / live / offline. Every durable event carries a
 * per-ticket seq: the last one seen is kept, events at or below it are ignored (dedupe), and a
 * reconnect resumes with since=<last seq>, so nothing is missed and nothing shows twice.
 * Reconnects back off exponentially with jitter; after repeated failures it polls
 * GET /api/v1/tickets/<id>/events/?since=N instead, and keeps trying the socket now and then.
 * The comment form posts through the API without a reload; the comment then appears once,
 * through its event.
 */
(function () {
  "use strict";

  var root = document.getElementById("ticket");
  if (!root || !root.dataset.ticketId) return;

  var ticketId = root.dataset.ticketId;
  var lastSeq = parseInt(root.dataset.seq || "0", 10) || 0;
  // Words come from Django's JavaScript catalogue (jsi18n, loaded by base.html before this).
  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) {
    return s.replace(/%\((\w+)\)s/g, function (_m, k) { return o[k]; });
  };
  var STATUS = { open: gettext("Open"), acknowledged: gettext("Acknowledged"), closed: gettext("Closed") };
  var STATE = { connecting: gettext("Connecting…"), live: gettext("Live"), offline: gettext("Offline") };
  var T = {
    official: gettext("Official"),
    held: gettext("Awaiting review"),
    failed: gettext("The comment could not be posted.")
  };

  function q(testid) { return document.querySelector('[data-testid="' + testid + '"]'); }

  // --- live-state indicator ------------------------------------------------------------------
  var stateEl = q("live-state");
  function setState(state) {
    if (!stateEl) return;
    stateEl.setAttribute("data-state", state);
    var label = stateEl.querySelector("[data-live-label]") || stateEl;
    var key = "label" + state.charAt(0).toUpperCase() + state.slice(1);
    label.textContent = stateEl.dataset[key] || STATE[state];
    stateEl.title = label.textContent;
  }

  var announcer = document.getElementById("ticket-announcer") || q("announcer") ||
    document.querySelector("[aria-live]:not([data-testid=live-state])");
  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // --- rendering -------------------------------------------------------------------------------
  var list = q("comment-list");

  function commentItem(data) {
    var li = document.createElement("li");
    li.className = "comment" + (data.official ? " comment-official" : "");
    li.id = "comment-" + data.id;
    li.setAttribute("data-testid", "comment");
    li.setAttribute("data-comment-id", String(data.id));
    var head = document.createElement("div");
    head.className = "comment-head";
    var author = document.createElement("span");
    author.className = "comment-author";
    author.textContent = data.author;
    head.appendChild(author);
    if (data.official) {
      var badge = document.createElement("span");
      badge.className = "badge badge-official";
      badge.setAttribute("data-testid", "official-badge");
      badge.textContent = T.official;
      head.appendChild(document.createTextNode(" "));
      head.appendChild(badge);
    }
    var time = document.createElement("time");
    time.className = "comment-time";
    time.setAttribute("datetime", data.created_at);
    try { time.textContent = new Date(data.created_at).toLocaleString(document.documentElement.lang || undefined); }
    catch (e) { time.textContent = data.created_at; }
    head.appendChild(document.createTextNode(" "));
    head.appendChild(time);
    var body = document.createElement("div");
    body.className = "comment-body";
    body.innerHTML = data.body_html; // rendered and escaped by the server (same as the page)
    li.appendChild(head);
    li.appendChild(body);
    return li;
  }

  function findComment(id) {
    return list && list.querySelector('[data-comment-id="' + id + '"]');
  }

  function emptyNote() {
    var empty = document.querySelector("[data-empty-comments]");
    if (empty && list) empty.hidden = list.children.length > 0;
  }

  function showComment(data, announceIt) {
    if (!list) return;
    var existing = findComment(data.id);
    var li = commentItem(data);
    if (existing) {
      existing.replaceWith(li);
    } else {
      // Keep ticket order (ids grow with time); most arrive at the end.
      var after = null;
      for (var i = list.children.length - 1; i >= 0; i--) {
        var other = parseInt(list.children[i].getAttribute("data-comment-id") || "0", 10);
        if (other < data.id) break;
        after = list.children[i];
      }
      list.insertBefore(li, after);
      if (announceIt) announce(fmt(gettext("New comment from %(author)s"), { author: data.author }, true));
    }
    emptyNote();
  }

  function setStatus(status) {
    var el = q("ticket-status");
    root.setAttribute("data-status", status);
    if (!el) return;
    el.setAttribute("data-status", status);
    el.className = "badge badge-" + status;
    el.textContent = STATUS[status] || status;
  }

  function refreshPart(id) {
    // Parts that depend on the viewer (transition buttons) or on private state (how many
    // neighbours are helping) come from their own small fragment URL (data-fragment), after a
    // random pause so a thousand open pages do not all ask in the same instant.
    var current = document.getElementById(id);
    if (!current || !current.dataset.fragment) return;
    setTimeout(function () {
      fetch(current.dataset.fragment, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
          var now = document.getElementById(id);
          if (now && fresh) now.replaceWith(fresh);
        })
        .catch(function () {});
    }, Math.random() * 2000);
  }

  function refreshActions() {
    var actions = document.getElementById("actions");
    if (actions && actions.hasAttribute("data-may-act")) refreshPart("actions");
  }

  function setCounters(data) {
    ["views", "followers", "votes", "thanks", "watching"].forEach(function (k) {
      if (typeof data[k] !== "number") return;
      var el = document.querySelector('[data-counter="' + k + '"]');
      if (el) el.textContent = String(data[k]);
    });
  }

  // Casework: the duplicate's banner (templates/tickets/_merge.html), live on ticket.merged
  // (shown, pointing at the original) and ticket.unmerged (hidden again).
  function showMerged(type, data, live) {
    var banner = q("merged-banner");
    if (!banner) return;
    if (type === "ticket.unmerged") { banner.hidden = true; return; }
    var url = data.into_url || ("/tickets/" + encodeURIComponent(data.into) + "/");
    banner.querySelectorAll("[data-merged-link], [data-merged-go]").forEach(function (a) { a.href = url; });
    var id = banner.querySelector("[data-merged-id]");
    if (id) id.textContent = String(data.into);
    var title = banner.querySelector("[data-merged-title]");
    if (title) title.textContent = data.into_title || "";
    banner.hidden = false;
    if (live) announce(fmt(gettext("This ticket is now a duplicate of #%(id)s."), { id: data.into }, true));
  }

  function handle(msg, live) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "hello" || msg.type === "ticket.counters") {
      setCounters(msg.data || {});
      return;
    }
    if (typeof msg.seq !== "number") return; // pong, error
    if (msg.seq <= lastSeq) return; // seen already (replay/live seam, reconnects, polling)
    lastSeq = msg.seq;
    root.dataset.seq = String(lastSeq);
    var data = msg.data || {};
    switch (msg.type) {
      case "comment.created":
      case "comment.restored":
        showComment(data, live && msg.type === "comment.created");
        break;
      case "comment.hidden":
        var li = findComment(data.id);
        if (li) li.remove();
        emptyNote();
        break;
      case "offer.created":
      case "offer.updated":
        if (live) refreshPart("offers");
        break;
      case "ticket.merged":
      case "ticket.unmerged":
        showMerged(msg.type, data, live);
        break;
      case "ticket.status_changed":
        setStatus(data.to);
        if (live) announce(fmt(gettext("Status is now: %(status)s"), { status: STATUS[data.to] || data.to }, true));
        refreshActions();
        break;
    }
  }

  // --- socket, backoff, polling fallback -----------------------------------------------------
  var socket = null;
  var failures = 0; // consecutive connections that never went live
  var pollTimer = null;
  var retryTimer = null;
  var POLL_AFTER = 3; // failures before polling starts
  var stopped = false;

  // "Full jitter" (AWS, "Exponential backoff and jitter"): anywhere between 0 and the
  // exponential cap, so thousands of pages dropped together (a server restarted) come back
  // spread over the whole window instead of in one herd; the first try within 2 s.
  function backoff(n) {
    var cap = Math.min(30000, 2000 * Math.pow(2, n));
    return Math.random() * cap;
  }

  function wsUrl() {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + window.location.host + "/ws/tickets/" + ticketId + "/?since=" + lastSeq;
  }

  function connect() {
    if (stopped) return;
    retryTimer = null;
    if (!pollTimer) setState("connecting");
    var opened = false;
    var ws;
    try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    socket = ws;
    var heartbeat = null;
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      // Other scripts of the page (casework.js) see every message too.
      document.dispatchEvent(new CustomEvent("fixline:message", { detail: msg }));
      if (msg.type === "hello") {
        opened = true;
        failures = 0;
        stopPolling();
        setState("live");
      }
      handle(msg, opened);
    };
    ws.onopen = function () {
      heartbeat = setInterval(function () {
        if (ws.readyState === 1) ws.send('{"type":"ping"}');
      }, 25000);
    };
    ws.onclose = function (ev) {
      if (heartbeat) clearInterval(heartbeat);
      if (socket === ws) socket = null;
      if (ev.code === 4404) { stopped = true; setState("offline"); return; }
      if (!opened) failures += 1;
      scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (stopped || retryTimer) return;
    if (failures >= POLL_AFTER) startPolling();
    else setState("offline");
    retryTimer = setTimeout(connect, backoff(failures));
  }

  function poll() {
    return fetch("/api/v1/tickets/" + ticketId + "/events/?since=" + lastSeq, {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (items) {
        if (!Array.isArray(items)) return;
        items.forEach(function (m) { handle(m, true); });
        if (pollTimer) setState("live");
        if (items.length >= 500) return poll(); // more pages
      })
      .catch(function () { if (pollTimer) setState("offline"); });
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(poll, 3000);
    poll();
  }

  function stopPolling() {
    if (!pollTimer) return;
    clearInterval(pollTimer);
    pollTimer = null;
  }

  // Reconnect at once when the network or the tab comes back.
  window.addEventListener("online", function () {
    if (!socket && !stopped) { if (retryTimer) clearTimeout(retryTimer); retryTimer = null; connect(); }
  });

  // --- comment form ----------------------------------------------------------------------------
  var form = q("comment-form");

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function formMessage(text, kind) {
    var note = form.querySelector("[data-form-message]");
    if (!note) {
      note = document.createElement("p");
      note.setAttribute("data-form-message", "");
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.className = "form-message" + (kind ? " form-message-" + kind : "");
    note.textContent = text;
  }

  // Without IndexedDB (no outbox): one try, still with an Idempotency-Key.
  function direct(item) {
    var key = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : String(Date.now()) + Math.random();
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(), "Idempotency-Key": key },
      body: JSON.stringify(item.json)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }

  if (form && window.fetch) {
    form.addEventListener("submit", function (ev) {
      var textarea = form.querySelector('textarea[name="body"]');
      if (!textarea) return;
      ev.preventDefault();
      var body = textarea.value;
      if (!body.trim()) return;
      var button = form.querySelector('[type="submit"]');
      if (button) button.disabled = true;
      // Through the outbox (outbox.js): kept on the device until the server has it, with one
      // Idempotency-Key for every try.
      var item = { kind: "comment", url: "/api/v1/tickets/" + ticketId + "/comments/", json: { body: body }, label: body.slice(0, 60) };
      var sent = window.FixlineOutbox ? window.FixlineOutbox.submit(item) : direct(item);
      sent
        .then(function (res) {
          if (res.queued) {
            textarea.value = "";
            if (window.FixlineOutbox) window.FixlineOutbox.clearDraft(form);
            formMessage(window.FixlineOutbox.QUEUED, "info");
            return;
          }
          if (res.status === 201 || res.status === 202) {
            if (window.FixlineOutbox) window.FixlineOutbox.clearDraft(form);
          }
          res.data = res.data || {};
          if (res.status === 201) {
            textarea.value = "";
            formMessage("", "");
            // The comment shows through its event; if the socket is down, fetch it now.
            if (!socket) poll();
          } else if (res.status === 202) {
            textarea.value = "";
            var li = commentItem({
              id: res.data.id || 0, author: res.data.author || "", official: false,
              body_html: res.data.body_html || "", created_at: res.data.created_at || new Date().toISOString()
            });
            if (!res.data.body_html) li.querySelector(".comment-body").textContent = body;
            li.classList.add("comment-moderated");
            var badge = document.createElement("span");
            badge.className = "badge badge-held";
            badge.textContent = T.held;
            li.querySelector(".comment-head").appendChild(badge);
            if (list) list.appendChild(li);
            emptyNote();
            formMessage(T.held, "info");
          } else {
            // Refused (the text stays in the box to fix): not for the outbox to keep.
            if (res.failed && item.id) window.FixlineOutbox.remove(item.id);
            var detail = (res.data && (res.data.detail || (res.data.body && res.data.body[0]))) || T.failed;
            formMessage(String(detail), "error");
          }
        })
        .catch(function () { formMessage(T.failed, "error"); })
        .then(function () { if (button) button.disabled = false; });
    });
  }

  connect();
})();
