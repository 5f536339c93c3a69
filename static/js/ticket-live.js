/* Fixline: the ticket page, live. No build step, no dependencies.
 *
 * Connects to /ws/tickets/<id>/?since=<seq the page was rendered at>, renders durable events
 * (comments, hides, restores, status changes) and counters in place, and keeps
 * [data-testid=live-state] at connecting / live / offline. Every durable event carries a
 * per-ticket seq: the last one seen is kept, events at or below it are ignored (dedupe), and a
 * reconnect resumes with since=<last seq>, so nothing is missed and nothing shows twice.
 * Reconnects back off exponentially with jitter; after repeated failures it polls
 * GET /api/v1/tickets/<id>/events/?since=N instead, and keeps trying the socket now and then.
 * The reply box (the comment form, whose status buttons post a transition with the text as its
 * note) goes through the API without a reload; what it makes appears once, through its event.
 * Comments and status changes share one timeline. Everyone may flag a comment or the ticket;
 * moderators hide, restore and take down from here (docs/ticket-page.md).
 */
(function () {
  "use strict";

  var root = document.getElementById("ticket");
  if (!root || !root.dataset.ticketId) return;

  var ticketId = root.dataset.ticketId;
  var lastSeq = parseInt(root.dataset.seq || "0", 10) || 0;
  var moderator = root.hasAttribute("data-moderator");
  var maySeeHidden = root.hasAttribute("data-may-see-hidden");
  var slowMode = parseInt(root.dataset.slowMode || "0", 10) || 0;
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
    hidden: gettext("Hidden"),
    failed: gettext("The comment could not be posted."),
    someone: gettext("Someone"),
    needsReason: gettext("Say why the ticket should be reopened."),
    needsText: gettext("Write something first."),
    flagTwice: gettext("You already reported this: a moderator will look."),
    actionFailed: gettext("That did not work. Try again."),
    takenDown: gettext("This ticket was taken down by moderators.")
  };

  // One date format everywhere (the server's DATETIME_FORMAT looks the same): medium date,
  // short time, in the site's time zone.
  var dateFormat = null;
  try {
    dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      { dateStyle: "medium", timeStyle: "short", timeZone: root.dataset.timezone || undefined });
  } catch (e) {
    try { dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" }); }
    catch (e2) { dateFormat = null; }
  }
  function formatDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso || "";
    return dateFormat ? dateFormat.format(d) : d.toLocaleString();
  }
  function timeEl(iso) {
    var time = document.createElement("time");
    time.className = "comment-time";
    time.setAttribute("datetime", iso);
    time.textContent = formatDate(iso);
    return time;
  }

  // Paragraphs and links of a plain text, as the server's render_body does (escaped: textContent).
  function renderText(text) {
    var box = document.createDocumentFragment();
    String(text || "").split(/\n{2,}/).forEach(function (para) {
      if (!para.trim()) return;
      var p = document.createElement("p");
      para.split(/(https?:\/\/[^\s<>"]+)/).forEach(function (part, i) {
        if (i % 2 === 1) {
          var a = document.createElement("a");
          a.href = part; a.rel = "nofollow"; a.textContent = part;
          p.appendChild(a);
        } else {
          part.split("\n").forEach(function (line, j) {
            if (j) p.appendChild(document.createElement("br"));
            p.appendChild(document.createTextNode(line));
          });
        }
      });
      box.appendChild(p);
    });
    return box;
  }

  function fromTemplate(id) {
    var t = document.getElementById(id);
    return t && t.content ? t.content.firstElementChild.cloneNode(true) : null;
  }

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

  // A comment whose author gave no name is signed "Anonymous" in this page's language (the
  // event carries the word in its writer's).
  function authorName(data) {
    return data.anonymous ? gettext("Anonymous") : data.author;
  }

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
    author.textContent = authorName(data);
    head.appendChild(author);
    if (data.official) {
      var badge = document.createElement("span");
      badge.className = "badge badge-official";
      badge.setAttribute("data-testid", "official-badge");
      badge.textContent = T.official;
      head.appendChild(document.createTextNode(" "));
      head.appendChild(badge);
    }
    head.appendChild(document.createTextNode(" "));
    head.appendChild(timeEl(data.created_at));
    li.setAttribute("data-at", data.created_at);
    var body = document.createElement("div");
    body.className = "comment-body";
    body.innerHTML = data.body_html; // rendered and escaped by the server (same as the page)
    li.appendChild(head);
    li.appendChild(body);
    setTools(li, false);
    return li;
  }

  // The flag / hide / restore buttons of a comment (the page's <template>, so the words are the
  // server's): hide for a shown comment, restore for a hidden one.
  function setTools(li, hidden) {
    var old = li.querySelector("[data-comment-tools]");
    var tools = fromTemplate("comment-tools-template");
    if (!tools) return;
    var drop = tools.querySelector(hidden ? '[data-testid="hide-button"]' : '[data-testid="restore-button"]');
    if (drop) drop.remove();
    if (old) old.replaceWith(tools); else li.appendChild(tools);
  }

  // A moderator's copy keeps a hidden comment, marked; the public's loses it.
  function markHidden(li, hidden) {
    // Already so (the acting copy did it on the answer; the event follows): keep the focus.
    var current = li.querySelector(hidden ? '[data-testid="restore-button"]' : '[data-testid="hide-button"]');
    if (li.hasAttribute("data-hidden") === hidden && (current || !moderator)) return;
    li.classList.toggle("comment-moderated", hidden);
    if (hidden) li.setAttribute("data-hidden", ""); else li.removeAttribute("data-hidden");
    var badge = li.querySelector('[data-testid="hidden-badge"]');
    if (hidden && !badge) {
      badge = document.createElement("span");
      badge.className = "badge badge-hidden";
      badge.setAttribute("data-testid", "hidden-badge");
      badge.textContent = T.hidden;
      var time = li.querySelector(".comment-head time");
      li.querySelector(".comment-head").insertBefore(badge, time);
    } else if (!hidden && badge) {
      badge.remove();
    }
    var form = li.querySelector(".moderation-form");
    if (form) form.remove();
    setTools(li, hidden);
  }

  // Timeline order is time order (comments and status changes); most arrive at the end.
  function insertInOrder(li) {
    var at = Date.parse(li.getAttribute("data-at") || "") || Date.now();
    var before = null;
    for (var i = list.children.length - 1; i >= 0; i--) {
      var other = Date.parse(list.children[i].getAttribute("data-at") || "");
      if (!(other > at)) break;
      before = list.children[i];
    }
    list.insertBefore(li, before);
  }

  function statusItem(data, at) {
    var li = document.createElement("li");
    li.className = "status-entry status-entry-" + data.to;
    li.setAttribute("data-testid", "status-change");
    li.setAttribute("data-to", data.to);
    li.setAttribute("data-at", at);
    var head = document.createElement("div");
    head.className = "comment-head";
    var text = document.createElement("span");
    text.className = "status-entry-text";
    text.textContent = fmt(gettext("%(who)s: %(from)s → %(to)s"), {
      who: data.by || T.someone, from: STATUS[data.from] || data.from, to: STATUS[data.to] || data.to
    }, true);
    head.appendChild(text);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(timeEl(at));
    li.appendChild(head);
    if (data.note) {
      var note = document.createElement("div");
      note.className = "comment-body status-note";
      note.setAttribute("data-testid", "status-note");
      note.appendChild(renderText(data.note));
      li.appendChild(note);
    }
    return li;
  }

  function setUpdated(at) {
    var el = q("ticket-updated");
    if (!el || !at) return;
    el.setAttribute("datetime", at);
    el.textContent = formatDate(at);
  }

  // The map's pin (Leaflet's divIcon, or the server-drawn dot without it) takes the new colour.
  function setPin(status) {
    var map = q("map");
    if (!map) return;
    map.querySelectorAll(".ticket-pin, .map-dot").forEach(function (pin) {
      var prefix = pin.classList.contains("ticket-pin") ? "ticket-pin-" : "map-dot-";
      ["open", "acknowledged", "closed"].forEach(function (s) { pin.classList.remove(prefix + s); });
      pin.classList.add(prefix + status);
    });
    map.setAttribute("data-pin-status", status);
  }

  // Takedown: the public copy loses every text of the ticket; its reporter and moderators keep
  // it, under a "Hidden" banner.
  function ticketHidden(hidden, live) {
    if (hidden) root.setAttribute("data-hidden", ""); else root.removeAttribute("data-hidden");
    if (maySeeHidden) {
      var banner = q("ticket-hidden-banner");
      if (banner) banner.hidden = !hidden;
      var down = q("takedown-button"), up = q("ticket-restore-button");
      if (down) down.hidden = hidden;
      if (up) up.hidden = !hidden;
      var form = root.querySelector(".ticket-tools .moderation-form");
      if (form) form.remove();
      return;
    }
    if (hidden) {
      root.querySelectorAll(".ticket-layout, .ticket-kicker, .ticket-tools, .ticket-status-line, #comment-tools-template")
        .forEach(function (el) { el.remove(); });
      var title = root.querySelector("h1");
      if (title) title.textContent = T.takenDown;
      document.title = T.takenDown;
      var notice = q("ticket-taken-down");
      if (notice) notice.hidden = false;
      if (live) announce(T.takenDown);
    } else if (live && !root.querySelector(".ticket-layout")) {
      window.location.reload(); // restored: its text comes back with the page
    }
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
      insertInOrder(li);
      if (announceIt) announce(fmt(gettext("New comment from %(author)s"), { author: authorName(data) }, true));
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
    setUpdated(msg.at); // every logged event is the ticket's last update
    switch (msg.type) {
      case "comment.restored":
        var shown = findComment(data.id);
        if (shown && !shown.hasAttribute("data-hidden")) break; // restored here already
        showComment(data, false);
        break;
      case "comment.created":
        showComment(data, live);
        break;
      case "comment.hidden":
        var li = findComment(data.id);
        if (li && moderator) markHidden(li, true);
        else if (li) li.remove();
        emptyNote();
        break;
      case "ticket.hidden":
      case "ticket.restored":
        ticketHidden(msg.type === "ticket.hidden", live);
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
        setPin(data.to);
        if (list && data.from && data.to) { insertInOrder(statusItem(data, msg.at)); emptyNote(); }
        if (live) {
          var said = fmt(gettext("Status is now: %(status)s"), { status: STATUS[data.to] || data.to }, true);
          announce(data.note ? said + " — " + data.note : said);
        }
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

  // --- the reply box -----------------------------------------------------------------------------
  var form = q("comment-form");

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function messageIn(box, text, kind) {
    var note = box.querySelector("[data-form-message]");
    if (!note) {
      note = document.createElement("p");
      note.setAttribute("data-form-message", "");
      note.setAttribute("role", "status");
      box.appendChild(note);
    }
    note.className = "form-message" + (kind ? " form-message-" + kind : "");
    note.textContent = text;
  }
  function formMessage(text, kind) { messageIn(form, text, kind); }

  // One JSON POST with the session cookie and an Idempotency-Key; resolves to
  // {status, data, retryAfter} (also used without IndexedDB, where there is no outbox).
  function newKey() {
    return window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  function post(url, json, key) {
    key = key || newKey();
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(), "Idempotency-Key": key },
      body: JSON.stringify(json)
    }).then(function (r) {
      var retryAfter = parseInt(r.headers.get("Retry-After") || "0", 10) || 0;
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data || {}, retryAfter: retryAfter };
      });
    });
  }
  function direct(item) { return post(item.url, item.json, item.key); }

  function errorText(data, fallback) {
    if (!data || typeof data !== "object") return fallback;
    if (data.detail) return String(data.detail);
    for (var k in data) {
      if (Array.isArray(data[k]) && data[k].length) return String(data[k][0]);
    }
    return fallback;
  }

  // Slow mode: the post button waits, with a countdown, until one may post again.
  var countdownTimer = null;
  function countdown(seconds) {
    var button = form && form.querySelector('[data-testid="comment-submit"]');
    if (!button || !(seconds > 0)) return;
    var label = button.dataset.label || button.textContent;
    var left = Math.ceil(seconds);
    if (countdownTimer) clearInterval(countdownTimer);
    function tick() {
      if (left <= 0) {
        clearInterval(countdownTimer);
        countdownTimer = null;
        button.disabled = false;
        button.textContent = label;
        button.removeAttribute("data-countdown");
        return;
      }
      button.disabled = true;
      button.setAttribute("data-countdown", String(left));
      button.textContent = fmt(gettext("Post again in %(seconds)s s"), { seconds: left }, true);
      left -= 1;
    }
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  function sendComment(textarea, body, button) {
    // Through the outbox (outbox.js): kept on the device until the server has it, with one
    // Idempotency-Key for every try. In slow mode, straight, so a 429 can say when to retry.
    var item = { kind: "comment", url: "/api/v1/tickets/" + ticketId + "/comments/", json: { body: body }, label: body.slice(0, 60), key: newKey() };
    var outbox = window.FixlineOutbox && !slowMode ? window.FixlineOutbox : null;
    var sent = outbox ? outbox.submit(item) : direct(item).catch(function (err) {
      // No network, or the answer was lost: keep it on the device after all, under the same
      // Idempotency-Key, so the server writes it once whichever try reached it.
      if (!window.FixlineOutbox) throw err;
      outbox = window.FixlineOutbox;
      return outbox.submit(item);
    });
    return sent.then(function (res) {
      if (res.queued) {
        textarea.value = "";
        outbox.clearDraft(form);
        formMessage(outbox.QUEUED, "info");
        return;
      }
      res.data = res.data || {};
      if (res.status === 201 || res.status === 202) {
        if (window.FixlineOutbox) window.FixlineOutbox.clearDraft(form);
        textarea.value = "";
        if (slowMode && !moderator) setTimeout(function () { countdown(slowMode); }, 0);
      }
      if (res.status === 201) {
        formMessage("", "");
        // The comment shows through its event; if the socket is down, fetch it now.
        if (!socket) poll();
      } else if (res.status === 202) {
        var li = commentItem({
          id: res.data.id || 0, author: res.data.author || "", anonymous: res.data.anonymous, official: false,
          body_html: res.data.body_html || "", created_at: res.data.created_at || new Date().toISOString()
        });
        if (!res.data.body_html) li.querySelector(".comment-body").textContent = body;
        li.classList.add("comment-moderated");
        var tools = li.querySelector("[data-comment-tools]");
        if (tools) tools.remove();
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
        formMessage(errorText(res.data, T.failed), "error");
        if (res.status === 429) setTimeout(function () { countdown(res.retryAfter || slowMode || 1); }, 0);
      }
    });
  }

  function sendTransition(textarea, body, action) {
    return post("/api/v1/tickets/" + ticketId + "/transitions/", { action: action, note: body })
      .then(function (res) {
        if (res.status === 200) {
          textarea.value = "";
          if (window.FixlineOutbox) window.FixlineOutbox.clearDraft(form);
          formMessage("", "");
          // The timeline entry comes through its event; without a socket, fetch it now.
          if (!socket) poll();
        } else {
          formMessage(errorText(res.data, T.actionFailed), "error");
        }
      });
  }

  // "Reply" (above the counters on a phone) takes the thumb straight into the box.
  var replyLink = q("reply-link");
  var replyBox = form && form.querySelector('textarea[name="body"]');
  if (replyLink && replyBox) {
    replyLink.addEventListener("click", function (ev) {
      ev.preventDefault();
      replyBox.scrollIntoView({ block: "center" });
      replyBox.focus();
    });
  }

  var lastSubmitter = null;
  if (form) {
    form.addEventListener("click", function (ev) {
      var b = ev.target.closest && ev.target.closest("button[type=submit]");
      if (b) lastSubmitter = b;
    });
  }

  if (form && window.fetch) {
    form.addEventListener("submit", function (ev) {
      var textarea = form.querySelector('textarea[name="body"]');
      if (!textarea) return;
      ev.preventDefault();
      var submitter = ev.submitter || lastSubmitter;
      lastSubmitter = null;
      var action = submitter && submitter.dataset.action;
      var body = textarea.value;
      if (!action && !body.trim()) { formMessage(T.needsText, "error"); textarea.focus(); return; }
      if (action && submitter.hasAttribute("data-needs-reason") && !body.trim()) {
        formMessage(T.needsReason, "error");
        textarea.focus();
        return;
      }
      var buttons = form.querySelectorAll("[type=submit]");
      buttons.forEach(function (b) { b.setAttribute("data-busy", ""); b.disabled = true; });
      var sent = action ? sendTransition(textarea, body, action) : sendComment(textarea, body);
      sent
        .catch(function () { formMessage(T.failed, "error"); })
        .then(function () {
          form.querySelectorAll("[data-busy]").forEach(function (b) {
            b.removeAttribute("data-busy");
            if (!b.hasAttribute("data-countdown")) b.disabled = false;
          });
        });
    });
  }

  // --- flag, hide, restore, take down ---------------------------------------------------------
  var formCount = 0;

  // Opens a small form (from the page's <template>) after `host`'s tools, focused; Escape or
  // Cancel closes it and gives the focus back to the button that opened it.
  function openForm(button, templateId, place, onSubmit) {
    var open = place.querySelector(":scope > form");
    if (open) {
      var same = open.getAttribute("data-opened-by") === button.getAttribute("data-testid");
      open.remove();
      button.setAttribute("aria-expanded", "false");
      if (same) return null;
    }
    var f = fromTemplate(templateId);
    if (!f) return null;
    formCount += 1;
    f.setAttribute("data-opened-by", button.getAttribute("data-testid"));
    f.querySelectorAll("[data-id]").forEach(function (el) { el.id = "tp-" + el.getAttribute("data-id") + "-" + formCount; });
    f.querySelectorAll("label[data-for]").forEach(function (l) { l.htmlFor = "tp-" + l.getAttribute("data-for") + "-" + formCount; });
    function close() {
      f.remove();
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
    f.querySelector("[data-cancel]").addEventListener("click", close);
    f.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { ev.preventDefault(); close(); } });
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var submit = f.querySelector("[type=submit]");
      submit.disabled = true;
      onSubmit(f, close).catch(function () { messageIn(f, T.actionFailed, "error"); })
        .then(function () { submit.disabled = false; });
    });
    place.appendChild(f);
    button.setAttribute("aria-expanded", "true");
    var first = f.querySelector("select, input, textarea");
    if (first) first.focus();
    return f;
  }

  function flagDone(place, f) {
    var done = fromTemplate("flag-done-template");
    if (f) f.remove();
    var old = place.querySelector('[data-testid="flag-done"]');
    if (old) old.remove();
    if (done) place.appendChild(done);
  }

  function flag(button, url, place) {
    var old = place.querySelector('[data-testid="flag-done"]');
    if (old) old.remove();
    openForm(button, "flag-form-template", place, function (f) {
      return post(url, { reason: f.querySelector("select[name=reason]").value }).then(function (res) {
        if (res.status === 201) { flagDone(place, f); button.setAttribute("aria-expanded", "false"); }
        else if (res.status === 409) messageIn(f, T.flagTwice, "info");
        else messageIn(f, errorText(res.data, T.actionFailed), "error");
      });
    });
  }

  function moderate(button, url, place, after) {
    var f = openForm(button, "moderation-form-template", place, function (f2) {
      return post(url, { reason: f2.querySelector("[name=reason]").value }).then(function (res) {
        if (res.status === 200) { f2.remove(); after(); }
        else messageIn(f2, errorText(res.data, T.actionFailed), "error");
      });
    });
    if (f) f.querySelector("[data-submit-label]").textContent = button.textContent;
  }

  root.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button");
    if (!button || !root.contains(button)) return;
    var testid = button.getAttribute("data-testid");
    var li = button.closest('[data-testid="comment"]');
    if (testid === "ticket-flag-button") {
      flag(button, button.dataset.flagUrl, button.closest("[data-ticket-tools]"));
    } else if (testid === "takedown-button" || testid === "ticket-restore-button") {
      var hide = testid === "takedown-button";
      moderate(button, button.dataset.moderateUrl, button.closest("[data-ticket-tools]"), function () {
        ticketHidden(hide, false);
        (hide ? q("ticket-restore-button") : q("takedown-button")).focus();
      });
    } else if (li && testid === "flag-button") {
      flag(button, "/api/v1/comments/" + li.dataset.commentId + "/flag/", li);
    } else if (li && (testid === "hide-button" || testid === "restore-button")) {
      var action = button.dataset.moderate;
      var commentId = li.dataset.commentId;
      moderate(button, "/api/v1/comments/" + commentId + "/" + action + "/", li, function () {
        // The event updates every copy, this one too; do it now so the focus has a home
        // (the event may have come first and replaced the item).
        var now = findComment(commentId) || li;
        markHidden(now, action === "hide");
        var next = now.querySelector(action === "hide" ? '[data-testid="restore-button"]' : '[data-testid="hide-button"]');
        if (next) next.focus();
      });
    }
  });

  connect();
})();
