/* Moderation dashboard (/moderation/) and event page (/events/<slug>/): live over a WebSocket,
   one-click actions through the JSON API. Text from the server is only ever set with
   textContent, never as HTML. */
(function () {
  "use strict";

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

  function liveSocket(root, onMessage) {
    var state = document.querySelector("[data-testid=live-state]");
    var label = state && state.querySelector("[data-live-label]");
    var delay = 500;
    function setState(name) {
      if (!state) { return; }
      state.setAttribute("data-state", name);
      if (label) { label.textContent = root.getAttribute("data-label-" + name) || name; }
    }
    function open() {
      var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
      var ws;
      setState("connecting");
      try { ws = new WebSocket(proto + "//" + window.location.host + root.getAttribute("data-socket")); }
      catch (e) { retry(); return; }
      ws.onopen = function () { delay = 500; setState("live"); };
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

  // --- Moderation dashboard ------------------------------------------------------------------

  function dashboard(root) {
    var queue = root.querySelector("[data-testid=moderation-queue]");
    var feedList = root.querySelector("[data-testid=moderation-feed]");
    var errorBox = root.querySelector("[data-testid=action-error]");

    // Every write carries an Idempotency-Key (docs/api.md): a double click writes once.
    function newKey() {
      return window.FixlineOutbox ? window.FixlineOutbox.uuid() : String(Date.now()) + Math.random();
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken"), "Idempotency-Key": newKey() },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, data: data };
        });
      });
    }

    function showError(text) {
      if (!errorBox) { return; }
      errorBox.textContent = text || "";
      errorBox.hidden = !text;
    }

    function itemFor(commentId) {
      return queue.querySelector('[data-comment-id="' + commentId + '"]');
    }

    function removeItem(commentId) {
      var item = itemFor(commentId);
      if (item) { item.parentNode.removeChild(item); }
    }

    function act(commentId, action) {
      var reason = window.prompt(root.getAttribute("data-prompt-reason"), action);
      if (reason === null) { return; }
      post("/api/v1/moderation/items/" + commentId + "/" + action + "/", { reason: reason || action })
        .then(function (answer) {
          if (answer.status === 200 || answer.status === 409) {
            removeItem(commentId);
            showError(answer.status === 409 ? (answer.data.detail || "") : "");
          } else {
            showError(answer.data.detail || JSON.stringify(answer.data));
          }
        });
    }

    function sanction(authorKey) {
      var reason = window.prompt(root.getAttribute("data-prompt-reason"), "");
      if (!reason) { return; }
      post("/api/v1/moderation/sanctions/", { author_key: authorKey, kind: "mute", minutes: 1440, reason: reason })
        .then(function (answer) {
          showError(answer.status === 201 ? "" : (answer.data.detail || JSON.stringify(answer.data)));
        });
    }

    root.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) { return; }
      var item = button.closest("[data-comment-id]");
      if (button.hasAttribute("data-action") && item) {
        act(item.getAttribute("data-comment-id"), button.getAttribute("data-action"));
      } else if (button.hasAttribute("data-sanction")) {
        sanction(button.getAttribute("data-sanction"));
      }
    });

    function addQueueItem(data, held, score) {
      var commentId = data.comment || data.id;
      var existing = itemFor(commentId);
      if (existing) {
        var scoreNode = existing.querySelector("[data-score]");
        if (scoreNode && score !== undefined) { scoreNode.textContent = String(score); }
        return;
      }
      var empty = queue.querySelector("[data-empty]");
      if (empty) { empty.parentNode.removeChild(empty); }
      var li = el("li", { "class": "queue-item card", "data-testid": "queue-item", "data-comment-id": commentId });
      var meta = el("p", { "class": "queue-meta" });
      meta.appendChild(el("a", { href: "/tickets/" + data.ticket + "/" }, "#" + data.ticket));
      meta.appendChild(document.createTextNode(" · " + (held ? "held" : "flagged") + " · score "));
      meta.appendChild(el("strong", { "data-score": "" }, score === undefined ? 0 : score));
      li.appendChild(meta);
      li.appendChild(el("blockquote", { "class": "queue-body" }, data.body || ""));
      var actions = el("div", { "class": "queue-actions" });
      (held ? ["approve", "reject"] : ["hide", "restore", "dismiss"]).forEach(function (action) {
        actions.appendChild(el("button", { type: "button", "class": "button", "data-action": action }, action));
      });
      li.appendChild(actions);
      queue.insertBefore(li, queue.firstChild);
    }

    function describe(message) {
      var d = message.data || {};
      switch (message.type) {
        case "comment.created": return "#" + message.ticket + " " + (d.author || "") + ": " + (d.body || "");
        case "comment.held": return "#" + message.ticket + " held: " + (d.body || "");
        case "flag.created": return "#" + message.ticket + " flag (" + d.reason + "), score " + d.score + (d.hidden ? " → hidden" : "");
        case "offer.created": return "offer " + d.id + " (" + d.status + "): " + (d.message || "") + " — " + (d.contact || "");
        case "offer.updated": return "offer " + d.id + " → " + d.status;
        case "moderation.action": return (d.by || "") + " " + d.action + " " + (d.target ? d.target.type + " " + d.target.id : "") + ": " + (d.reason || "");
        default: return message.type;
      }
    }

    liveSocket(root, function (message) {
      var d = message.data || {};
      var li = el("li", { "data-type": message.type }, describe(message));
      if (message.type === "comment.created" && d.visibility === "visible") {
        var hide = el("button", { type: "button", "class": "button button-quiet", "data-action": "hide" }, "hide");
        li.setAttribute("data-comment-id", d.id);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(hide);
      }
      feedList.insertBefore(li, feedList.firstChild);
      while (feedList.children.length > 200) { feedList.removeChild(feedList.lastChild); }
      if (message.type === "comment.held") { addQueueItem(d, true, 0); }
      if (message.type === "flag.created") { addQueueItem(d, false, d.score); }
      if (message.type === "moderation.action" && d.target && d.target.type === "comment" && d.action !== "auto_hide") {
        removeItem(d.target.id);
      }
    });
  }

  var moderationRoot = document.getElementById("moderation");
  if (moderationRoot) { dashboard(moderationRoot); }
})();
