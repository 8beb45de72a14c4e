// Interview pages: autosave each answer as it is given, skip logic, safety flags at once.
// Every page also works without this file (the Next button saves the whole page).
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form || !window.TipExpr) return;
  var status = document.getElementById("save-status");
  var model = JSON.parse(document.getElementById("skip-model").textContent);
  var answers = JSON.parse(document.getElementById("answers-data").textContent);
  var csrf = form.querySelector("input[name=csrf_token]").value;
  // Question id -> change counter: changed, not yet acknowledged by the station. The counter
  // tells a reply about an older value from one about the latest (typing goes on during a save).
  var pending = {};
  var changes = 0, timer = null, retryDelay = 1000, inFlight = false;

  function say(text) { if (status) status.textContent = text; }

  function box(qid) { return document.getElementById("q-" + qid + "-box"); }

  // Same rule as app/questionnaire/relevance.py: document order, only visible answers count.
  function applySkipLogic() {
    var effective = {};
    model.sections.forEach(function (s) {
      var shown = TipExpr.holds(s.relevant, effective, model.params);
      s.questions.forEach(function (q) {
        var visible = shown && TipExpr.holds(q.relevant, effective, model.params);
        var el = box(q.id);
        if (el) el.hidden = !visible;
        if (visible && q.answerable && answers[q.id] !== undefined && answers[q.id] !== null) {
          effective[q.id] = answers[q.id];
        }
      });
    });
  }

  function showFlags(flags) {
    var holder = document.getElementById("flags");
    if (!holder) return;
    holder.textContent = "";
    flags.forEach(function (f) {
      var div = document.createElement("div");
      div.className = "flag flag-" + f.level;
      div.setAttribute("data-code", f.code);
      var strong = document.createElement("strong");
      strong.className = "flag-code";
      strong.textContent = f.name || f.code;
      var span = document.createElement("span");
      span.className = "flag-action";
      span.textContent = " " + f.action;
      div.appendChild(strong);
      div.appendChild(span);
      holder.appendChild(div);
    });
  }

  function fieldsOf(qid) {
    var data = new FormData();
    var el = box(qid);
    el.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (!input.name || input.name.indexOf("seen-") === 0) return;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      data.append(input.name, input.value);
    });
    data.append("qid", qid);
    return data;
  }

  function post(ids, keepalive) {
    var data = new FormData();
    ids.forEach(function (qid) {
      fieldsOf(qid).forEach(function (value, key) { data.append(key, value); });
    });
    return fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", body: data, credentials: "same-origin", keepalive: keepalive,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    });
  }

  // Forget a question's change only if it was not changed again while the save was under way.
  function settled(qid, sent) { if (pending[qid] === sent[qid]) delete pending[qid]; }

  function send() {
    var ids = Object.keys(pending);
    if (!ids.length || inFlight) return;
    inFlight = true;
    var sent = {};
    ids.forEach(function (qid) { sent[qid] = pending[qid]; });
    say(form.getAttribute("data-msg-saving"));
    post(ids, false).then(function (resp) {
      return resp.json().then(function (body) { return { status: resp.status, body: body }; });
    }).then(function (r) {
      inFlight = false;
      if (r.status === 401) { window.location.reload(); return; }
      ids.forEach(function (qid) {
        var err = document.getElementById("q-" + qid + "-error");
        var message = r.body.errors && r.body.errors[qid];
        if (err) { err.textContent = message || ""; err.hidden = !message; }
        box(qid).classList.toggle("has-error", !!message);
        box(qid).querySelectorAll("[aria-describedby]").forEach(function (el) {
          if (message) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
        });
      });
      if (!r.body.ok) {
        say(r.body.message || form.getAttribute("data-msg-error"));
        ids.forEach(function (q) { settled(q, sent); });
        if (Object.keys(pending).length) schedule(50);
        return;
      }
      r.body.saved.forEach(function (qid) {
        settled(qid, sent);
        answers[qid] = r.body.answers[qid];
        var seen = form.querySelector("input[name='seen-" + qid + "']");
        if (seen) seen.value = r.body.seen[qid];
        var conv = document.getElementById("q-" + qid + "-converted");
        if (conv && r.body.converted && r.body.converted[qid]) {
          conv.textContent = form.getAttribute("data-msg-converted"); conv.hidden = false;
        }
      });
      showFlags(r.body.flags || []);
      applySkipLogic();
      retryDelay = 1000;
      // "Saved" only when every change on the page is stored; a newer one goes next.
      if (Object.keys(pending).length) schedule(50);
      else say(form.getAttribute("data-msg-saved"));
    }).catch(function () {
      // No connection to the station: keep the answers here and try again.
      inFlight = false;
      say(form.getAttribute("data-msg-offline"));
      schedule(retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function schedule(ms) { clearTimeout(timer); timer = setTimeout(send, ms); }

  function changed(ev) {
    var el = ev.target.closest("[data-qid]");
    if (!el) return;
    var input = ev.target;
    // "None of these" cannot be combined with other choices.
    if (input.type === "checkbox" && input.checked) {
      el.querySelectorAll("input[type=checkbox]").forEach(function (other) {
        if (other !== input && (input.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) other.checked = false;
      });
    }
    pending[el.getAttribute("data-qid")] = ++changes;
    schedule(ev.type === "input" ? 600 : 0);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (ev) {
    if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") changed(ev);
  });
  window.addEventListener("beforeunload", function (ev) {
    if (Object.keys(pending).length) { ev.preventDefault(); ev.returnValue = ""; }
  });
  // The page is going away (tab closed, another page opened): hand what is not saved yet to
  // the browser, which completes a keepalive request after the page is gone.
  window.addEventListener("pagehide", function () {
    var ids = Object.keys(pending);
    if (!ids.length) return;
    clearTimeout(timer);
    pending = {};
    post(ids, true).catch(function () { /* nothing left to tell: the page is gone */ });
  });
  form.addEventListener("submit", function () { pending = {}; });
  applySkipLogic();
})();
