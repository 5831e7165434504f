/* Agent workspace: keyboard shortcuts, the reply box's pickers and the typing signal for presence.
   Plain JS, no build step. Every action here also exists as a link or form without JavaScript. */
(function () {
  "use strict";

  var lastTyped = 0;
  window.hdTyping = function () { return Date.now() - lastTyped < 6000 ? 1 : 0; };

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function isField(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0, end = textarea.selectionEnd || 0;
    var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    textarea.value = before + glue + text + after;
    var pos = (before + glue + text).length;
    textarea.focus();
    textarea.setSelectionRange(pos, pos);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /* --- shortcuts overlay --- */
  function overlay() { return document.getElementById("shortcuts"); }
  function toggleHelp(show) {
    var el = overlay();
    if (!el) return;
    el.hidden = show === undefined ? !el.hidden : !show;
  }

  /* --- queue rows --- */
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-rows tr.queue-row")); }
  function currentIndex(list) {
    for (var i = 0; i < list.length; i++) if (list[i].classList.contains("current")) return i;
    return -1;
  }
  function moveRow(delta) {
    var list = rows();
    if (!list.length) return;
    var i = currentIndex(list);
    var next = Math.max(0, Math.min(list.length - 1, i + delta));
    if (i >= 0) list[i].classList.remove("current");
    list[next].classList.add("current");
    list[next].scrollIntoView({ block: "nearest" });
  }

  function ticketPage() { return document.querySelector(".ticket-page"); }

  function focusReply(asNote) {
    var body = document.getElementById("reply-body");
    var note = document.getElementById("reply-internal");
    if (!body) return;
    if (note) { note.checked = !!asNote; note.dispatchEvent(new Event("change", { bubbles: true })); }
    body.scrollIntoView({ block: "center" });
    body.focus();
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape") {
      toggleHelp(false);
      if (isField(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (isField(ev.target)) return;
    var page = ticketPage();
    switch (ev.key) {
      case "?": toggleHelp(); break;
      case "/": {
        var search = document.getElementById("queue-search") || document.getElementById("picker-q") || document.getElementById("global-search");
        if (search) search.focus();
        break;
      }
      case "j":
        if (page) { if (page.dataset.nextUrl) window.location = page.dataset.nextUrl; }
        else moveRow(1);
        break;
      case "k":
        if (page) { if (page.dataset.prevUrl) window.location = page.dataset.prevUrl; }
        else moveRow(-1);
        break;
      case "o": case "Enter": {
        var list = rows(), i = currentIndex(list);
        if (i >= 0) window.location = list[i].dataset.href;
        else return;
        break;
      }
      case "x": {
        var l = rows(), c = currentIndex(l);
        if (c >= 0) { var box = l[c].querySelector("input[type=checkbox]"); box.checked = !box.checked; }
        break;
      }
      case "r": focusReply(false); break;
      case "n": focusReply(true); break;
      case "s": {
        var status = document.getElementById("prop-status") || document.getElementById("reply-status");
        if (status) { status.scrollIntoView({ block: "center" }); status.focus(); }
        break;
      }
      case "u": {
        var back = document.querySelector(".crumbs a");
        if (back) window.location = back.href;
        break;
      }
      default: return;
    }
    ev.preventDefault();
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.closest("[data-close-shortcuts]") || t === overlay()) { toggleHelp(false); return; }

    var selectAll = t.closest("[data-select-all]");
    if (selectAll) {
      document.querySelectorAll("#queue-rows input[name=ticket]").forEach(function (b) { b.checked = selectAll.checked; });
      return;
    }

    var replyBtn = t.closest("[data-insert-reply]");
    if (replyBtn) {
      ev.preventDefault();
      insertPredefined(replyBtn.getAttribute("data-insert-reply"));
      return;
    }
    var linkBtn = t.closest("[data-insert-link]");
    if (linkBtn) {
      ev.preventDefault();
      var body = document.getElementById("reply-body");
      if (body) insertAtCursor(body, linkBtn.dataset.title + ": " + linkBtn.getAttribute("data-insert-link"));
      return;
    }
    var tab = t.closest(".tabs a[hx-get]");
    if (tab) {
      document.querySelectorAll(".tabs a").forEach(function (a) { a.classList.toggle("active", a === tab); });
    }
  });

  function insertPredefined(url) {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.text) return;
        var body = document.getElementById("reply-body");
        insertAtCursor(body, data.text);
        var hidden = document.querySelector("#reply-form input[name=predefined_reply]");
        if (hidden) hidden.value = data.id;
      });
  }

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.id === "use_reply" && t.value) {
      insertPredefined(t.dataset.replyBase + t.value + "/");
      t.value = "";
    }
    if (t.id === "reply-internal") {
      var form = document.getElementById("reply-form");
      if (form) form.classList.toggle("is-note", t.checked);
      var send = document.getElementById("reply-send");
      if (send) send.textContent = t.checked ? send.dataset.noteLabel || "Add note" : send.dataset.sendLabel || "Send";
    }
  });

  /* The no-JS predefined-reply form reloads the page; with JS the select inserts in place. */
  document.addEventListener("submit", function (ev) {
    if (ev.target.id === "predefined-form") {
      ev.preventDefault();
      var sel = document.getElementById("use_reply");
      if (sel && sel.value) { insertPredefined(sel.dataset.replyBase + sel.value + "/"); sel.value = ""; }
    }
  });

  document.addEventListener("input", function (ev) {
    if (ev.target.id === "reply-body" && ev.isTrusted) lastTyped = Date.now();
  });

  /* The presence poll says whether we are typing (added here: the CSP forbids hx-vals="js:"). */
  document.addEventListener("htmx:configRequest", function (ev) {
    if (ev.detail.elt && ev.detail.elt.id === "presence") ev.detail.parameters.typing = window.hdTyping();
  });

  /* Leaving the page frees our presence at once instead of after its TTL. */
  window.addEventListener("pagehide", function () {
    var page = ticketPage();
    if (!page || !navigator.sendBeacon) return;
    var data = new FormData();
    data.append("leaving", "1");
    data.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon(page.dataset.presenceUrl, data);
  });

  /* Removing the client filter chip drops its hidden input and submits the filter form
     (without JavaScript the chip's link leads to the same view). */
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("[data-remove-client]");
    if (!link) return;
    ev.preventDefault();
    var input = link.previousElementSibling;
    var form = link.closest("form");
    if (input) input.remove();
    if (form) form.submit();
  });
})();
