/* The outbox (docs/offline.md): what a person sends is kept on the device until the server
 * has it, so nothing is lost by a dead network, a reload or a closed tab, and nothing is
 * written twice.
 *
 * Each item (a report with its photos, a comment, an offer, a follow...) is stored in
 * IndexedDB (vendored idb-keyval) with an Idempotency-Key made when it was composed; every
 * try sends the same key, so a retry after a timeout answers the first answer again instead of
 * writing again. Items go oldest first; one that cannot reach the server stops the line (so
 * the order holds) and is tried again on `online`, on load, every little while, and by the
 * service worker's Background Sync. One the server refuses (a 4xx) is marked failed, with the
 * reason, for the person to see and discard.
 *
 * The core (add, flush) also runs in the service worker; the rest (the "2 waiting to send"
 * list, drafts saved as typed, the form hooks) only in a page.
 */
(function (global) {
  "use strict";

  var idb = global.idbKeyval;
  if (!idb || !global.indexedDB) return;
  var store = idb.createStore("fixline-outbox", "items");
  var inPage = typeof document !== "undefined";
  var channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("fixline-outbox") : null;
  var results = {}; // id -> what the server answered, for the page that sent it
  var listeners = [];

  function uuid() {
    if (global.crypto && global.crypto.randomUUID) return global.crypto.randomUUID();
    var b = global.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfFromCookie() {
    if (!inPage) return "";
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function list() {
    return idb.values(store).then(function (items) {
      return items.sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }

  function changed() {
    listeners.forEach(function (fn) { try { fn(); } catch (e) { /* a listener's problem */ } });
    if (channel) channel.postMessage("changed");
  }
  if (channel) channel.onmessage = function () { listeners.forEach(function (fn) { fn(); }); };

  /* item: {kind, url, label, json: {...}} or {kind, url, label, fields: [[k, v]], files: [[k, Blob, name]]} */
  function add(item) {
    item.id = uuid();
    // The Idempotency-Key, the same for every try (and for a direct try made before it was kept).
    item.key = item.key || item.id;
    item.createdAt = Date.now();
    item.status = "waiting";
    item.tries = 0;
    item.csrf = item.csrf || csrfFromCookie(); // the worker cannot read cookies
    return idb.set(item.id, item, store).then(function () { changed(); return item; });
  }

  function remove(id) { return idb.del(id, store).then(changed); }

  function body(item) {
    if (item.json) return JSON.stringify(item.json);
    var data = new FormData();
    (item.fields || []).forEach(function (f) { data.append(f[0], f[1]); });
    (item.files || []).forEach(function (f) { data.append(f[0], f[1], f[2]); });
    return data;
  }

  function messagesIn(html, selector) {
    if (typeof DOMParser === "undefined" || !html) return [];
    var doc = new DOMParser().parseFromString(html, "text/html");
    return Array.prototype.map.call(doc.querySelectorAll(selector), function (el) {
      return el.textContent.replace(/\s+/g, " ").trim();
    }).filter(Boolean);
  }

  // One try. {done, status, data, url, messages} | {retry} | {failed, status, error}
  function send(item) {
    var headers = { "Idempotency-Key": item.key, "X-CSRFToken": csrfFromCookie() || item.csrf };
    if (item.json) { headers["Content-Type"] = "application/json"; headers.Accept = "application/json"; }
    var controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, 30000);
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", headers: headers, body: body(item),
      signal: controller ? controller.signal : undefined
    }).then(function (r) {
      if (timer) clearTimeout(timer);
      return r.text().then(function (text) {
        var data = null;
        try { data = text && item.json ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (r.ok) {
          return { done: true, status: r.status, data: data, url: r.url, messages: messagesIn(text, ".messages li") };
        }
        // Busy, rate-limited, or a CSRF token the worker cannot refresh: try again later.
        if (r.status >= 500 || r.status === 408 || r.status === 429 || (r.status === 403 && !inPage)) {
          return { retry: true, status: r.status };
        }
        var reasons = item.json ? [] : messagesIn(text, "[role=alert]");
        var detail = data && (data.detail || firstError(data));
        return { failed: true, status: r.status, data: data, error: detail || reasons.join(" ") || String(r.status) };
      });
    }, function () {
      if (timer) clearTimeout(timer);
      return { retry: true, status: 0 };
    });
  }

  function firstError(data) {
    if (!data || typeof data !== "object") return "";
    for (var k in data) {
      if (Array.isArray(data[k]) && data[k].length) return String(data[k][0]);
    }
    return "";
  }

  function withLock(fn) {
    if (global.navigator && global.navigator.locks) {
      return global.navigator.locks.request("fixline-outbox", fn);
    }
    return fn();
  }

  // Send what waits, oldest first. Resolves to {waiting: how many are left to send}.
  function flush() {
    return withLock(function () {
      return list().then(function (items) {
        var stop = false;
        var chain = Promise.resolve();
        items.forEach(function (item) {
          chain = chain.then(function () {
            if (stop || item.status === "failed") return;
            item.status = "sending";
            item.tries += 1;
            return idb.set(item.id, item, store).then(function () { changed(); return send(item); }).then(function (res) {
              results[item.id] = res;
              if (res.done) return remove(item.id);
              if (res.retry) {
                stop = true; // keep the order: nothing newer goes ahead of it
                item.status = "waiting";
              } else {
                item.status = "failed";
                item.error = res.error;
              }
              return idb.set(item.id, item, store).then(changed);
            });
          });
        });
        return chain.then(list).then(function (left) {
          return { waiting: left.filter(function (i) { return i.status !== "failed"; }).length };
        });
      });
    });
  }

  function askForSync() {
    if (!inPage || !navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("fixline-outbox");
    }).catch(function () { /* no Background Sync here: the page sends on `online` */ });
  }

  // Add, try at once; resolves to the server's answer ({done...}/{failed...}) or {queued: true}.
  function submit(item) {
    return add(item).then(function (stored) {
      return flush().catch(function () {}).then(function () {
        var res = results[stored.id];
        if (res && (res.done || res.failed)) return res;
        schedule();
        askForSync();
        return { queued: true };
      });
    });
  }

  var retryTimer = null;
  var retryDelay = 2000;
  function schedule() {
    if (!inPage || retryTimer) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      if (navigator.onLine === false) return; // `online` will call us
      flush().then(function (state) {
        retryDelay = state.waiting ? Math.min(retryDelay * 2, 60000) : 2000;
        if (state.waiting) schedule();
      }).catch(function () { schedule(); });
    }, retryDelay);
  }

  var api = {
    add: add, submit: submit, flush: flush, list: list, remove: remove, uuid: uuid,
    onChange: function (fn) { listeners.push(fn); },
    retry: function (id) {
      return idb.get(id, store).then(function (item) {
        if (!item) return;
        item.status = "waiting";
        item.error = "";
        return idb.set(id, item, store);
      }).then(changed).then(flush);
    }
  };
  global.FixlineOutbox = api;
  if (!inPage) return;

  // --- In a page: the list, drafts and forms ---------------------------------------------
  var gettext = global.gettext || function (s) { return s; };
  var fmt = global.interpolate || function (s, o) {
    return s.replace(/%\((\w+)\)s/g, function (_m, k) { return o[k]; });
  };

  function render() {
    var box = document.querySelector('[data-testid="outbox"]');
    if (!box) return;
    list().then(function (items) {
      var count = box.querySelector('[data-testid="outbox-count"]');
      count.textContent = String(items.length);
      count.setAttribute("data-count", String(items.length));
      var failed = items.filter(function (i) { return i.status === "failed"; }).length;
      box.querySelector("[data-outbox-summary]").textContent = failed
        ? fmt(gettext("waiting to send, %(failed)s refused"), { failed: failed }, true)
        : gettext("waiting to send");
      var ul = box.querySelector("[data-outbox-list]");
      ul.textContent = "";
      items.forEach(function (item) { ul.appendChild(row(item)); });
      box.hidden = items.length === 0;
    });
  }

  var STATUS = {
    waiting: gettext("Waiting for the network"),
    sending: gettext("Sending…"),
    failed: gettext("Not accepted")
  };
  var KIND = {
    report: gettext("Report"), comment: gettext("Comment"), offer: gettext("Offer of help"),
    follow: gettext("Follow"), reaction: gettext("Reaction")
  };

  function row(item) {
    var li = document.createElement("li");
    li.className = "outbox-item outbox-" + item.status;
    li.setAttribute("data-testid", "outbox-item");
    li.setAttribute("data-status", item.status);
    li.setAttribute("data-kind", item.kind);
    var what = document.createElement("span");
    what.className = "outbox-what";
    what.textContent = (KIND[item.kind] || item.kind) + (item.label ? ": " + item.label : "");
    var state = document.createElement("span");
    state.className = "outbox-state";
    state.setAttribute("data-testid", "outbox-item-status");
    state.textContent = STATUS[item.status] + (item.error ? " — " + item.error : "");
    li.appendChild(what);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(state);
    if (item.status === "failed") {
      li.appendChild(button(gettext("Try again"), function () { api.retry(item.id); }));
      li.appendChild(button(gettext("Discard"), function () {
        if (global.confirm(gettext("Discard it? It has not been sent."))) remove(item.id);
      }));
    }
    return li;
  }

  function button(text, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link-button";
    b.textContent = text;
    b.addEventListener("click", onclick);
    return b;
  }

  api.onChange(render);

  // --- Drafts: every form with data-draft keeps what is typed, until it is sent ----------
  var DRAFT = "fixline-draft:";
  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "file" &&
        el.type !== "hidden" && el.type !== "submit" && el.type !== "button";
    });
  }
  function saveDraft(form) {
    var values = {};
    draftFields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) (values[el.name] = values[el.name] || []).push(el.value);
      } else if (el.value) {
        values[el.name] = el.value;
      }
    });
    try { localStorage.setItem(DRAFT + form.dataset.draft, JSON.stringify(values)); } catch (e) { /* full or private */ }
  }
  function restoreDraft(form) {
    var values;
    try { values = JSON.parse(localStorage.getItem(DRAFT + form.dataset.draft) || "null"); } catch (e) { values = null; }
    if (!values) return;
    draftFields(form).forEach(function (el) {
      var v = values[el.name];
      if (v === undefined) return;
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(v) && v.indexOf(el.value) >= 0;
      } else if (!el.value || el.tagName === "SELECT") {
        el.value = v; // never over what the server sent back (a form with errors)
      }
    });
  }
  function clearDraft(form) {
    try { localStorage.removeItem(DRAFT + form.dataset.draft); } catch (e) { /* nothing kept */ }
  }
  api.clearDraft = clearDraft;

  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    if (!form.querySelector(".field-invalid, [data-testid=form-errors]")) restoreDraft(form);
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
  });

  function formItem(form, kind, label) {
    var fields = [];
    var files = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (typeof value === "string") fields.push([name, value]);
      else if (value && value.size) files.push([name, value, value.name]);
    });
    return { kind: kind, url: form.action, label: label, fields: fields, files: files };
  }

  function note(form, text, kind) {
    var p = form.querySelector("[data-outbox-note]");
    if (!p) {
      p = document.createElement("p");
      p.setAttribute("data-outbox-note", "");
      p.setAttribute("role", "status");
      form.appendChild(p);
    }
    p.className = "form-message" + (kind ? " form-message-" + kind : "");
    p.textContent = text;
  }
  api.note = note;
  var QUEUED = gettext("Saved on this device: it will be sent as soon as the network is back.");
  api.QUEUED = QUEUED;

  // After a report is sent from here, the next page shows the server's "thank you".
  var FLASH = "fixline-flash";
  function showFlash() {
    var texts;
    try { texts = JSON.parse(sessionStorage.getItem(FLASH) || "null"); sessionStorage.removeItem(FLASH); } catch (e) { texts = null; }
    var main = document.getElementById("main");
    if (!texts || !texts.length || !main || main.querySelector(".messages")) return;
    var ul = document.createElement("ul");
    ul.className = "messages";
    ul.setAttribute("role", "status");
    texts.forEach(function (t) {
      var li = document.createElement("li");
      li.className = "message message-success";
      li.textContent = t;
      ul.appendChild(li);
    });
    main.insertBefore(ul, main.firstChild);
  }

  // The report form always goes through the outbox: a dead network keeps it here.
  var report = document.querySelector('form[data-testid="report-form"]');
  if (report) {
    report.addEventListener("submit", function (ev) {
      var photos = report.querySelector('input[type="file"]');
      if (photos && photos.validationMessage) return; // too many or too large: say so first
      ev.preventDefault();
      var title = (report.querySelector('[name="title"]') || {}).value || "";
      var item = formItem(report, "report", title);
      var sendButton = report.querySelector('[type="submit"]');
      if (sendButton) sendButton.disabled = true;
      submit(item).then(function (res) {
        if (sendButton) sendButton.disabled = false;
        if (res.done) {
          clearDraft(report);
          try { sessionStorage.setItem(FLASH, JSON.stringify(res.messages || [])); } catch (e) { /* no message then */ }
          global.location.assign(res.url);
        } else if (res.failed) {
          // The server has questions about the form: show them the usual way (nothing was
          // written; the plain form post renders the errors next to the fields).
          remove(item.id).then(function () { HTMLFormElement.prototype.submit.call(report); });
        } else {
          clearDraft(report);
          report.reset();
          note(report, QUEUED, "info");
        }
      });
    });
  }

  // Anything else a page posts (follow, vote, offer, a comment with photos) while offline.
  var LABEL_BY_TESTID = { "follow-button": "follow", "vote-button": "reaction", "thanks-button": "reaction" };
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (navigator.onLine !== false || !form || (form.method || "").toLowerCase() !== "post") return;
    if (form === report || form.hasAttribute("data-no-outbox")) return;
    if (!form.action || new URL(form.action, location.href).origin !== location.origin) return;
    var testid = form.getAttribute("data-testid") || "";
    var submitter = form.querySelector('[type="submit"]');
    var kind = LABEL_BY_TESTID[submitter && submitter.getAttribute("data-testid")] ||
      (testid === "comment-form" ? "comment" : /offer/.test(testid + form.action) ? "offer" : "reaction");
    if (kind === "comment" && !form.querySelector('input[type="file"]').files.length) return; // ticket-live.js
    ev.preventDefault();
    ev.stopImmediatePropagation();
    var text = form.querySelector("textarea");
    add(formItem(form, kind, text ? text.value.slice(0, 60) : document.title)).then(function () {
      askForSync();
      if (form.dataset.draft) clearDraft(form);
      if (text) form.reset();
      note(form, QUEUED, "info");
    });
  }, true);

  function flushSoon() { if (navigator.onLine !== false) flush().then(function (s) { if (s.waiting) schedule(); }); }
  global.addEventListener("online", function () { retryDelay = 2000; flushSoon(); });
  showFlash();
  render();
  flushSoon();
})(typeof self !== "undefined" ? self : this);
