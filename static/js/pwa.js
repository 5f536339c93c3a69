/* The installable app, page side (docs/offline.md): registers the service worker (/sw.js),
 * asks it to keep the page just opened, says "Offline — as of 18:02" when the page is a copy
 * kept on the device or the network is gone, and offers Web Push ("Notify me on this device")
 * when the server has a push key (<body data-push-key>). */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) {
    return s.replace(/%\((\w+)\)s/g, function (_m, k) { return o[k]; });
  };
  var html = document.documentElement;

  // --- Offline state ---------------------------------------------------------------------
  var banner = document.querySelector('[data-testid="offline-state"]');
  function asOf() {
    var meta = document.querySelector('meta[name="fixline-rendered-at"]');
    var at = new Date(meta ? meta.content : Date.now());
    var lang = html.lang || undefined;
    var time = at.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    if (new Date().toDateString() === at.toDateString()) return time;
    return at.toLocaleDateString(lang, { day: "numeric", month: "short" }) + " " + time;
  }
  function showOffline() {
    var copy = html.hasAttribute("data-offline-copy");
    var offline = copy || navigator.onLine === false;
    if (!banner) return;
    banner.hidden = !offline;
    banner.setAttribute("data-state", offline ? "offline" : "online");
    if (offline) {
      banner.textContent = fmt(gettext("Offline — as of %(time)s. What you send waits on this device."), { time: asOf() }, true);
    }
  }
  window.addEventListener("offline", showOffline);
  window.addEventListener("online", function () {
    // A kept copy stays a copy until it is reloaded; a live page is live again.
    // (after the outbox has sent what waited, so no send is cut off by the reload)
    if (!html.hasAttribute("data-offline-copy")) { showOffline(); return; }
    var sent = window.FixlineOutbox ? window.FixlineOutbox.flush() : Promise.resolve();
    sent.catch(function () {}).then(function () { window.location.reload(); });
  });
  showOffline();

  // Signing out forgets the copies of pages read while signed in (they may show private things).
  document.querySelectorAll("form[data-clear-offline]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.caches || form.dataset.cleared) return;
      ev.preventDefault();
      form.dataset.cleared = "1";
      var done = function () { HTMLFormElement.prototype.submit.call(form); };
      window.caches.delete("fixline-pages").then(done, done);
    });
  });

  // --- Service worker --------------------------------------------------------------------
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  function keepThisPage() {
    var urls = [window.location.href];
    document.querySelectorAll("script[src], link[rel=stylesheet][href]").forEach(function (el) {
      urls.push(el.src || el.href);
    });
    var worker = navigator.serviceWorker.controller;
    if (worker) worker.postMessage({ type: "CACHE_URLS", payload: { urlsToCache: urls } });
  }
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* no offline copy then */ });
  // The first page was loaded before the worker ran: hand it over once the worker controls us.
  // (Once it controls the pages, it keeps them as they are opened.)
  if (!navigator.serviceWorker.controller) {
    navigator.serviceWorker.addEventListener("controllerchange", keepThisPage, { once: true });
  }

  // --- Web Push ----------------------------------------------------------------------------
  var key = document.body.getAttribute("data-push-key");
  var toggles = document.querySelectorAll("[data-push-toggle]");
  if (!key || !toggles.length || !("PushManager" in window) || !("Notification" in window)) return;

  function keyBytes(b64) {
    var raw = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function api(method, body) {
    return fetch("/api/v1/push/subscriptions/", {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r; });
  }

  function show(on, message) {
    toggles.forEach(function (box) {
      box.hidden = false;
      var b = box.querySelector("button");
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.textContent = on ? gettext("Notifications on this device: on — turn off") : gettext("Notify me on this device");
      var status = box.querySelector("[data-push-status]");
      if (status) status.textContent = message || "";
    });
  }

  navigator.serviceWorker.ready.then(function (reg) {
    return reg.pushManager.getSubscription().then(function (sub) {
      show(!!sub);
      toggles.forEach(function (box) {
        box.querySelector("button").addEventListener("click", function () {
          reg.pushManager.getSubscription().then(function (current) {
            if (current) {
              return api("DELETE", { endpoint: current.endpoint })
                .then(function () { return current.unsubscribe(); })
                .then(function () { show(false, gettext("Notifications turned off.")); });
            }
            return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) })
              .then(function (made) {
                var json = made.toJSON();
                return api("POST", { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } });
              })
              .then(function () { show(true, gettext("Notifications turned on for this device.")); });
          }).catch(function () {
            show(false, Notification.permission === "denied"
              ? gettext("Notifications are blocked in this browser's settings.")
              : gettext("Notifications could not be turned on. Try again later."));
          });
        });
      });
    });
  });
})();
