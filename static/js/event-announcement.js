/* A ticket page of an emergency: its latest announcement ([data-testid=event-announcement])
   follows the page's socket. ticket-live.js re-dispatches every socket message as the
   `fixline:message` DOM event; `event.announcement` reaches ticket sockets of the event. */
(function () {
  "use strict";

  var box = document.querySelector("[data-testid=event-announcement]");
  if (!box) { return; }
  var dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { dateStyle: "medium", timeStyle: "short" });

  document.addEventListener("fixline:message", function (event) {
    var message = event.detail || {};
    var d = message.data || {};
    if (message.type !== "event.announcement" || d.event !== box.getAttribute("data-event")) { return; }
    box.querySelector("[data-announcement-body]").textContent = d.body || "";
    var time = box.querySelector("[data-announcement-at]");
    var when = new Date(d.at);
    time.setAttribute("datetime", d.at || "");
    time.textContent = isNaN(when) ? "" : dateFormat.format(when);
    box.hidden = false;
  });
})();
