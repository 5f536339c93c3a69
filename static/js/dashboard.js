/* The agents' dashboard, live: any new ticket or status change in the agent's areas (the
 * public feed /ws/feed/?jurisdiction=<slug>) refreshes the queue from /dashboard/queue/,
 * keeping the boxes that were ticked. "Select all" ticks every row. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var live = document.querySelector("[data-queue-live]");
  if (!live) return;
  var announcer = document.getElementById("queue-announcer");

  function bindSelectAll() {
    var all = live.querySelector("[data-select-all]");
    if (!all) return;
    all.addEventListener("change", function () {
      live.querySelectorAll('input[name="tickets"]').forEach(function (box) { box.checked = all.checked; });
    });
  }

  var pending = null;
  function refresh() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      var checked = {};
      live.querySelectorAll('input[name="tickets"]:checked').forEach(function (box) { checked[box.value] = true; });
      fetch(live.getAttribute("data-queue-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue");
          var current = document.getElementById("queue");
          if (!fresh || !current) return;
          fresh.querySelectorAll('input[name="tickets"]').forEach(function (box) { box.checked = !!checked[box.value]; });
          // Keep the keyboard focus where it was when the table is replaced.
          var focused = document.activeElement && current.contains(document.activeElement) ? document.activeElement.id : "";
          current.replaceWith(fresh);
          if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
          bindSelectAll();
          live.setAttribute("data-refreshed", String(Date.now()));
          if (announcer) {
            announcer.textContent = "";
            setTimeout(function () { announcer.textContent = gettext("The queue was updated."); }, 50);
          }
        })
        .catch(function () {});
    }, 300);
  }

  function connect(path, attempt) {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    var ws;
    try { ws = new WebSocket(proto + "//" + window.location.host + path); } catch (e) { return; }
    ws.onopen = function () { attempt = 0; live.setAttribute("data-live", "live"); };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "ticket.created" || msg.type === "ticket.status_changed") refresh();
    };
    ws.onclose = function (ev) {
      live.setAttribute("data-live", "offline");
      if (ev.code >= 4400 && ev.code < 4500) return;
      var wait = Math.min(30000, 500 * Math.pow(2, attempt + 1));
      setTimeout(function () { connect(path, attempt + 1); refresh(); }, wait / 2 + Math.random() * wait / 2);
    };
  }

  window.fixlineQueueRefresh = refresh; // casework.js: assignment, notes, priority, reroutes
  bindSelectAll();
  (live.getAttribute("data-feeds") || "").split(" ").filter(Boolean).forEach(function (path) {
    if (window.WebSocket) connect(path, 0);
  });
})();
