/* Moderation dashboard (/moderation/) and event page (/events/<slug>/): live over a WebSocket,
   one-click actions through the JSON API. Text from the server is only ever set with
   textContent, never as HTML. */
(function () {
  "use strict";

  // Words come from Django's JavaScript catalogue (jsi18n, loaded by base.html before this).
  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) {
    return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); });
  };
  var STATE = { connecting: gettext("Connecting…"), live: gettext("Live"), offline: gettext("Offline") };

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

  function liveSocket(root, onMessage, onOpen) {
    var state = document.querySelector("[data-testid=live-state]");
    var label = state && state.querySelector("[data-live-label]");
    var delay = 500;
    var opened = false;
    function setState(name) {
      if (!state) { return; }
      state.setAttribute("data-state", name);
      if (label) { label.textContent = STATE[name] || name; }
    }
    function open() {
      var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
      var ws;
      setState("connecting");
      try { ws = new WebSocket(proto + "//" + window.location.host + root.getAttribute("data-socket")); }
      catch (e) { retry(); return; }
      ws.onopen = function () {
        delay = 500;
        setState("live");
        // The moderation feed is live only: after a reconnect, what changed meanwhile is
        // fetched again (onOpen), so no item is missed.
        if (opened && onOpen) { onOpen(); }
        opened = true;
      };
      ws.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        onMessage(message);
      };
      ws.onclose = function (event) {
        setState("offline");
        if (event.code === 4401 || event.code === 4403) { return; }  // not allowed: stop
        retry();
      };
    }
    function retry() {
      window.setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    }
    open();
  }

  // --- Readable lines (the same sentences as moderation/sentences.py) ----------------------

  var FLAG_REASONS = {
    spam: gettext("Spam"), abuse: gettext("Abuse"), off_topic: gettext("Off topic"),
    personal_info: gettext("Personal information"), other: gettext("Other")
  };
  var SENTENCES = {
    "hide/comment": gettext("%(by)s hid a comment on #%(ticket)s"),
    "restore/comment": gettext("%(by)s restored a comment on #%(ticket)s"),
    "approve/comment": gettext("%(by)s approved a comment on #%(ticket)s"),
    "reject/comment": gettext("%(by)s rejected a comment on #%(ticket)s"),
    "dismiss/comment": gettext("%(by)s dismissed the flags on a comment on #%(ticket)s"),
    "auto_hide/comment": gettext("Flags hid a comment on #%(ticket)s"),
    "dismiss/ticket": gettext("%(by)s dismissed the flags on ticket #%(ticket)s"),
    "dismiss/offer": gettext("%(by)s dismissed the flags on an offer of help"),
    "offer.accept": gettext("%(by)s accepted an offer of help"),
    "offer.decline": gettext("%(by)s declined an offer of help"),
    "offer.complete": gettext("%(by)s marked an offer of help as done"),
    "offer.withdraw": gettext("An offer of help was withdrawn"),
    "sanction.mute": gettext("%(by)s muted %(target)s"),
    "sanction.ban": gettext("%(by)s banned %(target)s"),
    "sanction.shadowban": gettext("%(by)s shadow-banned %(target)s"),
    "sanction.rate_limit": gettext("%(by)s rate-limited %(target)s"),
    "sanction.revoke": gettext("%(by)s lifted a sanction on %(target)s"),
    "trust.grant": gettext("%(by)s made %(target)s a trusted volunteer"),
    "trust.revoke": gettext("%(by)s revoked %(target)s's trusted status"),
    "event.create": gettext("%(by)s declared the event %(target)s"),
    "event.update": gettext("%(by)s edited the event %(target)s"),
    "event.end": gettext("%(by)s ended the event %(target)s"),
    "announcement.create": gettext("%(by)s posted an announcement"),
    "announcement.hide": gettext("%(by)s hid an announcement"),
    "announcement.restore": gettext("%(by)s showed an announcement again"),
    "ticket.hide": gettext("%(by)s took down ticket #%(ticket)s"),
    "ticket.restore": gettext("%(by)s restored ticket #%(ticket)s"),
    "ticket.reroute": gettext("%(by)s rerouted ticket #%(ticket)s"),
    "ticket.merge": gettext("%(by)s merged ticket #%(ticket)s into another"),
    "ticket.unmerge": gettext("%(by)s split ticket #%(ticket)s out again"),
    "offer.create": gettext("Someone offered help")
  };
  var FLAGGED = {
    comment: gettext("New flag on a comment on #%(ticket)s: %(reason)s (score %(score)s)"),
    ticket: gettext("New flag on ticket #%(ticket)s: %(reason)s (score %(score)s)"),
    offer: gettext("New flag on an offer of help: %(reason)s (score %(score)s)")
  };

  // The reasons the system gives itself (moderation/services/_common.py): the sentence already
  // says them, so no words follow it (moderation/sentences.py).
  var SYSTEM_REASONS = ["flagged", "offered help", "announced"];
  function reasonLabel(reason) {
    if (SYSTEM_REASONS.indexOf(reason) !== -1) { return ""; }
    return FLAG_REASONS[reason] || reason || "";
  }

  function describeAction(d, ticket) {
    var target = d.target || {};
    var sentence = SENTENCES[d.action + "/" + target.type] || SENTENCES[d.action] ||
      gettext("%(by)s: %(action)s %(target)s");
    var line = fmt(sentence, {
      by: d.by || "", ticket: ticket || target.id, target: target.id, action: d.action
    }, true);
    var words = reasonLabel(d.reason);
    return words ? fmt(gettext("%(line)s: %(reason)s"), { line: line, reason: words }, true) : line;
  }

  function describe(message) {
    var d = message.data || {};
    switch (message.type) {
      case "moderation.action": return describeAction(d, message.ticket);
      case "flag.created":
        return fmt(FLAGGED[d.kind || "comment"], {
          ticket: d.ticket || "–", reason: reasonLabel(d.reason), score: d.score
        }, true) + (d.hidden ? " — " + gettext("hidden automatically") : "");
      case "comment.held":
        return fmt(gettext("A comment on #%(ticket)s is waiting for review"), { ticket: message.ticket }, true);
      case "offer.created":
        return d.ticket
          ? fmt(gettext("New offer of help on #%(ticket)s"), { ticket: d.ticket }, true)
          : gettext("New offer of help on the event");
      default: return null;
    }
  }

  var dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });

  // --- Moderation console ------------------------------------------------------------------

  function dashboard(root) {
    var queue = root.querySelector("[data-testid=moderation-queue]");
    var offerQueue = root.querySelector("[data-testid=offer-queue]");
    var feedList = root.querySelector("[data-testid=moderation-feed]");
    var auditList = root.querySelector("[data-testid=audit-list]");
    var errorBox = root.querySelector("[data-testid=action-error]");
    var statusBox = root.querySelector("[data-testid=action-status]");
    var form = root.querySelector("[data-testid=sanction-form]");

    // Every write carries an Idempotency-Key (docs/api.md): a double click writes once.
    function newKey() {
      return window.FixlineOutbox ? window.FixlineOutbox.uuid() : String(Date.now()) + Math.random();
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cookie("csrftoken"), "Idempotency-Key": newKey() },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, data: data };
        });
      }, function () { return { status: 0, data: { detail: gettext("The network is unreachable. Try again.") } }; });
    }

    function fragment(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.status === 404 ? "" : (r.ok ? r.text() : null); })
        .then(function (html) {
          if (html === null) { return undefined; }
          if (!html) { return null; }
          var doc = new DOMParser().parseFromString("<ul>" + html + "</ul>", "text/html");
          return doc.body.querySelector("ul > li");
        })
        .catch(function () { return undefined; });
    }

    function say(text, isError) {
      errorBox.hidden = true;
      statusBox.hidden = true;
      var box = isError ? errorBox : statusBox;
      box.textContent = text || "";
      box.hidden = !text;
    }

    function errorText(answer) {
      var d = answer.data || {};
      if (d.detail) { return d.detail; }
      var keys = Object.keys(d);
      return keys.length ? keys[0] + ": " + [].concat(d[keys[0]])[0] : gettext("Something went wrong.");
    }

    function syncEmpty(list) {
      var empty = list.querySelector("[data-empty]");
      if (!empty) { return; }
      var any = list.querySelector("[data-testid=queue-item], [data-testid=offer-item]");
      empty.hidden = !!any;
    }

    // --- The review queue ---

    function itemFor(kind, id) { return queue.querySelector('[data-item="' + kind + ":" + id + '"]'); }

    function removeItem(kind, id) {
      var item = itemFor(kind, id);
      if (!item) { return; }
      var hadFocus = item.contains(document.activeElement);
      item.parentNode.removeChild(item);
      syncEmpty(queue);
      if (hadFocus) { queue.focus(); }
    }

    function placeItem(list, fresh, selector) {
      var score = parseFloat(fresh.getAttribute("data-score") || "0");
      var items = list.querySelectorAll(selector);
      for (var i = 0; i < items.length; i++) {
        if (parseFloat(items[i].getAttribute("data-score") || "0") < score) {
          list.insertBefore(fresh, items[i]);
          return;
        }
      }
      var empty = list.querySelector("[data-empty]");
      list.insertBefore(fresh, empty);
    }

    function refreshItem(kind, id) {
      fragment("/moderation/items/" + kind + "/" + id + "/").then(function (fresh) {
        if (fresh === undefined) { return; }
        var current = itemFor(kind, id);
        if (fresh === null) { if (current) { removeItem(kind, id); } return; }
        if (current && current.contains(document.activeElement)) {
          // Someone is typing a reason here: only the score changes under their hands.
          var score = current.querySelector("[data-score-value]");
          var next = fresh.querySelector("[data-score-value]");
          if (score && next) { score.textContent = next.textContent; }
          return;
        }
        if (current) { current.parentNode.removeChild(current); }
        placeItem(queue, fresh, "[data-testid=queue-item]");
        syncEmpty(queue);
      });
    }

    var DONE = {
      hide: gettext("Hidden."), restore: gettext("Restored."), approve: gettext("Approved."),
      reject: gettext("Rejected."), dismiss: gettext("Flags dismissed."), decline: gettext("Offer declined.")
    };

    function act(item, button) {
      var kind = item.getAttribute("data-kind");
      var id = item.getAttribute("data-item").split(":")[1];
      var action = button.getAttribute("data-action");
      var input = item.querySelector("[data-reason]");
      var reason = (input && input.value.trim()) || item.getAttribute("data-default-reason") || button.textContent.trim();
      var url = kind === "comment"
        ? "/api/v1/moderation/items/" + id + "/" + action + "/"
        : "/api/v1/moderation/items/" + kind + "/" + id + "/" + action + "/";
      var buttons = item.querySelectorAll("button");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      post(url, { reason: reason }).then(function (answer) {
        if (answer.status === 200) {
          removeItem(kind, id);
          say(DONE[action] || gettext("Done."), false);
        } else if (answer.status === 409) {
          // Someone else was faster: the item is gone, and the message says who did what.
          removeItem(kind, id);
          say(errorText(answer), true);
        } else {
          Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
          say(errorText(answer), true);
        }
      });
    }

    // --- Offers ---

    function offerFor(id) { return offerQueue.querySelector('[data-offer-id="' + id + '"]'); }

    function refreshOffer(id) {
      fragment("/moderation/offers/" + id + "/").then(function (fresh) {
        if (fresh === undefined) { return; }
        var current = offerFor(id);
        if (fresh === null) {
          if (current) { current.parentNode.removeChild(current); }
        } else if (current) {
          current.parentNode.replaceChild(fresh, current);
        } else {
          offerQueue.insertBefore(fresh, offerQueue.querySelector("[data-empty]"));
        }
        syncEmpty(offerQueue);
      });
    }

    function review(item, button) {
      var id = item.getAttribute("data-offer-id");
      var note = item.querySelector("[data-note]");
      button.disabled = true;
      // The status this screen shows: if someone decided first, the answer is a 409 that
      // says who (never a second outcome).
      post("/api/v1/offers/" + id + "/review/", {
        decision: button.getAttribute("data-decision"),
        note: note ? note.value.trim() : "",
        expect: item.getAttribute("data-status")
      })
        .then(function (answer) {
          button.disabled = false;
          if (answer.status === 200) {
            say(fmt(gettext("The offer is now %(status)s."), { status: STATUS[answer.data.status] || answer.data.status }, true), false);
          } else {
            say(errorText(answer), true);
          }
          refreshOffer(id);
        });
    }
    var STATUS = { pending: gettext("pending"), accepted: gettext("accepted"), completed: gettext("completed"), declined: gettext("declined"), withdrawn: gettext("withdrawn") };

    // --- Sanctions ---

    var sanctionList = function () { return root.querySelector("[data-testid=sanction-list]"); };

    function refreshSanctions() {
      fetch("/moderation/sanctions/", { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("sanction-list");
          var current = sanctionList();
          if (!fresh || !current) { return; }
          var hadFocus = current.contains(document.activeElement);
          current.replaceWith(fresh);
          if (hadFocus) { fresh.setAttribute("tabindex", "-1"); fresh.focus(); }
        })
        .catch(function () {});
    }

    function lift(button) {
      var reason = window.prompt(gettext("Why lift this sanction?"), "");
      if (reason === null) { return; }
      post("/api/v1/moderation/sanctions/" + button.getAttribute("data-lift") + "/lift/", { reason: reason.trim() || gettext("Lifted from the console") })
        .then(function (answer) {
          say(answer.status === 200 ? gettext("Sanction lifted.") : errorText(answer), answer.status !== 200);
          refreshSanctions();
        });
    }

    var collateralTimer = null;
    function checkCollateral() {
      var key = form.elements.author_key.value.trim();
      var out = form.querySelector("[data-testid=sanction-collateral]");
      var cookieOnly = form.querySelector("[data-cookie-only]");
      out.textContent = "";
      cookieOnly.hidden = true;
      if (!key) { return; }
      fetch("/api/v1/moderation/collateral/?author_key=" + encodeURIComponent(key), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (d) { return { status: r.status, data: d }; }); })
        .then(function (answer) {
          if (form.elements.author_key.value.trim() !== key) { return; }
          if (answer.status !== 200) { out.textContent = errorText(answer); return; }
          var d = answer.data;
          out.setAttribute("data-others", String(d.others));
          if (d.identity_kind === "account") {
            out.textContent = gettext("An account: the sanction applies to it alone, never to its network address.");
            return;
          }
          cookieOnly.hidden = false;
          out.textContent = d.others
            ? fmt(ngettext("%(n)s other identity posted from the same network address in the last 24 hours: a sanction on the address would catch it too.",
                "%(n)s other identities posted from the same network address in the last 24 hours: a sanction on the address would catch them too.", d.others), { n: d.others }, true)
            : gettext("No other identity posted from this network address in the last 24 hours.");
        })
        .catch(function () {});
    }
    var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };

    function fieldErrors(errors) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (p) {
        var message = errors[p.getAttribute("data-error-for")];
        p.textContent = message ? [].concat(message)[0] : "";
        p.hidden = !message;
      });
    }

    function syncDuration() {
      var custom = form.elements.duration.value === "custom";
      form.querySelector("[data-custom-minutes]").hidden = !custom;
    }

    function submitSanction(event) {
      event.preventDefault();
      var max = parseInt(root.getAttribute("data-max-minutes"), 10);
      var duration = form.elements.duration.value;
      var kind = form.elements.kind.value;
      var minutes = duration === "custom" ? form.elements.minutes.value.trim() : duration;
      var errors = {};
      if (!form.elements.author_key.value.trim()) { errors.author_key = gettext("This field is required."); }
      if (!form.elements.reason.value.trim()) { errors.reason = gettext("This field is required."); }
      if (duration === "custom" && !(/^\d+$/.test(minutes) && +minutes >= 1 && +minutes <= max)) {
        errors.minutes = fmt(gettext("Must be between 1 and %(max)s minutes."), { max: max }, true);
      }
      if (!minutes && kind === "mute") { errors.minutes = gettext("A mute needs a duration in minutes."); }
      fieldErrors(errors);
      if (Object.keys(errors).length) {
        var first = form.querySelector("[data-error-for]:not([hidden])");
        var field = first && form.elements[first.getAttribute("data-error-for")];
        if (field && field.focus) { field.focus(); }
        return;
      }
      post("/api/v1/moderation/sanctions/", {
        author_key: form.elements.author_key.value.trim(),
        kind: kind,
        minutes: minutes ? parseInt(minutes, 10) : null,
        reason: form.elements.reason.value.trim(),
        cookie_only: form.elements.cookie_only.checked
      }).then(function (answer) {
        if (answer.status === 201) {
          fieldErrors({});
          say(gettext("Sanction applied."), false);
          form.reset();
          syncDuration();
          checkCollateral();
          refreshSanctions();
        } else if (answer.status === 400 && !answer.data.detail) {
          fieldErrors(answer.data);
        } else {
          say(errorText(answer), true);
        }
      });
    }

    form.addEventListener("submit", submitSanction);
    form.elements.duration.addEventListener("change", syncDuration);
    form.elements.author_key.addEventListener("input", function () {
      window.clearTimeout(collateralTimer);
      collateralTimer = window.setTimeout(checkCollateral, 300);
    });
    syncDuration();

    // --- Emergency events (agents and admins: the card is absent for others) ---

    function refreshEvents() {
      var current = root.querySelector("[data-testid=console-events]");
      if (!current) { return; }
      fetch("/moderation/", { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("console-events");
          current = root.querySelector("[data-testid=console-events]");
          // Not under the hands of someone confirming an end.
          if (!fresh || !current || current.contains(document.activeElement)) { return; }
          current.replaceWith(fresh);
        })
        .catch(function () {});
    }

    function endEvent(endForm) {
      var slug = endForm.getAttribute("data-event-end");
      var row = endForm.closest("[data-testid=console-event]");
      var button = endForm.querySelector("button");
      button.disabled = true;
      post("/api/v1/events/" + encodeURIComponent(slug) + "/end/", { reason: gettext("Ended from the console") })
        .then(function (answer) {
          button.disabled = false;
          if (answer.status === 200 || answer.status === 409) {
            say(answer.status === 200 ? gettext("The event has ended.") : errorText(answer), answer.status !== 200);
            var title = root.querySelector("#events-title");
            row.parentNode.removeChild(row);
            if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
            refreshEvents();
          } else {
            say(errorText(answer), true);
          }
        });
    }

    root.addEventListener("submit", function (event) {
      var endForm = event.target.closest("[data-event-end]");
      if (!endForm) { return; }
      event.preventDefault();
      endEvent(endForm);
    });

    // --- Clicks (buttons: Enter and Space work the same) ---

    root.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || button.disabled) { return; }
      var item = button.closest("[data-testid=queue-item]");
      var offer = button.closest("[data-testid=offer-item]");
      if (button.hasAttribute("data-action") && item) {
        act(item, button);
      } else if (button.hasAttribute("data-decision") && offer) {
        review(offer, button);
      } else if (button.hasAttribute("data-sanction")) {
        form.elements.author_key.value = button.getAttribute("data-sanction");
        form.scrollIntoView({ block: "start" });
        form.elements.kind.focus();
        checkCollateral();
      } else if (button.hasAttribute("data-lift")) {
        lift(button);
      } else if (button.hasAttribute("data-offset")) {
        var more = button.closest("li");
        fetch("/moderation/audit/?offset=" + button.getAttribute("data-offset"), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) { return; }
            var doc = new DOMParser().parseFromString("<ul>" + html + "</ul>", "text/html");
            var rows = Array.prototype.slice.call(doc.body.querySelectorAll("ul > li"));
            rows.forEach(function (row) { auditList.insertBefore(row, more); });
            more.parentNode.removeChild(more);
            // Keyboard users continue from the first older entry.
            if (rows.length) { rows[0].setAttribute("tabindex", "-1"); rows[0].focus(); }
          });
      }
    });

    // --- Live ---

    function addLine(list, text, testid) {
      var li = el("li", testid ? { "data-testid": testid } : {});
      li.appendChild(el("time", { datetime: new Date().toISOString() }, dateFormat.format(new Date())));
      li.appendChild(document.createTextNode(" · " + text));
      var empty = list.querySelector("[data-empty]");
      if (empty) { empty.parentNode.removeChild(empty); }
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 200) { list.removeChild(list.lastChild); }
    }

    function resolves(d) {
      var t = d.target || {};
      if (t.type === "comment") { return d.action !== "auto_hide"; }
      if (t.type === "ticket") { return /hide|dismiss|takedown/.test(d.action); }
      if (t.type === "offer") { return d.action === "dismiss" || d.action === "offer.decline"; }
      return false;
    }

    liveSocket(root, function (message) {
      var d = message.data || {};
      var line = describe(message);
      if (line) { addLine(feedList, line, "feed-entry"); }
      switch (message.type) {
        case "comment.held": refreshItem("comment", d.id); break;
        case "flag.created": refreshItem(d.kind || "comment", d.kind === "ticket" ? d.ticket : (d.kind === "offer" ? d.offer : d.comment)); break;
        case "offer.created":
        case "offer.updated": refreshOffer(d.id); break;
        case "moderation.action":
          if (line) { addLine(auditList, line, "audit-entry"); }
          var t = d.target || {};
          if (resolves(d)) { removeItem(t.type, t.id); }
          else if (t.type === "comment") { refreshItem("comment", t.id); }
          if (/^sanction\./.test(d.action)) { refreshSanctions(); }
          if (/^event\./.test(d.action)) { refreshEvents(); }
          if (t.type === "offer") { refreshOffer(t.id); }
          break;
      }
    }, resync);

    // Reconnected: what happened while offline is fetched again (the feed is live only). The
    // console's current page says which items and offers are waiting: missing ones are added,
    // the ones shown are refreshed (or leave, if someone handled them meanwhile).
    function resync() {
      fetch("/moderation/", { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var waiting = {};
          Array.prototype.forEach.call(doc.querySelectorAll("[data-testid=moderation-queue] [data-testid=queue-item]"), function (fresh) {
            var key = fresh.getAttribute("data-item");
            waiting[key] = true;
            var current = queue.querySelector('[data-item="' + key + '"]');
            if (!current) {
              placeItem(queue, document.importNode(fresh, true), "[data-testid=queue-item]");
              return;
            }
            // Still waiting: only its score may have moved (never under someone's hands).
            var score = current.querySelector("[data-score-value]");
            var next = fresh.querySelector("[data-score-value]");
            if (score && next) { score.textContent = next.textContent; }
          });
          Array.prototype.forEach.call(queue.querySelectorAll("[data-testid=queue-item]"), function (item) {
            var parts = item.getAttribute("data-item").split(":");
            if (!waiting[item.getAttribute("data-item")]) { refreshItem(parts[0], parts[1]); }
          });
          syncEmpty(queue);
          var offers = {};
          Array.prototype.forEach.call(doc.querySelectorAll("[data-testid=offer-queue] [data-testid=offer-item]"), function (fresh) {
            var id = fresh.getAttribute("data-offer-id");
            offers[id] = true;
            if (!offerFor(id)) {
              offerQueue.insertBefore(document.importNode(fresh, true), offerQueue.querySelector("[data-empty]"));
            } else {
              refreshOffer(id);
            }
          });
          Array.prototype.forEach.call(offerQueue.querySelectorAll("[data-testid=offer-item]"), function (item) {
            var id = item.getAttribute("data-offer-id");
            if (!offers[id]) { refreshOffer(id); }
          });
          syncEmpty(offerQueue);
        })
        .catch(function () {});
      refreshSanctions();
      refreshEvents();
    }
  }

  var moderationRoot = document.getElementById("moderation");
  if (moderationRoot) { dashboard(moderationRoot); }
})();
