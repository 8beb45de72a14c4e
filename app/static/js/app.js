// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("change", function (ev) {
  var el = ev.target;
  if (!(el && el.matches && el.matches("select[data-autosubmit]") && el.form)) return;
  // requestSubmit fires "submit", so a page's script can hold it (the interview waits for its saves).
  if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
});
document.addEventListener("click", function (ev) {
  var el = ev.target.closest && ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
});
document.addEventListener("click", function (ev) {
  var el = ev.target.closest && ev.target.closest("[data-print]");
  if (el) window.print();
});
