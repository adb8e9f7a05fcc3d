/* Keyboard shortcuts of the review page: V link, N not link, D defer, M focus the reason, S next review.
   Ignored while typing in a field (Escape leaves the field). No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var form = document.getElementById("decide");
  var reason = document.getElementById("reason");
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT");
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (ev.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (typing(document.activeElement)) { return; }
    var key = ev.key.toLowerCase();
    if (key === "m" && reason) { ev.preventDefault(); reason.focus(); return; }
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) { return; }
    ev.preventDefault();
    if (target.tagName === "A") { window.location.href = target.href; return; }
    if (form && reason && !reason.value.trim()) { reason.focus(); reason.setAttribute("aria-invalid", "true"); return; }
    if (form && form.requestSubmit) { form.requestSubmit(target); } else { target.click(); }
  });
})();
