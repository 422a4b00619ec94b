/**
 * The compare page's script. It reads the embedded comparison and builds every node
 * with textContent, never innerHTML, so nothing from a results.json is parsed as
 * markup. Plain ES2017 with no template literals: it lives in a template literal here.
 */
export const compareScript = String.raw`
"use strict";
(function () {
  var doc = JSON.parse(document.getElementById("compare-data").textContent);
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) { for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]); return parent; }
  function pair(dl, name, value) { if (value === null || value === undefined || value === "") return; add(dl, el("dt", "", name), typeof value === "object" ? add(el("dd"), value) : el("dd", "", value)); }
  function badge(level) { return el("span", "badge " + (["must", "should", "interop"].indexOf(level) >= 0 ? level : "unknown"), level); }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  var CHANGE_TEXT = { regressed: "regressed", fixed: "fixed", "still-failing": "still failing", unchecked: "unchecked", new: "new", gone: "gone", good: "" };
  var inputs = doc.inputs;
  function role(i) { return doc.mode === "pair" ? (i === 0 ? "base" : "head") : "#" + (i + 1); }

  // Header: verdict and the inputs.
  var reg = 0, fix = 0, still = 0;
  doc.totals.forEach(function (t) { reg += t.regressed; fix += t.fixed; still += t.stillFailing; });
  var verdict = document.getElementById("verdict");
  verdict.className = "verdict " + (doc.regressed ? "bad" : "ok");
  verdict.textContent = (reg ? plural(reg, "regression", "regressions") : "no regression") + "; " + fix + " fixed, " + still + " still failing (requirement × variant)";
  var itb = document.querySelector("#inputs tbody");
  inputs.forEach(function (inp, i) {
    var tr = el("tr");
    var ad = el("td");
    inp.adapters.forEach(function (a, k) {
      if (k) ad.appendChild(document.createTextNode("; "));
      add(ad, el("strong", "", a.id), document.createTextNode(" " + a.version + (a.binary ? " (" + a.binary + ")" : "") + ": " + a.variants.join(", ")));
    });
    add(tr, el("td", "", role(i)), el("td", "label", inp.label), add(el("td"), el("code", "", inp.file)), el("td", "", String(inp.seed)), el("td", "", String(inp.cases)), el("td", "", inp.suiteVersion + ", " + inp.startedAt), ad);
    itb.appendChild(tr);
  });

  // Columns: per variant, the inputs it is compared across.
  var groups = doc.variants.map(function (v) {
    var cols = [];
    v.inputs.forEach(function (x, i) { if (x) cols.push(i); });
    v.steps.forEach(function (s) { [s.from, s.to].forEach(function (i) { if (cols.indexOf(i) < 0) cols.push(i); }); });
    cols.sort(function (a, b) { return a - b; });
    return { v: v, cols: cols };
  });
  var cellOf = {};
  doc.cells.forEach(function (c) { cellOf[c.requirement + "|" + c.variant] = c; });
  var reqOf = {};
  doc.requirements.forEach(function (r) { reqOf[r.id] = r; });

  var head1 = document.querySelector("#matrix thead tr.variants");
  var head2 = document.querySelector("#matrix thead tr.releases");
  groups.forEach(function (g) {
    var th = el("th", "", g.v.key);
    th.colSpan = g.cols.length;
    th.scope = "colgroup";
    head1.appendChild(th);
    g.cols.forEach(function (i, k) {
      var vi = g.v.inputs[i];
      var c = add(el("th", "col" + (k === 0 ? " first" : "")), el("span", "", inputs[i].label), el("span", "sub", vi ? vi.version : "did not run " + g.v.key), el("span", "sub", vi ? plural(vi.cases, "case", "cases") : ""));
      c.scope = "col";
      c.title = inputs[i].label + ": " + (vi ? vi.version : "did not run " + g.v.key);
      head2.appendChild(c);
    });
  });
  var width = 0;
  groups.forEach(function (g) { width += g.cols.length; });

  function kindOf(col) {
    if (!col) return "absent";
    var c = col.counts;
    if (c.CRASH) return "crash";
    if (c.TIMEOUT) return "timeout";
    if (c.FAIL) return "fail";
    if (c.ERROR) return "error";
    if (c.SKIP) return "skip";
    if (c.PASS) return "pass";
    return "na";
  }
  function stepInto(cell, i) {
    if (!cell) return null;
    for (var k = 0; k < cell.steps.length; k++) if (cell.steps[k].to === i) return cell.steps[k];
    return null;
  }
  function restText(col) {
    if (!col) return "";
    var c = col.counts, parts = [];
    ["CRASH", "TIMEOUT", "FAIL", "ERROR", "PASS", "SKIP"].forEach(function (s) { if (c[s] && col.label.indexOf(s + " ") !== 0) parts.push(c[s] + " " + s); });
    if (c.NA && col.label.indexOf("SKIP (n/a)") !== 0) parts.push(c.NA + " n/a");
    return parts.join(" · ");
  }

  var tbody = document.querySelector("#matrix tbody");
  var areaRows = {}, rowEls = [], buttons = {};
  var lastArea = null;
  var areas = [], byArea = {};
  doc.requirements.forEach(function (r) {
    var a = r.id.split(".")[1] || r.id;
    if (!byArea[a]) { byArea[a] = []; areas.push(a); }
    byArea[a].push(r);
  });
  areas.forEach(function (area) {
    var head = el("tr", "area");
    var th = el("th", "", "pvh." + area);
    th.colSpan = width + 1;
    th.scope = "colgroup";
    tbody.appendChild(add(head, th));
    areaRows[area] = { head: head, rows: [] };
    byArea[area].forEach(function (r) {
      var tr = el("tr", "level-" + r.level);
      tr.dataset.level = r.level;
      var rth = add(el("th", "req"), el("span", "rid", r.id), badge(r.level), el("span", "stmt", r.statement));
      rth.scope = "row";
      tr.appendChild(rth);
      var worst = 0;
      groups.forEach(function (g) {
        var cell = cellOf[r.id + "|" + g.v.key];
        g.cols.forEach(function (i, k) {
          var col = cell ? cell.columns[i] : null;
          var st = stepInto(cell, i);
          var change = st ? CHANGE_TEXT[st.change] : "";
          var label = col ? col.label : g.v.inputs[i] ? "no records" : "not run";
          var rest = restText(col);
          var b = add(el("button", "cell k-" + kindOf(col) + (st && st.change !== "good" ? " ch-" + st.change : "")), el("span", "lbl", label), change ? el("span", "chg", change) : null, rest ? el("span", "rest", rest) : null);
          b.type = "button";
          b.dataset.req = r.id;
          b.dataset.variant = g.v.key;
          b.dataset.input = String(i);
          b.setAttribute("aria-label", r.id + " on " + g.v.key + " in " + inputs[i].label + ": " + label + (change ? "; " + change : "") + (rest ? "; " + rest : ""));
          b.title = label + (change ? " · " + change : "");
          buttons[r.id + "|" + g.v.key + "|" + i] = b;
          tr.appendChild(add(el("td", k === 0 ? "first" : ""), b));
          if (st && ["regressed", "fixed", "unchecked", "new", "gone"].indexOf(st.change) >= 0) worst = Math.max(worst, 2);
          else if (col && col.bad) worst = Math.max(worst, 1);
        });
      });
      tr.dataset.worst = String(worst);
      tbody.appendChild(tr);
      areaRows[area].rows.push(tr);
      rowEls.push(tr);
    });
  });

  // Filters.
  var levels = {};
  doc.requirements.forEach(function (r) { levels[r.level] = (levels[r.level] || 0) + 1; });
  var lf = document.getElementById("levels");
  Object.keys(levels).forEach(function (lv) {
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = lv;
    box.addEventListener("change", applyFilter);
    lf.appendChild(add(el("label"), box, badge(lv), document.createTextNode(" " + levels[lv] + " ")));
  });
  var show = document.getElementById("show");
  show.addEventListener("change", applyFilter);
  function applyFilter() {
    var on = {};
    Array.prototype.forEach.call(lf.querySelectorAll("input"), function (b) { on[b.value] = b.checked; });
    var min = Number(show.value);
    rowEls.forEach(function (tr) { tr.hidden = !on[tr.dataset.level] || Number(tr.dataset.worst) < min; });
    Object.keys(areaRows).forEach(function (a) { areaRows[a].head.hidden = areaRows[a].rows.every(function (tr) { return tr.hidden; }); });
  }

  // What changed, step by step: each entry opens its cell.
  var changes = document.getElementById("changes");
  doc.totals.forEach(function (t) {
    add(changes, el("h3", "step", inputs[t.from].label + " → " + inputs[t.to].label + ": " + t.regressed + " regressed, " + t.fixed + " fixed, " + t.stillFailing + " still failing, " + t.unchecked + " unchecked, " + t.good + " good, " + t.new + " new, " + t.gone + " gone"));
    ["regressed", "fixed", "still-failing", "unchecked", "new", "gone"].forEach(function (ch) {
      var items = [];
      doc.cells.forEach(function (c) { c.steps.forEach(function (s) { if (s.from === t.from && s.to === t.to && s.change === ch) items.push([c, s]); }); });
      if (!items.length) return;
      var ul = el("ul", "changes-" + ch);
      items.forEach(function (x) {
        var c = x[0], s = x[1], a = c.columns[s.from], b = c.columns[s.to];
        var go = el("button", "go", c.variant + " " + c.requirement + ": " + (a ? a.label : "not run") + " → " + (b ? b.label : "not run"));
        go.type = "button";
        go.addEventListener("click", function () { var btn = buttons[c.requirement + "|" + c.variant + "|" + s.to]; select(btn); btn.scrollIntoView({ block: "nearest" }); });
        var li = add(el("li"), go);
        var speaks = ch === "fixed" || ch === "unchecked" || ch === "gone" ? a : b;
        if (speaks && speaks.reasons.length) li.appendChild(document.createTextNode(" — " + (speaks === a && ch !== "gone" ? "was " : "") + speaks.reasons[0].status + " " + speaks.reasons[0].code + ": " + speaks.reasons[0].message.split("\n")[0]));
        ul.appendChild(li);
      });
      add(changes, el("p", "", CHANGE_TEXT[ch] + " (" + items.length + ")"), ul);
    });
  });

  // The detail panel.
  var panel = document.getElementById("detail");
  var body = document.getElementById("detail-body");
  var closeBtn = document.getElementById("detail-close");
  var selected = null;
  function close() {
    panel.hidden = true;
    document.body.classList.remove("detail-open");
    if (selected) { selected.classList.remove("sel"); selected.focus(); selected = null; }
  }
  closeBtn.addEventListener("click", close);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !panel.hidden) close(); });
  tbody.addEventListener("click", function (e) {
    var b = e.target.closest("button.cell");
    if (b) select(b);
  });
  function select(b) {
    if (selected) selected.classList.remove("sel");
    selected = b;
    b.classList.add("sel");
    open(b.dataset.req, b.dataset.variant, Number(b.dataset.input));
  }
  function stepText(st) {
    if (st.change === "new") return "new: " + inputs[st.from].label + " has no record of it";
    if (st.change === "gone") return "gone: " + inputs[st.to].label + " has no record of it";
    var how = st.basis === "cases"
      ? "on the " + plural(st.matched, "case", "cases") + " both ran: " + st.regressed + " regressed, " + st.fixed + " fixed, " + st.stillFailing + " still failing, " + st.unchecked + " unchecked"
      : "by the requirement's counts (the cases that decide it are not shared" + (st.matched ? "; " + st.matched + " shared cases" : "") + ")";
    return (CHANGE_TEXT[st.change] || "no change") + " since " + inputs[st.from].label + ", " + how;
  }
  function reasonList(col, title) {
    if (!col || !col.reasons.length) return null;
    var ul = el("ul", "reasons");
    col.reasons.forEach(function (r) {
      ul.appendChild(el("li", "", r.status + " " + r.code + " ×" + r.cases + ": " + r.message + (r.evidence ? " (expected " + r.evidence.expected + "; seen " + r.evidence.seen + ")" : "")));
    });
    return add(el("div"), el("p", "", title), ul);
  }
  function open(req, variant, i) {
    var r = reqOf[req], cell = cellOf[req + "|" + variant], col = cell ? cell.columns[i] : null, st = stepInto(cell, i);
    var v = null;
    doc.variants.forEach(function (x) { if (x.key === variant) v = x; });
    body.textContent = "";
    add(body, add(el("h2"), el("span", "rid", r.id), badge(r.level)));
    add(body, el("p", "", r.statement));
    add(body, add(el("p"), el("strong", "", variant + " in " + inputs[i].label), document.createTextNode(" · " + (v && v.inputs[i] ? v.inputs[i].version : "did not run"))));
    add(body, add(el("p"), el("span", "verdict-cell cell k-" + kindOf(col), col ? col.label : "no records"), document.createTextNode(col && restText(col) ? "  " + restText(col) : "")));
    if (st) add(body, el("p", "step", stepText(st)));
    add(body, reasonList(col, "why it is bad here:"));
    if (st && (st.change === "fixed" || st.change === "unchecked" || st.change === "still-failing")) add(body, reasonList(cell.columns[st.from], "in " + inputs[st.from].label + ":"));
    if (!col || !col.cases.length) add(body, el("p", "more", col ? "No bad or fixed cases in this cell." : "No records for this requirement and variant in this input."));
    (col ? col.cases : []).forEach(function (c) {
      var art = el("article", "rec" + (c.change ? " ch-" + c.change : ""));
      art.dataset.case = c.caseId;
      add(art, add(el("div"), el("strong", "mono case-id", c.caseId), document.createTextNode(" "), el("span", "st", c.status + (c.change ? " (" + CHANGE_TEXT[c.change] + (c.previous ? ": " + c.previous + " in " + inputs[st ? st.from : i].label : "") + ")" : "")), el("span", "mono", "  " + c.code)));
      add(art, el("div", "msg", c.message));
      var ev = el("dl");
      if (c.evidence) {
        pair(ev, "expected", c.evidence.expected);
        pair(ev, "seen", c.evidence.seen);
        if (c.evidence.address !== undefined) pair(ev, "address", "0x" + c.evidence.address.toString(16));
        pair(ev, "detail", c.evidence.detail);
      }
      pair(ev, "case", c.summary + " [" + c.outcome + "]");
      if (c.replay) pair(ev, "replay", el("code", "cmd replay", c.replay));
      if (c.command) pair(ev, "VMM", el("code", "cmd vmm", c.command));
      if (c.reproducer) {
        var a = el("a", "repro", c.reproducer);
        a.href = c.reproducer;
        pair(ev, "reproducer", a);
      }
      body.appendChild(add(art, ev));
    });
    if (col && col.more) add(body, el("p", "more", plural(col.more, "more case", "more cases") + " in the inputs' results.json (the page lists the first " + doc.cap + " of a cell)."));
    panel.hidden = false;
    document.body.classList.add("detail-open");
    panel.scrollTop = 0;
    closeBtn.focus();
  }
})();
`;
