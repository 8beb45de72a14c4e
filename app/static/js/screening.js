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
  var pending = {};   // question id -> true: changed, not yet acknowledged by the station
  var timer = null, retryDelay = 1000, inFlight = false;

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
      strong.textContent = f.code;
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

  function send() {
    var ids = Object.keys(pending);
    if (!ids.length || inFlight) return;
    inFlight = true;
    var data = new FormData();
    ids.forEach(function (qid) {
      fieldsOf(qid).forEach(function (value, key) { data.append(key, value); });
    });
    say(form.getAttribute("data-msg-saving"));
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().then(function (body) { return { status: resp.status, body: body }; });
    }).then(function (r) {
      inFlight = false;
      if (r.status === 401) { window.location.reload(); return; }
      ids.forEach(function (qid) {
        var err = document.getElementById("q-" + qid + "-error");
        var message = r.body.errors && r.body.errors[qid];
        if (err) { err.textContent = message || ""; err.hidden = !message; }
        box(qid).classList.toggle("has-error", !!message);
      });
      if (!r.body.ok) { say(r.body.message || form.getAttribute("data-msg-error")); ids.forEach(function (q) { delete pending[q]; }); return; }
      r.body.saved.forEach(function (qid) {
        delete pending[qid];
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
      say(form.getAttribute("data-msg-saved"));
      if (Object.keys(pending).length) schedule(50);
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
    pending[el.getAttribute("data-qid")] = true;
    schedule(ev.type === "input" ? 600 : 0);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (ev) {
    if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") changed(ev);
  });
  window.addEventListener("beforeunload", function (ev) {
    if (Object.keys(pending).length) { send(); ev.preventDefault(); ev.returnValue = ""; }
  });
  form.addEventListener("submit", function () { pending = {}; });
  applySkipLogic();
})();
