(function () {
  // The 24-hour window countdown; at zero the page reloads to offer templates only.
  var el = document.getElementById("wa-window");
  if (!el) return;
  var left = parseInt(el.dataset.seconds, 10);
  function show() {
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
    el.textContent = h + " h " + (m < 10 ? "0" : "") + m + " min";
  }
  show();
  setInterval(function () { left -= 30; if (left <= 0) { location.reload(); } else { show(); } }, 30000);
})();
