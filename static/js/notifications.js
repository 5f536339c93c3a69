// The bell: keeps the unread count live over /ws/notifications/ (reconnects with back-off).
(function () {
  "use strict";
  var bell = document.querySelector('[data-testid="notification-bell"]');
  if (!bell || !window.WebSocket) return;
  var badge = bell.querySelector('[data-testid="notification-count"]');
  var delay = 1000;

  function show(count) {
    badge.textContent = String(count);
    badge.setAttribute("data-count", String(count));
    badge.hidden = count === 0;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + bell.getAttribute("data-ws-path"));
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      var data = message.data || {};
      if (typeof data.unread === "number") show(data.unread);
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) return;  // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
