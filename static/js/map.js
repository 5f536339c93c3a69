/* Fixline maps (Leaflet, vendored under static/vendor/).
 *
 * Every map container is a [data-testid=map] element holding a server-drawn SVG (the map
 * without JavaScript) and a <script type="application/json"> block with the data: tile URL
 * (may be empty: no tiles, a plain background), jurisdiction outlines (GeoJSON) and tickets.
 * This file turns it into a Leaflet map:
 *   data-map="home"    live map of the listed tickets, clustered, fed by /ws/feed/
 *   data-map="ticket"  a small map of one ticket
 *   data-map="picker"  report form: see report-form.js, which calls FixlineMap.create()
 * No inline script or style: data comes from data-* attributes and JSON blocks (strict CSP).
 */
(function () {
  "use strict";

  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) {
    return s.replace(/%\((\w+)\)s/g, function (_m, k) { return o[k]; });
  };

  function readData(container) {
    var id = container.getAttribute("data-map-data");
    var node = id && document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  var STATUS_LABEL = {
    open: gettext("Open"), acknowledged: gettext("Acknowledged"), closed: gettext("Closed")
  };

  function ticketIcon(status) {
    return window.L.divIcon({
      className: "ticket-pin ticket-pin-" + (STATUS_LABEL[status] ? status : "open"),
      html: "",
      iconSize: [22, 22],
      iconAnchor: [11, 11]
    });
  }

  function ticketTitle(ticket) {
    return "#" + ticket.id + " " + ticket.title + " (" + (STATUS_LABEL[ticket.status] || ticket.status) + ")";
  }

  function popupContent(ticket) {
    var box = document.createElement("div");
    var a = document.createElement("a");
    a.href = ticket.url || ("/tickets/" + ticket.id + "/");
    a.textContent = "#" + ticket.id + " " + ticket.title;
    var status = document.createElement("p");
    status.className = "popup-status";
    status.textContent = STATUS_LABEL[ticket.status] || ticket.status;
    box.appendChild(a);
    box.appendChild(status);
    return box;
  }

  /* A Leaflet map inside `container`, showing its outlines. Returns {map, data, areas}. */
  function create(container, options) {
    var L = window.L;
    var data = readData(container);
    if (!L || !data) return null;
    options = options || {};
    var canvas = document.createElement("div");
    canvas.className = "map-canvas";
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", container.getAttribute("data-map-label") || gettext("Map"));
    container.appendChild(canvas);
    container.classList.add("map-ready");

    var map = L.map(canvas, {
      zoomControl: true,
      maxZoom: 19,
      attributionControl: !!data.tiles,
      scrollWheelZoom: options.scrollWheelZoom === true,
      tap: true
    });
    if (map.zoomControl) {
      map.zoomControl.remove();
      L.control.zoom({ zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out") }).addTo(map);
    }
    if (map.attributionControl) map.attributionControl.setPrefix(false);
    if (data.tiles) {
      L.tileLayer(data.tiles, {
        maxZoom: 19,
        attribution: data.attribution || "",
        crossOrigin: false
      }).addTo(map);
    } else {
      container.classList.add("map-no-tiles");
    }
    var areas = L.geoJSON(data.areas || null, {
      interactive: false,
      style: function (feature) {
        var depth = (feature.properties && feature.properties.depth) || 1;
        return {
          className: "map-area-layer map-area-layer-" + Math.min(depth, 3),
          weight: depth > 1 ? 2 : 3,
          fillOpacity: depth > 1 ? 0.12 : 0.06
        };
      }
    }).addTo(map);
    var bounds = areas.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([0, 0], 2);
    return { map: map, data: data, areas: areas, canvas: canvas };
  }

  // --- Home: live, clustered ----------------------------------------------------------------
  function homeMap(container) {
    var made = create(container);
    if (!made) return;
    var L = window.L;
    var map = made.map;
    var layer = L.markerClusterGroup
      ? L.markerClusterGroup({
        showCoverageOnHover: false,
        maxClusterRadius: 40,
        iconCreateFunction: function (cluster) {
          var n = cluster.getChildCount();
          return L.divIcon({
            className: "ticket-cluster",
            html: "<span>" + n + '</span><span class="visually-hidden"> ' +
              fmt(gettext("%(n)s tickets"), { n: n }, true) + "</span>",
            iconSize: [36, 36]
          });
        }
      })
      : L.layerGroup();
    layer.addTo(map);
    var markers = {};

    function addTicket(ticket) {
      if (!isFinite(ticket.lat) || !isFinite(ticket.long)) return null;
      if (markers[ticket.id]) return markers[ticket.id];
      var marker = L.marker([ticket.lat, ticket.long], {
        icon: ticketIcon(ticket.status),
        title: ticketTitle(ticket),
        keyboard: true,
        riseOnHover: true
      });
      marker.ticket = ticket;
      marker.bindPopup(function () { return popupContent(marker.ticket); });
      markers[ticket.id] = marker;
      layer.addLayer(marker);
      return marker;
    }

    function setStatus(id, status) {
      var marker = markers[id];
      if (!marker) return;
      marker.ticket.status = status;
      marker.setIcon(ticketIcon(status));
      marker.options.title = ticketTitle(marker.ticket);
      var el = marker.getElement && marker.getElement();
      if (el) el.setAttribute("title", marker.options.title);
      container.setAttribute("data-last-change", id + ":" + status);
    }

    var tickets = made.data.tickets || [];
    tickets.forEach(addTicket);
    if (tickets.length) {
      var group = L.featureGroup(tickets.filter(function (tk) { return markers[tk.id]; })
        .map(function (tk) { return L.marker([tk.lat, tk.long]); }));
      var b = group.getBounds();
      if (b.isValid()) map.fitBounds(b.pad(0.2), { maxZoom: 15 });
    }
    container.setAttribute("data-marker-count", String(Object.keys(markers).length));

    // Live: new tickets and status changes from the public feed.
    var announcer = document.getElementById("map-announcer");
    function announce(text) {
      if (!announcer) return;
      announcer.textContent = "";
      setTimeout(function () { announcer.textContent = text; }, 50);
    }
    var feedPath = made.data.feed;
    if (!feedPath || !window.WebSocket) return;
    var retry = 0;
    function connect() {
      var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
      var ws;
      try { ws = new WebSocket(proto + "//" + window.location.host + feedPath); } catch (e) { return; }
      ws.onopen = function () { retry = 0; container.setAttribute("data-live", "live"); };
      ws.onmessage = function (ev) {
        var msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        var d = msg.data || {};
        if (msg.type === "ticket.created") {
          if (addTicket(d)) {
            container.setAttribute("data-marker-count", String(Object.keys(markers).length));
            announce(fmt(gettext("New report on the map: %(title)s"), { title: d.title }, true));
          }
        } else if (msg.type === "ticket.status_changed") {
          setStatus(d.id, d.to);
          if (markers[d.id]) {
            announce(fmt(gettext("%(title)s is now %(status)s"),
              { title: d.title, status: STATUS_LABEL[d.to] || d.to }, true));
          }
        } else if (msg.type === "ticket.hidden" && markers[d.id]) {
          // Taken down by a moderator: its marker leaves every open map (no text is sent).
          layer.removeLayer(markers[d.id]);
          delete markers[d.id];
          container.setAttribute("data-marker-count", String(Object.keys(markers).length));
        }
      };
      ws.onclose = function (ev) {
        container.setAttribute("data-live", "offline");
        if (ev.code >= 4400 && ev.code < 4500) return;
        retry += 1;
        var wait = Math.min(30000, 500 * Math.pow(2, retry));
        setTimeout(connect, wait / 2 + Math.random() * wait / 2);
      };
    }
    connect();
  }

  // --- Ticket page: one marker ------------------------------------------------------------------
  function ticketMap(container) {
    var made = create(container);
    if (!made) return;
    var ticket = (made.data.tickets || [])[0];
    if (!ticket) return;
    window.L.marker([ticket.lat, ticket.long], {
      icon: ticketIcon(ticket.status), title: ticketTitle(ticket), keyboard: false, interactive: false
    }).addTo(made.map);
    made.map.setView([ticket.lat, ticket.long], 16);
  }

  window.FixlineMap = { create: create, ticketIcon: ticketIcon };

  function start() {
    document.querySelectorAll("[data-testid=map][data-map]").forEach(function (container) {
      var kind = container.getAttribute("data-map");
      try {
        if (kind === "home") homeMap(container);
        else if (kind === "ticket") ticketMap(container);
      } catch (e) {
        // The server-drawn SVG stays visible: the page still works.
        if (window.console) console.error("map:", e);
        container.classList.remove("map-ready");
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
