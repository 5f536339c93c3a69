// The bell: keeps the unread count live over /ws/notifications/ (reconnects with back-off).
// On the notifications page, a new notification is added at the top as it comes ("just
// now", then "2 minutes ago" in the page's language), and marking read elsewhere shows here.
(function () {
  "use strict";
  var bell = document.querySelector('[data-testid="notification-bell"]');
  if (!bell || !window.WebSocket) return;
  var badge = bell.querySelector('[data-testid="notification-count"]');
  var inbox = document.querySelector("[data-live-inbox]");
  var delay = 1000;

  // Counts stop at the server's cap (data-cap): from there the badge says "99+".
  var cap = Number(badge.getAttribute("data-cap")) || Infinity;
  function show(count) {
    badge.textContent = count >= cap ? String(cap - 1) + "+" : String(count);
    badge.setAttribute("data-count", String(count));
    badge.hidden = count === 0;
    var markRead = document.querySelector("[data-mark-read]");
    if (markRead) markRead.hidden = count === 0;
  }

  // "just now" under a minute, then the browser's own words ("2 minutes ago", "il y a 2 minutes").
  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "always" })
    : null;
  function ago(time) {
    var seconds = (Date.now() - new Date(time.getAttribute("datetime")).getTime()) / 1000;
    if (seconds < 60 || !relative) return inbox.getAttribute("data-just-now");
    if (seconds < 3600) return relative.format(-Math.floor(seconds / 60), "minute");
    return relative.format(-Math.floor(seconds / 3600), "hour");
  }
  function refreshTimes() {
    inbox.querySelectorAll("time[data-live-time]").forEach(function (time) {
      time.textContent = ago(time);
    });
  }

  // The pushed text is in the reader's chosen language (or the site's); the page may be in
  // another: its list is read again through the API, which answers in the page's language.
  function added(data) {
    if (!inbox || !data.id) return;
    fetch(inbox.getAttribute("data-list-url") + "?unread=1", {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      return res.json();
    }).then(function (page) {
      var rows = (page.results || []).slice();
      if (!rows.some(function (row) { return row.id === data.id; })) rows.unshift(data);
      rows.reverse().forEach(insert);  // oldest first, so the newest ends at the top
    }).catch(function () { insert(data); });
  }

  function insert(data) {
    if (inbox.querySelector('[data-notification-id="' + data.id + '"]')) return;
    var li = document.createElement("li");
    li.className = "notification-item" + (data.read ? "" : " unread");
    li.setAttribute("data-testid", "notification");
    li.setAttribute("data-notification-id", String(data.id));
    if (!data.read) {
      var dot = document.createElement("span");
      dot.className = "unread-dot";
      dot.setAttribute("aria-hidden", "true");
      var label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = inbox.getAttribute("data-new");
      li.appendChild(dot);
      li.appendChild(label);
    }
    var body = document.createElement("div");
    body.className = "notification-body";
    var link = document.createElement("a");
    link.href = data.url || "#";
    link.textContent = data.text || "";
    var time = document.createElement("time");
    time.className = "notification-time";
    time.setAttribute("data-testid", "notification-time");
    time.setAttribute("data-live-time", "");
    time.setAttribute("datetime", data.created_at || new Date().toISOString());
    time.title = new Date(time.getAttribute("datetime")).toLocaleString(document.documentElement.lang || undefined);
    time.textContent = ago(time);
    body.appendChild(link);
    body.appendChild(time);
    li.appendChild(body);
    // In time order, newest first: a late push of an older one goes below the newer ones.
    var at = new Date(time.getAttribute("datetime")).getTime();
    var before = null;
    inbox.querySelectorAll("[data-notification-id] time[datetime]").forEach(function (other) {
      if (!before && new Date(other.getAttribute("datetime")).getTime() <= at) before = other.closest("li");
    });
    inbox.insertBefore(li, before);
    inbox.hidden = false;
    var empty = document.querySelector('[data-testid="notification-empty"]');
    if (empty) empty.hidden = true;
  }

  function read(ids) {
    if (!inbox) return;
    inbox.querySelectorAll(".notification-item.unread").forEach(function (li) {
      if (ids && ids.indexOf(parseInt(li.getAttribute("data-notification-id"), 10)) === -1) return;
      li.classList.remove("unread");
      li.querySelectorAll(".unread-dot, .visually-hidden").forEach(function (el) { el.remove(); });
    });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + bell.getAttribute("data-ws-path"));
    socket.onopen = function () { delay = 1000; bell.setAttribute("data-live", "live"); };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      var data = message.data || {};
      if (message.type === "notification.created") added(data);
      if (message.type === "notification.read") read(data.ids || null);
      if (typeof data.unread === "number") show(data.unread);
    };
    socket.onclose = function (event) {
      bell.setAttribute("data-live", "offline");
      if (event.code === 4401 || event.code === 4403) return;  // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  if (inbox) setInterval(refreshTimes, 30000);
  connect();
})();
