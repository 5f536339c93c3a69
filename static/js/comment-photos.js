/* A comment with photos is sent as a normal multipart form (the page reloads on the new
 * comment); without photos, ticket-live.js posts it through the API and stays live.
 * Runs in the capture phase, before ticket-live.js's own submit handler. */
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || form.getAttribute("data-testid") !== "comment-form") return;
    var input = form.querySelector('input[type="file"][name="photos"]');
    if (input && input.files && input.files.length > 0) {
      ev.stopImmediatePropagation(); // let the browser submit the multipart form
    }
  }, true);
})();
