/* Paste on your page:
     <div data-fixline-widget data-jurisdiction="old-port"></div>
     <script src="https://YOUR-FIXLINE/static/embed/fixline-embed.js" async></script>
   Each placeholder becomes an iframe of /embed/ with the same filters (jurisdiction, event,
   bbox, status) and the page's language. The iframe holds everything: no cookies are set on your site. */
(function () {
  "use strict";
  var me = document.currentScript;
  var origin = me ? new URL(me.src).origin : "";
  var nodes = document.querySelectorAll("[data-fixline-widget]");
  Array.prototype.forEach.call(nodes, function (node) {
    if (node.getAttribute("data-fixline-ready")) return;
    var q = [];
    ["jurisdiction", "event", "bbox", "status"].forEach(function (k) {
      var v = node.getAttribute("data-" + k);
      if (v) q.push(k + "=" + encodeURIComponent(v));
    });
    // The widget speaks the embedding page's language (data-lang, else its <html lang>).
    var lang = node.getAttribute("data-lang") || document.documentElement.lang;
    if (lang) q.push("lang=" + encodeURIComponent(lang));
    var frame = document.createElement("iframe");
    frame.src = origin + "/embed/" + (q.length ? "?" + q.join("&") : "");
    frame.title = node.getAttribute("data-title") || "Fixline: latest reports";
    frame.loading = "lazy";
    frame.width = "100%";
    frame.height = node.getAttribute("data-height") || "420";
    frame.setAttribute("frameborder", "0");
    node.appendChild(frame);
    node.setAttribute("data-fixline-ready", "1");
  });
})();
