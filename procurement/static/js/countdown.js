// Countdown to a deadline, in the viewer's own time zone. The authoritative time is the
// server's (shown beside it); this only helps people see how long they have left.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function tick(node) {
    var deadline = new Date(node.dataset.deadline);
    var offset = Number(node.dataset.serverOffsetMs || 0);
    var left = deadline.getTime() - (Date.now() + offset);
    var out = node.querySelector("[data-left]");
    if (left <= 0) { out.textContent = node.dataset.closedLabel; return false; }
    var s = Math.floor(left / 1000);
    var days = Math.floor(s / 86400);
    out.textContent = days + " " + node.dataset.daysLabel + " " +
      pad(Math.floor(s % 86400 / 3600)) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    return true;
  }
  document.querySelectorAll("[data-deadline]").forEach(function (node) {
    var local = node.querySelector("[data-local]");
    if (local) {
      local.textContent = new Date(node.dataset.deadline).toLocaleString(
        document.documentElement.lang, { dateStyle: "full", timeStyle: "short" });
    }
    // Correct for a wrong clock on this computer: the page carries the server's time.
    node.dataset.serverOffsetMs = String(new Date(node.dataset.serverNow).getTime() - Date.now());
    if (tick(node)) {
      var timer = setInterval(function () { if (!tick(node)) clearInterval(timer); }, 1000);
    }
  });
})();
