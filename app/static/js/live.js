// Live pages at central: the element marked data-live follows new records with no reload.
// Every few seconds it asks data-live-url for the versions (cheap); when its kind's version
// is not the one the page was drawn at, it fetches this very address again (the query
// keeps filters, sorting and page), swaps that element's content in place, keeps the scroll
// position and focus, and tells screen readers politely. Without this file the page is
// complete, just not live. Its requests carry X-TS-Background, so an open page does not
// keep an unattended session from timing out; when the session ends, the page reloads
// (to the login page) rather than keep showing what it showed.
"use strict";
(function () {
  var region = document.querySelector("[data-live]");
  if (!region || !window.fetch || !window.DOMParser) return;
  var kind = region.getAttribute("data-live");
  var url = region.getAttribute("data-live-url");
  var every = Number(region.getAttribute("data-live-every")) || 5000;
  var quiet = {"Accept": "application/json", "X-TS-Background": "1"};
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  region.parentNode.insertBefore(status, region.nextSibling);
  var timer = null;
  var busy = false;

  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(check, ms);
  }

  function signedOut(r) {
    if (r.status === 401 || r.status === 403 || r.redirected) {
      window.location.reload();
      throw new Error("signed out");
    }
    if (!r.ok) throw new Error("status " + r.status);
    return r;
  }

  // A field in the region the person has changed but not sent: wait, do not overwrite it.
  function editing() {
    var fields = region.querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f === document.activeElement) return true;
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) return true;
        }
      } else if (f.type !== "hidden" && f.value !== f.defaultValue) return true;
    }
    return false;
  }

  function check() {
    if (document.hidden || busy) return; // visibilitychange starts again
    busy = true;
    fetch(url, {headers: quiet, credentials: "same-origin", cache: "no-store"})
      .then(signedOut)
      .then(function (r) { return r.json(); })
      .then(function (versions) {
        var now = versions[kind];
        if (now !== undefined && now !== region.getAttribute("data-live-version") && !editing()) {
          return refresh();
        }
      })
      .catch(function () {}) // no answer: the page stays as it is; ask again later
      .then(function () {
        busy = false;
        later(every);
      });
  }

  function refresh() {
    var headers = {"Accept": "text/html", "X-TS-Background": "1"};
    return fetch(window.location.href, {headers: headers, credentials: "same-origin", cache: "no-store"})
      .then(signedOut)
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (!fresh || fresh.getAttribute("data-live") !== kind || editing()) return;
        var x = window.scrollX, y = window.scrollY;
        var focused = region.contains(document.activeElement) ? document.activeElement.id : "";
        var nodes = [];
        for (var n = fresh.firstChild; n; n = n.nextSibling) nodes.push(document.importNode(n, true));
        region.replaceChildren.apply(region, nodes);
        region.setAttribute("data-live-version", fresh.getAttribute("data-live-version"));
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        window.scrollTo(x, y);
        // Emptied first, so the same words are announced again at the next update.
        status.textContent = "";
        setTimeout(function () { status.textContent = region.getAttribute("data-live-message"); }, 100);
        document.dispatchEvent(new CustomEvent("live:updated", {detail: {kind: kind}}));
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) later(0);
  });
  later(every);
})();
