/* Behaviour every page may use, without inline handlers or eval, so the Content-Security-Policy
   can allow our own scripts only (helpdesk/settings.py, CONTENT_SECURITY_POLICY):
   - data-select-on-focus: select an input's text when clicked (a link to copy);
   - data-copy-from="#id": a button copying that input's value, then showing data-copied-label;
   - data-enter-event="name": an input that fires htmx event `name` on Enter (hx-trigger="... name");
   - data-poll-paused-by="selector": an htmx poller that skips its request while that matches
     (e.g. the queue keeps still while rows are ticked). */
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    if (t.matches("[data-select-on-focus]")) t.select();
    var copy = t.closest("[data-copy-from]");
    if (copy) {
      var source = document.querySelector(copy.dataset.copyFrom);
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.value);
      if (copy.dataset.copiedLabel) copy.textContent = copy.dataset.copiedLabel;
    }
  });

  document.addEventListener("keyup", function (ev) {
    var t = ev.target;
    if (ev.key === "Enter" && t instanceof Element && t.dataset.enterEvent && window.htmx) {
      window.htmx.trigger(t, t.dataset.enterEvent);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    var selector = elt && elt.dataset ? elt.dataset.pollPausedBy : "";
    if (selector && document.querySelector(selector)) ev.preventDefault();
  });
})();
