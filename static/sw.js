/* Fixline's service worker, served at /sw.js (scope /) by project/pwa.py, which puts
 * self.FIXLINE_SW (the hashed URLs of the app shell) in front of this file.
 *
 * - The app shell (styles, scripts, icons, the report form, the offline page) is kept at
 *   install; static files are hashed, so they are served from the cache first.
 * - Pages are network first (4 s), then the copy kept when the person last opened them (the
 *   20 most recent; the JavaScript catalogue too). A copy served from the cache is marked <html data-offline-copy>, so the
 *   page says "offline, as of 18:02".
 * - Writes are never cached: the page's outbox (static/js/outbox.js) keeps them in IndexedDB;
 *   Background Sync ("fixline-outbox") sends them from here when the network is back, even
 *   with the tab closed.
 * - Web Push: shows {title, body, url, tag}; a click opens or focuses url.
 * Workbox is vendored (static/vendor/workbox/): nothing is loaded from a CDN.
 */
/* global workbox, FixlineOutbox */
"use strict";

var CONFIG = self.FIXLINE_SW;
var PAGES = "fixline-pages";
var STATIC = "fixline-static";
var MAX_PAGES = 20;

importScripts(CONFIG.workbox);
workbox.setConfig({
  debug: false,
  modulePathCb: function (name) { return CONFIG.workboxModules[name]; }
});
importScripts(CONFIG.idbKeyval, CONFIG.outbox);

var routing = workbox.routing;
var strategies = workbox.strategies;
var ExpirationPlugin = workbox.expiration.ExpirationPlugin;
var CacheableResponsePlugin = workbox.cacheableResponse.CacheableResponsePlugin;

self.addEventListener("install", function (event) {
  event.waitUntil(
    Promise.all([
      caches.open(STATIC).then(function (cache) { return cache.addAll(CONFIG.shell); }),
      // Best effort: a page that cannot be fetched now is kept the next time it is opened.
      caches.open(PAGES).then(function (cache) {
        return Promise.all(CONFIG.pages.map(function (url) {
          return cache.add(url).catch(function () {});
        }));
      })
    ]).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

// A page served from the cache says so: <html data-offline-copy> (read by static/js/pwa.js).
var markOfflineCopy = {
  cachedResponseWillBeUsed: function (param) {
    var cached = param.cachedResponse;
    if (!cached) return null;
    return cached.text().then(function (html) {
      var headers = new Headers(cached.headers);
      headers.delete("Content-Length");
      return new Response(html.replace("<html", "<html data-offline-copy"), {
        status: cached.status, statusText: cached.statusText, headers: headers
      });
    });
  }
};

function isPage(url, request) {
  if (url.origin !== self.location.origin || request.method !== "GET") return false;
  if (request.mode === "navigate") return !/^\/(admin|api|media|static|ws)\//.test(url.pathname);
  // Pages asked for by the page itself (CACHE_URLS, below) are not navigations.
  return /^\/(tickets\/(new|\d+)\/)?$/.test(url.pathname);
}

var pages = new strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 4,
  // Pages vary on Cookie, Accept-Language and Accept-Encoding: this device's copy is the one.
  matchOptions: { ignoreVary: true },
  plugins: [
    new CacheableResponsePlugin({ statuses: [200] }),
    new ExpirationPlugin({ maxEntries: MAX_PAGES }),
    markOfflineCopy
  ]
});

routing.registerRoute(function (o) { return isPage(o.url, o.request); }, pages);

routing.registerRoute(
  function (o) { return o.url.origin === self.location.origin && o.url.pathname.indexOf("/static/") === 0; },
  new strategies.CacheFirst({
    cacheName: STATIC,
    plugins: [new CacheableResponsePlugin({ statuses: [200] }), new ExpirationPlugin({ maxEntries: 120 })]
  })
);

routing.registerRoute(
  function (o) { return o.url.origin === self.location.origin && o.url.pathname === CONFIG.jsi18n; },
  // The words of the page's language (it may have just changed): the network's when it answers.
  new strategies.NetworkFirst({ cacheName: PAGES, networkTimeoutSeconds: 3, matchOptions: { ignoreVary: true } })
);

routing.registerRoute(
  function (o) { return o.url.origin === self.location.origin && o.url.pathname.indexOf("/media/") === 0; },
  new strategies.CacheFirst({
    cacheName: "fixline-media",
    plugins: [new CacheableResponsePlugin({ statuses: [200] }), new ExpirationPlugin({ maxEntries: 60 })]
  })
);

// A page never opened before, offline: the offline page, which links to the report form.
routing.setCatchHandler(function (o) {
  if (o.request && o.request.mode === "navigate") {
    return caches.match(CONFIG.offline, { cacheName: PAGES, ignoreVary: true }).then(function (r) { return r || Response.error(); });
  }
  return Response.error();
});

// The page asks to keep itself (and what it loaded) the first time it is opened, before this
// worker controlled it: {type: "CACHE_URLS", payload: {urlsToCache: [...]}}.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "CACHE_URLS" || !data.payload) return;
  event.waitUntil(Promise.all((data.payload.urlsToCache || []).map(function (url) {
    var request = new Request(url, { credentials: "same-origin" });
    var parsed = new URL(request.url);
    if (parsed.origin !== self.location.origin) return null;
    if (isPage(parsed, request)) return pages.handle({ request: request, event: event }).catch(function () {});
    return caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) { return hit || cache.add(request); });
    }).catch(function () {});
  })));
});

// --- Background Sync: the outbox, sent from here when the network is back -----------------
self.addEventListener("sync", function (event) {
  if (event.tag === "fixline-outbox") {
    event.waitUntil(FixlineOutbox.flush().then(function (state) {
      // Still waiting (the network went again): ask for another sync later.
      if (state.waiting > 0) throw new Error("outbox not empty");
    }));
  }
});

// --- Web Push -------------------------------------------------------------------------------
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data && event.data.text() }; }
  var title = data.title || "Fixline";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: CONFIG.icon,
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === url && "focus" in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
