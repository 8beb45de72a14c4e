/* tip-screen skip-logic expressions: the browser twin of app/questionnaire/expr.py.
 * Same tokens, grammar, error codes and evaluation rules; checked against
 * app/questionnaire/expr_vectors.json. Never uses eval. Exposes window.TipExpr:
 *   TipExpr.parse(src) -> tree (throws TipExpr.ExprError with .code)
 *   TipExpr.evaluate(srcOrTree, answers, params) -> null|boolean|number|string|string[]
 *   TipExpr.holds(srcOrTree, answers, params) -> boolean (absent expression holds)
 */
(function (root) {
  "use strict";
  var MAX_LENGTH = 2000, MAX_TOKENS = 500, MAX_DEPTH = 32;
  var FUNCTIONS = { selected: 2, count_selected: 1, answered: 1, known: 1, unknown: 1, declined: 1 };
  var KEYWORDS = { and: 1, or: 1, not: 1, "true": 1, "false": 1 };
  var COMPARISONS = { "=": 1, "!=": 1, "<": 1, "<=": 1, ">": 1, ">=": 1 };
  var has = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };

  function ExprError(code, message, position) {
    this.name = "ExprError"; this.code = code; this.message = message; this.position = position || 0;
  }
  ExprError.prototype = Object.create(Error.prototype);

  var isDigit = function (c) { return c >= "0" && c <= "9"; };
  var isNameStart = function (c) { return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_"; };
  var isName = function (c) { return isNameStart(c) || isDigit(c); };

  function tokenize(s) {
    var out = [], i = 0, n = s.length, c, start;
    while (i < n) {
      c = s[i];
      if (c === " " || c === "\t" || c === "\r" || c === "\n") { i++; }
      else if (isDigit(c)) {
        start = i;
        while (i < n && isDigit(s[i])) i++;
        if (i < n && s[i] === ".") {
          i++;
          if (i >= n || !isDigit(s[i])) throw new ExprError("unexpected_char", "digit expected after '.'", i);
          while (i < n && isDigit(s[i])) i++;
        }
        out.push({ kind: "num", text: s.slice(start, i), value: Number(s.slice(start, i)), pos: start });
      } else if (c === "'" || c === '"') {
        start = i++;
        var chars = "";
        for (;;) {
          if (i >= n) throw new ExprError("unterminated_string", "string not closed", start);
          var ch = s[i];
          if (ch === c) { i++; break; }
          if (ch === "\\") {
            if (i + 1 >= n) throw new ExprError("unterminated_string", "string not closed", start);
            var nx = s[i + 1];
            if (nx !== "\\" && nx !== "'" && nx !== '"') throw new ExprError("bad_escape", "bad escape", i);
            chars += nx; i += 2;
          } else { chars += ch; i++; }
        }
        out.push({ kind: "str", text: s.slice(start, i), value: chars, pos: start });
      } else if (c === "$") {
        start = i;
        if (s[i + 1] !== "{") throw new ExprError("bad_reference", "'$' must start ${question_id}", i);
        i += 2;
        var ns = i;
        while (i < n && isName(s[i])) i++;
        var name = s.slice(ns, i);
        if (i >= n || s[i] !== "}" || !name || !isNameStart(name[0])) {
          throw new ExprError("bad_reference", "expected ${question_id}", start);
        }
        i++;
        out.push({ kind: "ref", text: s.slice(start, i), value: name, pos: start });
      } else if (isNameStart(c)) {
        start = i;
        while (i < n && isName(s[i])) i++;
        out.push({ kind: "name", text: s.slice(start, i), value: s.slice(start, i), pos: start });
      } else {
        var two = s.slice(i, i + 2);
        if (two === "!=" || two === "<=" || two === ">=") { out.push({ kind: "op", text: two, pos: i }); i += 2; }
        else if ("=<>+-*/(),".indexOf(c) >= 0) { out.push({ kind: "op", text: c, pos: i }); i++; }
        else throw new ExprError("unexpected_char", "unexpected character " + c, i);
      }
    }
    out.push({ kind: "end", text: "", pos: n });
    return out;
  }

  function parse(src) {
    if (typeof src !== "string") throw new ExprError("unexpected_token", "expression must be a string", 0);
    if (src.length > MAX_LENGTH) throw new ExprError("too_long", "expression too long", 0);
    var toks = tokenize(src), at = 0, depth = 0;
    if (toks.length - 1 > MAX_TOKENS) throw new ExprError("too_long", "expression has too many parts", 0);
    var peek = function () { return toks[at]; };
    var isOp = function (t) { return toks[at].kind === "op" && toks[at].text === t; };
    var isWord = function (w) { return toks[at].kind === "name" && toks[at].text === w; };
    function fail(t) {
      return t.kind === "end" ? new ExprError("unexpected_end", "expression ends too early", t.pos)
        : new ExprError("unexpected_token", "unexpected " + t.text, t.pos);
    }
    function deeper() { if (++depth > MAX_DEPTH) throw new ExprError("too_deep", "nested too deeply", peek().pos); }
    function expectOp(t) { if (!isOp(t)) throw fail(peek()); at++; }
    function orExpr() {
      var node = andExpr();
      while (isWord("or")) { at++; node = { op: "or", left: node, right: andExpr() }; }
      return node;
    }
    function andExpr() {
      var node = notExpr();
      while (isWord("and")) { at++; node = { op: "and", left: node, right: notExpr() }; }
      return node;
    }
    function notExpr() {
      if (isWord("not")) { at++; deeper(); var node = { op: "not", operand: notExpr() }; depth--; return node; }
      return comparison();
    }
    function comparison() {
      var node = sum(), t = peek();
      if (t.kind === "op" && has(COMPARISONS, t.text)) { at++; node = { op: t.text, left: node, right: sum() }; }
      return node;
    }
    function sum() {
      var node = product();
      while (isOp("+") || isOp("-")) { var op = toks[at++].text; node = { op: op, left: node, right: product() }; }
      return node;
    }
    function product() {
      var node = unary();
      while (isOp("*") || isOp("/")) { var op = toks[at++].text; node = { op: op, left: node, right: unary() }; }
      return node;
    }
    function unary() {
      if (isOp("-")) { at++; deeper(); var node = { op: "neg", operand: unary() }; depth--; return node; }
      return primary();
    }
    function primary() {
      var t = toks[at++];
      if (t.kind === "num" || t.kind === "str") return { lit: t.value };
      if (t.kind === "ref") return { ref: t.value };
      if (t.kind === "name") {
        if (t.text === "true") return { lit: true };
        if (t.text === "false") return { lit: false };
        if (has(KEYWORDS, t.text)) throw fail(t);
        if (isOp("(")) return call(t);
        return { param: t.text };
      }
      if (t.kind === "op" && t.text === "(") {
        deeper(); var node = orExpr(); expectOp(")"); depth--; return node;
      }
      throw fail(t);
    }
    function call(name) {
      if (!has(FUNCTIONS, name.text)) throw new ExprError("unknown_function", "unknown function " + name.text, name.pos);
      at++; deeper();
      var args = [];
      if (!isOp(")")) {
        args.push(orExpr());
        while (isOp(",")) { at++; args.push(orExpr()); }
      }
      expectOp(")"); depth--;
      if (args.length !== FUNCTIONS[name.text] || !has(args[0], "ref")) {
        throw new ExprError("bad_arguments", name.text + "() takes a ${question} reference", name.pos);
      }
      return { call: name.text, args: args };
    }
    var tree = orExpr();
    if (peek().kind !== "end") throw fail(peek());
    return tree;
  }

  var isObj = function (v) { return v !== null && typeof v === "object" && !Array.isArray(v); };
  var isNum = function (v) { return typeof v === "number"; };

  function specialOf(stored) {
    return isObj(stored) && typeof stored.special === "string" ? stored.special : null;
  }

  // The expression value of a stored answer; shape based, as value_of() in expr.py.
  function valueOf(v) {
    if (v === undefined || v === null || typeof v === "boolean" || typeof v === "string") return v === undefined ? null : v;
    if (isNum(v)) return isFinite(v) ? v : null;
    if (Array.isArray(v)) return v.filter(function (x) { return typeof x === "string"; });
    if (isObj(v)) {
      if (has(v, "special")) return null;
      if (typeof v.date === "string") return v.date;
      if (isNum(v.age)) return valueOf(v.age);
    }
    return null;
  }

  function sameType(a, b) {
    var ta = typeof a, tb = typeof b;
    return ta === tb && (ta === "number" || ta === "string" || ta === "boolean");
  }

  // Compare strings by code point, like Python (JS compares UTF-16 units).
  function cmpStr(a, b) {
    var x = Array.from(a), y = Array.from(b), n = Math.min(x.length, y.length), i, d;
    for (i = 0; i < n; i++) { d = x[i].codePointAt(0) - y[i].codePointAt(0); if (d) return d; }
    return x.length - y.length;
  }

  function compare(op, a, b) {
    if (a === null || b === null || !sameType(a, b)) return false;
    if (op === "=") return a === b;
    if (op === "!=") return a !== b;
    if (typeof a === "boolean") return false;
    var d = typeof a === "string" ? cmpStr(a, b) : a - b;
    return op === "<" ? d < 0 : op === "<=" ? d <= 0 : op === ">" ? d > 0 : d >= 0;
  }

  function arithmetic(op, a, b) {
    if (!isNum(a) || !isNum(b)) return null;
    var r;
    if (op === "+") r = a + b;
    else if (op === "-") r = a - b;
    else if (op === "*") r = a * b;
    else { if (b === 0) return null; r = a / b; }
    return isFinite(r) ? r : null;
  }

  function evaluate(expr, answers, params) {
    var tree = typeof expr === "string" ? parse(expr) : expr;
    answers = answers || {}; params = params || {};
    var get = function (map, k) { return has(map, k) ? map[k] : null; };
    function run(node) {
      if (has(node, "lit")) return node.lit;
      if (has(node, "ref")) return valueOf(get(answers, node.ref));
      if (has(node, "param")) return valueOf(get(params, node.param));
      if (has(node, "call")) return call(node);
      if (node.op === "not") return run(node.operand) !== true;
      if (node.op === "neg") { var v = run(node.operand); return isNum(v) ? -v : null; }
      if (node.op === "and") return run(node.left) === true && run(node.right) === true;
      if (node.op === "or") return run(node.left) === true || run(node.right) === true;
      var l = run(node.left), r = run(node.right);
      return has(COMPARISONS, node.op) ? compare(node.op, l, r) : arithmetic(node.op, l, r);
    }
    function call(node) {
      var stored = get(answers, node.args[0].ref), name = node.call;
      if (stored === undefined) stored = null;
      if (name === "answered") return stored !== null;
      if (name === "known") return stored !== null && specialOf(stored) === null;
      if (name === "unknown" || name === "declined") return specialOf(stored) === name;
      var value = valueOf(stored);
      if (name === "count_selected") return Array.isArray(value) ? value.length : typeof value === "string" ? 1 : 0;
      var wanted = run(node.args[1]);
      if (typeof wanted !== "string") return false;
      return Array.isArray(value) ? value.indexOf(wanted) >= 0 : value === wanted;
    }
    return run(tree);
  }

  function holds(expr, answers, params) {
    return expr === null || expr === undefined ? true : evaluate(expr, answers, params) === true;
  }

  root.TipExpr = { parse: parse, evaluate: evaluate, holds: holds, valueOf: valueOf, ExprError: ExprError };
})(typeof window !== "undefined" ? window : this);
