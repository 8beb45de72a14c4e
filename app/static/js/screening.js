// Interview pages: autosave each answer as it is given, skip logic, safety flags at once.
// Every page also works without this file (the Next button saves the whole page).
//
// No answer is ever lost to a flaky connection: an answer not yet saved stays in `pending`
// (in memory) until the station acknowledges it, and a navigation from this page (Next, Back,
// Review, Pause, a language switch, a link) waits until every answer is saved and the station
// answered, then goes on by itself. Where the browser offers WebCrypto and sessionStorage (a
// secure context: https, or this laptop's own 127.0.0.1), pending answers are also kept in the
// tab's sessionStorage, AES-GCM encrypted with a key the page holds in memory (sent by the
// station with the page, non-extractable once imported), so a reload that reaches the station
// puts them back. docs/interview.md says what survives what.
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form || !window.TipExpr) return;
  var status = document.getElementById("save-status");
  var model = JSON.parse(document.getElementById("skip-model").textContent);
  var answers = JSON.parse(document.getElementById("answers-data").textContent);
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var RETRY_MS = 500, SIGNED_OUT_RETRY_MS = 1500, TIMEOUT_MS = 5000;
  // Question id -> change counter: changed, not yet acknowledged by the station. The counter
  // tells a reply about an older value from one about the latest (typing goes on during a save).
  var pending = {};
  var changes = 0, timer = null, inFlight = null, lastOk = 0, needToken = false;
  var state = "saved", errorText = "";
  var leaving = null; // the navigation waiting for every answer to be saved
  var vault = null; // the in-memory AES-GCM key for sessionStorage, when the browser allows it
  var vaultName = "tip-unsaved:" + form.getAttribute("data-record") + ":" + form.getAttribute("data-section");
  var vaultWrites = Promise.resolve();

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function count() { return Object.keys(pending).length; }
  function box(qid) { return document.getElementById("q-" + qid + "-box"); }

  // The status line is rewritten only when its text changes: a screen reader hears each change once.
  function show() {
    var waiting = count() ? " " + msg("waiting").replace("{n}", count()) : "";
    var text = {
      saved: msg("saved"), saving: msg("saving"), error: errorText,
      offline: (leaving ? msg("held") : msg("offline")) + waiting,
      signedout: msg("signed-out") + waiting
    }[state];
    if (!status) return;
    if (status.textContent !== text) status.textContent = text;
    status.setAttribute("data-state", state);
  }

  function setState(next) { state = next; show(); }

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
    // progress.js counts the sections again from the same answers.
    form.dispatchEvent(new CustomEvent("tip:answers", { detail: { answers: answers } }));
  }

  function flagNode(f) {
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
    return div;
  }

  // The alerts box is an alert region: only a flag that is new is added (and announced);
  // flags already shown stay untouched, flags that no longer hold are removed.
  function showFlags(flags) {
    var holder = document.getElementById("flags");
    if (!holder) return;
    var shown = {}, wanted = {};
    holder.querySelectorAll("[data-code]").forEach(function (el) { shown[el.getAttribute("data-code")] = el; });
    flags.forEach(function (f) {
      wanted[f.code] = true;
      if (!shown[f.code]) holder.appendChild(flagNode(f));
    });
    Object.keys(shown).forEach(function (code) { if (!wanted[code]) holder.removeChild(shown[code]); });
  }

  // A question's inputs as [name, value] pairs, as the form would post them.
  function fieldsOf(qid) {
    var pairs = [];
    box(qid).querySelectorAll("input, select, textarea").forEach(function (input) {
      if (!input.name || input.name.indexOf("seen-") === 0) return;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      pairs.push([input.name, input.value]);
    });
    return pairs;
  }

  function fill(qid, pairs) {
    var values = {};
    pairs.forEach(function (p) { (values[p[0]] = values[p[0]] || []).push(p[1]); });
    box(qid).querySelectorAll("input, select, textarea").forEach(function (input) {
      if (!input.name || input.name.indexOf("seen-") === 0) return;
      var mine = values[input.name] || [];
      if (input.type === "radio" || input.type === "checkbox") input.checked = mine.indexOf(input.value) >= 0;
      else input.value = mine.length ? mine[0] : "";
    });
  }

  function seenOf(qid) {
    var seen = form.querySelector("input[name='seen-" + qid + "']");
    return seen ? seen.value : "";
  }

  function setToken(token) {
    csrf = token;
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
  }

  // One request to the station, JSON both ways, never hanging longer than TIMEOUT_MS.
  function call(method, url, data, keepalive) {
    var ctrl = new AbortController();
    var limit = keepalive ? null : setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    if (!keepalive) inFlight = ctrl;
    return fetch(url, {
      method: method, body: data, credentials: "same-origin", keepalive: !!keepalive,
      signal: keepalive ? undefined : ctrl.signal,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        return { status: resp.status, body: body };
      });
    }).finally(function () {
      clearTimeout(limit);
      if (inFlight === ctrl) inFlight = null;
    });
  }

  function post(ids, keepalive) {
    var data = new FormData();
    ids.forEach(function (qid) {
      fieldsOf(qid).forEach(function (p) { data.append(p[0], p[1]); });
      data.append("qid", qid);
    });
    return call("POST", form.getAttribute("data-autosave-url"), data, keepalive);
  }

  // Anything that is not the station's JSON (a captive portal's page, a dropped connection)
  // counts as no connection: the answers stay here and the page tries again.
  function unreachable() {
    setState("offline");
    schedule(RETRY_MS);
  }

  // A 401 (signed out, the station restarted) or an expired form token: keep everything and
  // ask for a new token until the officer has logged in again (in another tab).
  function signedOut() {
    needToken = true;
    setState("signedout");
    schedule(SIGNED_OUT_RETRY_MS);
  }

  // Forget a question's change only if it was not changed again while the save was under way.
  function settled(qid, sent) { if (pending[qid] === sent[qid]) delete pending[qid]; }

  function showErrors(ids, errors) {
    ids.forEach(function (qid) {
      var err = document.getElementById("q-" + qid + "-error");
      var message = errors && errors[qid];
      if (err) { err.textContent = message || ""; err.hidden = !message; }
      box(qid).classList.toggle("has-error", !!message);
      box(qid).querySelectorAll("[aria-describedby]").forEach(function (el) {
        if (message) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
      });
    });
  }

  function saved(body, sent) {
    body.saved.forEach(function (qid) {
      settled(qid, sent);
      answers[qid] = body.answers[qid];
      var seen = form.querySelector("input[name='seen-" + qid + "']");
      if (seen) seen.value = body.seen[qid];
      if (body.converted && body.converted[qid]) {
        // The station stored the Unicode conversion: show it in the field, unless typed on since.
        var field = box(qid).querySelector("input[type=text][name='q-" + qid + "'], textarea[name='q-" + qid + "']");
        if (field && !pending[qid] && typeof body.answers[qid] === "string") field.value = body.answers[qid];
        var conv = document.getElementById("q-" + qid + "-converted");
        if (conv) { conv.textContent = msg("converted"); conv.hidden = false; }
      }
    });
  }

  function saveNow() {
    var ids = Object.keys(pending);
    var sent = {};
    ids.forEach(function (qid) { sent[qid] = pending[qid]; });
    if (state !== "offline" && state !== "signedout") setState("saving");
    post(ids, false).then(function (r) {
      if (r.status === 401 || r.body.problem === "form_expired") { signedOut(); return; }
      if (typeof r.body.ok !== "boolean") { unreachable(); return; }
      lastOk = Date.now();
      showErrors(ids, r.body.errors);
      if (!r.body.ok) {
        // Refused (a wrong answer, a final record): said here; the next change is sent anew.
        ids.forEach(function (q) { settled(q, sent); });
        errorText = r.body.message || msg("error");
        setState("error");
      } else {
        saved(r.body, sent);
        showFlags(r.body.flags || []);
        applySkipLogic();
        // "Saved" only when every change on the page is stored; a newer one goes next.
        setState(count() ? "saving" : "saved");
      }
      keep();
      schedule(count() ? 50 : 0);
    }, unreachable);
  }

  // The station is there and the officer logged in; a fresh form token comes with the answer.
  function checkSession() {
    call("GET", form.getAttribute("data-session-url")).then(function (r) {
      if (r.status === 401) { signedOut(); return; }
      if (r.body.ok !== true || !r.body.csrf_token) { unreachable(); return; }
      setToken(r.body.csrf_token);
      needToken = false;
      lastOk = Date.now();
      if (state === "offline" || state === "signedout") setState(count() ? "saving" : "saved");
      schedule(0);
    }, unreachable);
  }

  // Go on with a held navigation once nothing waits and the station answered just now.
  function proceed() {
    if (Date.now() - lastOk > 1000) { checkSession(); return; }
    var go = leaving;
    leaving = null;
    go();
  }

  function tick() {
    clearTimeout(timer);
    if (inFlight) return;
    if (needToken) checkSession();
    else if (count()) saveNow();
    else if (leaving) proceed();
    else if (state === "offline" || state === "signedout") setState("saved");
  }

  function schedule(ms) { clearTimeout(timer); timer = setTimeout(tick, ms); }

  // Leave the page only once every answer is saved: until then say why the page stays.
  function leave(go) {
    leaving = go;
    show();
    tick();
  }

  // -- kept across a reload, encrypted --------------------------------------------------------

  function b64(bytes) { return btoa(String.fromCharCode.apply(null, new Uint8Array(bytes))); }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }
  function label() { return new TextEncoder().encode(vaultName); }

  // What is pending, with the stored value's fingerprint it was changed from, into sessionStorage.
  function keep() {
    if (!vault) return;
    var entries = {};
    Object.keys(pending).forEach(function (qid) { entries[qid] = { fields: fieldsOf(qid), seen: seenOf(qid) }; });
    var empty = !Object.keys(entries).length;
    vaultWrites = vaultWrites.then(function () {
      if (empty) { sessionStorage.removeItem(vaultName); return null; }
      var iv = crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(entries));
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: label() }, vault, plain)
        .then(function (sealed) { sessionStorage.setItem(vaultName, b64(iv) + "." + b64(sealed)); });
    }).catch(function () { /* storage refused or full: the answers are still in memory */ });
  }

  // After a reload: put back what this tab could not save, unless the station's answer changed
  // since (the keepalive on leaving saved it, or another tab answered: that answer stands).
  function restore() {
    var item = sessionStorage.getItem(vaultName);
    if (!item) return null;
    var parts = item.split(".");
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(parts[0]), additionalData: label() },
                                 vault, unb64(parts[1] || "")).then(function (plain) {
      var entries = JSON.parse(new TextDecoder().decode(plain));
      Object.keys(entries).forEach(function (qid) {
        if (!box(qid) || seenOf(qid) !== entries[qid].seen) return;
        fill(qid, entries[qid].fields);
        pending[qid] = ++changes;
      });
      keep();
      schedule(0);
    }, function () { sessionStorage.removeItem(vaultName); }); // another key (another login): unreadable
  }

  function openVault() {
    var holder = document.getElementById("unsaved-key");
    var raw = holder ? JSON.parse(holder.textContent) : "";
    if (holder) holder.parentNode.removeChild(holder);
    if (!raw || !window.crypto || !crypto.subtle) return;
    var bytes = unb64(raw);
    crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
      .then(function (key) {
        bytes.fill(0);
        window.sessionStorage.getItem(vaultName); // throws where storage is refused
        vault = key;
        return restore();
      }).catch(function () { vault = null; });
  }

  // -- events ----------------------------------------------------------------------------------

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
    keep();
    if (state === "offline" || state === "signedout") show(); // the count changed
    if (!inFlight && state !== "offline" && state !== "signedout") schedule(ev.type === "input" ? 600 : 0);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (ev) {
    if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") changed(ev);
  });
  // Enter (a phone's Go key) in a field saves that field now and goes nowhere.
  form.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.key !== "Enter" || t.tagName !== "INPUT" || t.type === "submit" || t.type === "button") return;
    ev.preventDefault();
    changed(ev);
    schedule(0);
  });
  // Next, Back, Review, Pause: sent by the form itself once every answer is saved.
  var pressed = null; // browsers without SubmitEvent.submitter: the button last clicked
  form.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button[name=go]");
    if (button) pressed = button;
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var button = ev.submitter || pressed;
    var go = button && button.name === "go" ? button.value : "next";
    leave(function () {
      var field = document.createElement("input");
      field.type = "hidden"; field.name = "go"; field.value = go;
      form.appendChild(field);
      form.submit();
    });
  });
  // Any other form (the languages, Lock) and any link on the page wait the same way.
  document.addEventListener("submit", function (ev) {
    var other = ev.target;
    if (other === form || ev.defaultPrevented) return;
    ev.preventDefault();
    leave(function () { other.submit(); });
  });
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a[href]");
    if (!link || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey
        || link.target || link.origin !== window.location.origin || link.getAttribute("href").charAt(0) === "#") return;
    ev.preventDefault();
    leave(function () { window.location.assign(link.href); });
  });
  window.addEventListener("online", function () {
    if (inFlight) inFlight.abort(); // a request hung on the dead connection: try again now
    setTimeout(tick, 0); // after that request's failure has been handled
  });
  // Without encrypted storage, a reload or a closed tab would lose what is pending: only then
  // does the browser ask. The page's own navigation never leaves with anything pending.
  window.addEventListener("beforeunload", function (ev) {
    if (!vault && count()) { ev.preventDefault(); ev.returnValue = ""; }
  });
  // The page is going away (tab closed, reload): hand what is not saved yet to the browser,
  // which completes a keepalive request after the page is gone (the encrypted copy stays too).
  window.addEventListener("pagehide", function () {
    var ids = Object.keys(pending);
    if (!ids.length) return;
    clearTimeout(timer);
    post(ids, true).catch(function () { /* nothing left to tell: the page is gone */ });
  });
  openVault();
  applySkipLogic();
})();
