// The export page: while the browser downloads the file the form posted for, ask the server
// how far the export is (any worker answers from the database) and show it in the bar.
(function () {
  "use strict";
  var form = document.getElementById("export-form");
  var box = document.getElementById("export-progress");
  if (!form || !box || !window.fetch) return;
  var bar = document.getElementById("export-bar");
  var status = document.getElementById("export-status");

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  function poll() {
    fetch(form.getAttribute("data-progress"), {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (run) {
        if (run.state === "running" || run.state === "unknown") {
          if (run.total) { bar.max = run.total; bar.value = run.done; }
          if (run.state === "running") status.textContent = fill(status.getAttribute("data-running"), run);
          window.setTimeout(poll, 700);
          return;
        }
        bar.max = run.total || 1;
        bar.value = run.state === "done" ? bar.max : run.done;
        box.setAttribute("data-state", run.state);
        status.textContent = (run.state === "done"
          ? fill(status.getAttribute("data-done"), run)
          : status.getAttribute("data-failed")) + " " + status.getAttribute("data-again");
        form.querySelector("button[type=submit]").disabled = true;
      })
      .catch(function () { window.setTimeout(poll, 1500); });
  }

  form.addEventListener("submit", function () {
    box.hidden = false;
    window.setTimeout(poll, 300);
  });
}());
