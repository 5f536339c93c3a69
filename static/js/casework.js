/* Fixline casework, live. No build step, no dependencies.
 *
 * Ticket page (staff only: [data-testid=casework-panel] is rendered for them alone): the
 * ticket socket of ticket-live.js also carries the staff group's messages (the server joins
 * it for staff only); they arrive here as "fixline:message" events. Notes, assignment and
 * priority/due date are rendered in place on every open copy. The note, assign and priority
 * forms post through the API (/api/v1/tickets/<id>/notes/, assign/, PATCH) without a reload;
 * what they change shows through its message, once. Without JavaScript the forms post.
 *
 * Dashboard ([data-casework-live]): the agents' moderation socket (/ws/moderation/) carries
 * the same casework messages for their jurisdictions; each refreshes the queue.
 */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var STAFF_TYPES = { "ticket.assigned": 1, "note.created": 1, "ticket.priority_changed": 1, "ticket.rerouted": 1 };

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    });
  }

  function firstError(data) {
    if (!data) return gettext("That did not work.");
    if (data.detail) return String(data.detail);
    for (var k in data) { if (Object.prototype.hasOwnProperty.call(data, k)) return String(data[k][0] || data[k]); }
    return gettext("That did not work.");
  }

  function showError(form, text) {
    var note = form.querySelector("[data-form-message]");
    if (!note) {
      note = document.createElement("p");
      note.setAttribute("data-form-message", "");
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.className = text ? "form-message form-message-error" : "form-message";
    note.textContent = text;
  }

  // --- Ticket page ---------------------------------------------------------------------------
  var panel = document.querySelector('[data-testid="casework-panel"]');
  if (panel) {
    var ticketId = panel.getAttribute("data-ticket-id");
    var api = "/api/v1/tickets/" + ticketId + "/";
    var notes = panel.querySelector('[data-testid="note-list"]');
    var assigneeEl = panel.querySelector("[data-casework-assignee]");
    var assignSelect = panel.querySelector('[data-testid="assign-form"] select');
    var prioritySelect = panel.querySelector('[data-testid="priority"]');
    var dueInput = panel.querySelector('[data-testid="due-at"]');
    var overdueEl = panel.querySelector("[data-casework-overdue]");

    var addNote = function (data) {
      if (!notes || notes.querySelector('[data-note-id="' + data.id + '"]')) return;
      var li = document.createElement("li");
      li.className = "note";
      li.setAttribute("data-testid", "note");
      li.setAttribute("data-note-id", String(data.id));
      var head = document.createElement("div");
      head.className = "comment-head";
      var author = document.createElement("span");
      author.className = "comment-author";
      author.textContent = data.author;
      var time = document.createElement("time");
      time.setAttribute("datetime", data.created_at);
      // One date format everywhere (docs/ui.md): the server's DATETIME_FORMAT, in its zone.
      var zone = document.querySelector("meta[name=fixline-time-zone]");
      try {
        time.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          dateStyle: "medium", timeStyle: "short", timeZone: (zone && zone.content) || undefined
        }).format(new Date(data.created_at));
      } catch (e) { time.textContent = new Date(data.created_at).toLocaleString(); }
      head.appendChild(author);
      head.appendChild(document.createTextNode(" "));
      head.appendChild(time);
      var body = document.createElement("div");
      body.className = "comment-body";
      body.innerHTML = data.body_html; // escaped by the server (render_body)
      li.appendChild(head);
      li.appendChild(body);
      notes.appendChild(li);
    };

    var localInput = function (iso) {
      if (!iso) return "";
      var d = new Date(iso);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
    };

    var onMessage = function (msg) {
      if (!msg || String(msg.ticket) !== String(ticketId)) return;
      var data = msg.data || {};
      if (msg.type === "note.created") {
        addNote(data);
      } else if (msg.type === "ticket.assigned") {
        var names = [data.assignee_name, data.team_name].filter(Boolean);
        if (assigneeEl) assigneeEl.textContent = names.length ? names.join(" · ") : assigneeEl.getAttribute("data-label-nobody");
        if (assignSelect) {
          assignSelect.value = data.assignee ? "user:" + data.assignee : data.team ? "team:" + data.team : "";
        }
      } else if (msg.type === "ticket.priority_changed") {
        if (prioritySelect) prioritySelect.value = data.priority;
        if (dueInput && document.activeElement !== dueInput) dueInput.value = localInput(data.due_at);
        if (overdueEl) overdueEl.hidden = !data.overdue;
      }
    };
    document.addEventListener("fixline:message", function (ev) { onMessage(ev.detail); });

    if (window.fetch) {
      var noteForm = panel.querySelector('[data-testid="note-form"]');
      if (noteForm) noteForm.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var area = noteForm.querySelector("textarea");
        if (!area.value.trim()) return;
        send("POST", api + "notes/", { body: area.value }).then(function (res) {
          if (res.ok) { area.value = ""; showError(noteForm, ""); addNote(res.data); }
          else showError(noteForm, firstError(res.data));
        }).catch(function () { showError(noteForm, gettext("That did not work.")); });
      });
      var assignForm = panel.querySelector('[data-testid="assign-form"]');
      if (assignForm) assignForm.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var value = assignSelect ? assignSelect.value : "";
        var body = {};
        if (value.indexOf("user:") === 0) body.assignee = value.slice(5);
        if (value.indexOf("team:") === 0) body.team = value.slice(5);
        send("POST", api + "assign/", body).then(function (res) {
          showError(assignForm, res.ok ? "" : firstError(res.data));
        }).catch(function () { showError(assignForm, gettext("That did not work.")); });
      });
      var priorityForm = panel.querySelector("[data-casework-priority-form]");
      if (priorityForm) priorityForm.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var due = dueInput && dueInput.value ? new Date(dueInput.value).toISOString() : null;
        send("PATCH", api, { priority: prioritySelect.value, due_at: due }).then(function (res) {
          showError(priorityForm, res.ok ? "" : firstError(res.data));
        }).catch(function () { showError(priorityForm, gettext("That did not work.")); });
      });
    }
  }

  // --- Dashboard -----------------------------------------------------------------------------
  var queue = document.querySelector("[data-casework-live]");
  if (queue && window.WebSocket) {
    var connect = function (attempt) {
      var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
      var ws = new WebSocket(proto + "//" + window.location.host + "/ws/moderation/");
      ws.onopen = function () { attempt = 0; };
      ws.onmessage = function (ev) {
        var msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        if (STAFF_TYPES[msg.type] && window.fixlineQueueRefresh) window.fixlineQueueRefresh();
      };
      ws.onclose = function (ev) {
        if (ev.code >= 4400 && ev.code < 4500) return;
        var wait = Math.min(30000, 500 * Math.pow(2, attempt + 1));
        setTimeout(function () { connect(attempt + 1); }, wait / 2 + Math.random() * wait / 2);
      };
    };
    connect(0);
  }
})();
