// The progress line ("Part 3 of 9") counted again as answers are given, by the rule of
// app/questionnaire/progress.py: a section counts while its relevance holds, or while each of
// its "and" parts holds or reads a question still open (shown or maybe shown, not answered,
// in this section or a later one). screening.js sends the answers it holds in a "tip:answers"
// event on the section form after each save; without this file the server's count stands.
(function () {
  "use strict";
  var line = document.getElementById("progress-text");
  var form = document.getElementById("section-form");
  if (!line || !form || !window.TipExpr) return;
  var model = JSON.parse(document.getElementById("skip-model").textContent);
  var bar = document.getElementById("progress-bar");
  var current = line.getAttribute("data-section");
  var trees = {};

  function tree(src) {
    if (!Object.prototype.hasOwnProperty.call(trees, src)) trees[src] = TipExpr.parse(src);
    return trees[src];
  }

  function parts(node) {
    return node.op === "and" ? parts(node.left).concat(parts(node.right)) : [node];
  }

  function readsOpen(node, open) {
    if (!node || typeof node !== "object") return false;
    if (typeof node.ref === "string") return open[node.ref] === true;
    return readsOpen(node.left, open) || readsOpen(node.right, open) || readsOpen(node.operand, open) ||
      (node.args || []).some(function (arg) { return readsOpen(arg, open); });
  }

  function mayHold(src, effective, open) {
    if (src === null || src === undefined) return true;
    return parts(tree(src)).every(function (part) {
      return TipExpr.holds(part, effective, model.params) || readsOpen(part, open);
    });
  }

  function count(answers) {
    var effective = {}, open = {}, counted = [];
    // Questions from the section on screen on may still be answered (all, if it is not known).
    var reached = !model.sections.some(function (s) { return s.id === current; });
    model.sections.forEach(function (s) {
      reached = reached || s.id === current;
      var shown = TipExpr.holds(s.relevant, effective, model.params);
      var possible = mayHold(s.relevant, effective, open);
      if (possible) counted.push(s.id);
      s.questions.forEach(function (q) {
        if (!q.answerable) return;
        var value = answers[q.id];
        var answered = shown && TipExpr.holds(q.relevant, effective, model.params) &&
          value !== undefined && value !== null;
        if (answered) effective[q.id] = value;
        else if (reached && possible && mayHold(q.relevant, effective, open)) open[q.id] = true;
      });
    });
    var n = counted.indexOf(current) + 1 || 1;
    return { n: n, total: Math.max(counted.length, n) };
  }

  function show(answers) {
    var at = count(answers);
    line.querySelector(".progress-n").textContent = String(at.n);
    line.querySelector(".progress-total").textContent = String(at.total);
    if (bar) { bar.max = at.total; bar.value = at.n; bar.textContent = at.n + "/" + at.total; }
  }

  form.addEventListener("tip:answers", function (ev) { show(ev.detail.answers); });
  show(JSON.parse(document.getElementById("answers-data").textContent));
})();
