/**
 * The page's script. It reads the embedded model and builds every node with
 * textContent, never innerHTML, so nothing from results.json is parsed as markup.
 * Plain ES2017 with no template literals: it lives in a template literal here.
 */
export const matrixScript = String.raw`
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("matrix-data").textContent);
  var width = data.columns.length;
  var S = data.strings;
  function str(i) { return i >= 0 ? S[i] : ""; }
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

  // Header: the run and its totals.
  var run = data.run, t = data.totals;
  var unexpected = t.unexpectedBad + t.unexpectedPass;
  var verdict = document.getElementById("verdict");
  verdict.className = "verdict " + (unexpected ? "bad" : "ok");
  verdict.textContent = unexpected
    ? plural(unexpected, "unexpected result", "unexpected results") + " (" + t.unexpectedBad + " FAIL/ERROR/CRASH/TIMEOUT, " + t.unexpectedPass + " unexpected PASS); " + t.expectedBad + " expected deviations"
    : "no unexpected results; " + t.expectedBad + " expected deviations";
  var dl = document.getElementById("run");
  pair(dl, "suite", "pvh-conformance " + run.suiteVersion);
  pair(dl, "seed", String(run.seed));
  var adapters = el("span");
  run.adapters.forEach(function (a, i) {
    if (i) adapters.appendChild(document.createTextNode("; "));
    add(adapters, el("strong", "", a.id), document.createTextNode(" " + a.version + (a.binary ? " (" + a.binary + ")" : "") + ": " + a.variants.join(", ")));
  });
  pair(dl, "adapters", adapters);
  pair(dl, "host", run.host);
  pair(dl, "started", run.startedAt);
  pair(dl, "finished", run.finishedAt + " (" + run.seconds.toFixed(1) + " s)");
  pair(dl, "cases", run.casesPerVariant + " per variant, " + run.caseRecords + " in all" + (run.shard ? "; shard " + run.shard : ""));
  pair(dl, "command", el("code", "", run.command));
  pair(dl, "expectations", run.expectations ? "applied: expected deviations are shown apart" : "none given: every bad result counts as unexpected");
  pair(dl, "records", t.records + ": " + ["PASS", "FAIL", "ERROR", "CRASH", "TIMEOUT", "SKIP"].map(function (s) { return t[s] + " " + s; }).join(", ") + ", " + t.NA + " n/a");

  // The matrix.
  var thead = document.querySelector("#matrix thead tr");
  data.columns.forEach(function (c) {
    var th = add(el("th", "col"), el("span", "", c.adapter + " / " + c.variant), el("span", "sub", c.version), el("span", "sub", plural(c.cases, "case", "cases")));
    th.title = c.adapter + " / " + c.variant + ": " + c.version;
    th.scope = "col";
    thead.appendChild(th);
  });
  var tbody = document.querySelector("#matrix tbody");
  var areaRows = {}, rowEls = [];
  var lastArea = null;
  data.rows.forEach(function (r, ri) {
    if (r.area !== lastArea) {
      lastArea = r.area;
      var head = el("tr", "area");
      var th = el("th", "", "pvh." + r.area);
      th.colSpan = width + 1;
      th.scope = "colgroup";
      tbody.appendChild(add(head, th));
      areaRows[r.area] = { head: head, rows: [] };
    }
    var tr = el("tr", "level-" + r.level);
    tr.dataset.level = r.level;
    var rth = add(el("th", "req"), el("span", "rid", r.id), badge(r.level), el("span", "stmt", r.statement));
    rth.scope = "row";
    tr.appendChild(rth);
    var worst = 0;
    for (var ci = 0; ci < width; ci++) {
      var at = ri * width + ci, cell = data.cells[at], col = data.columns[ci];
      var b = add(el("button", "cell k-" + cell.kind), el("span", "lbl", cell.label), cell.rest ? el("span", "rest", cell.rest) : null);
      b.type = "button";
      b.dataset.at = String(at);
      b.setAttribute("aria-label", r.id + " on " + col.adapter + "/" + col.variant + ": " + cell.label + (cell.rest ? "; " + cell.rest : ""));
      b.title = cell.label + (cell.rest ? " · " + cell.rest : "");
      tr.appendChild(add(el("td"), b));
      if (cell.counts.unexpectedBad || cell.counts.unexpectedPass) worst = Math.max(worst, 2);
      else if (["pass", "na", "none"].indexOf(cell.kind) < 0) worst = Math.max(worst, 1);
    }
    tr.dataset.worst = String(worst);
    tbody.appendChild(tr);
    areaRows[r.area].rows.push(tr);
    rowEls.push(tr);
  });

  // Filters: by level (conformance vs interop) and by what the row holds.
  var levels = {};
  data.rows.forEach(function (r) { levels[r.level] = (levels[r.level] || 0) + 1; });
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
    if (!b) return;
    if (selected) selected.classList.remove("sel");
    selected = b;
    b.classList.add("sel");
    open(Number(b.dataset.at));
  });
  var CLASS_TEXT = { u: "unexpected", x: "expected deviation", p: "unexpected" };
  var REPRO = { FAIL: 1, CRASH: 1, TIMEOUT: 1 };
  function open(at) {
    var ri = Math.floor(at / width), ci = at % width;
    var r = data.rows[ri], col = data.columns[ci], cell = data.cells[at];
    body.textContent = "";
    add(body, add(el("h2"), el("span", "rid", r.id), badge(r.level)));
    add(body, el("p", "", r.statement));
    add(body, el("p", "stmt", r.side + (r.source ? " side · source " + r.source : " side")));
    add(body, add(el("p"), el("strong", "", col.adapter + " / " + col.variant), document.createTextNode(" · " + col.version)));
    add(body, add(el("p"), el("span", "verdict-cell cell k-" + cell.kind, cell.label), document.createTextNode(cell.rest ? "  " + cell.rest : "")));
    if (!cell.records.length) add(body, el("p", "more", cell.total ? "No failing records in this cell." : "No records for this requirement and variant."));
    cell.records.forEach(function (x) {
      var c = data.cases[x[0]], status = x[1], cls = x[2];
      var art = el("article", "rec c-" + cls);
      art.dataset.case = c.id;
      add(art, add(el("div"), el("strong", "mono case-id", c.id), document.createTextNode(" "), el("span", "st", status + " (" + CLASS_TEXT[cls] + (cls === "p" ? ": the expectations demand " + x[9] : "") + ")"), el("span", "mono", "  " + str(x[3]))));
      add(art, el("div", "msg", str(x[4])));
      var ev = el("dl");
      pair(ev, "expected", str(x[5]));
      pair(ev, "seen", str(x[6]));
      if (x[7] >= 0) pair(ev, "address", "0x" + x[7].toString(16));
      pair(ev, "detail", str(x[8]));
      pair(ev, "case", c.summary + " [" + c.outcome + (c.malformed ? ", malformed: " + c.malformed : "") + "]");
      pair(ev, "outcome", c.message);
      if (c.replay) pair(ev, "replay", el("code", "cmd replay", c.replay));
      if (c.command) pair(ev, "VMM", el("code", "cmd vmm", c.command));
      if (REPRO[status]) {
        var a = el("a", "repro", "repro/" + c.id + "/run.sh");
        a.href = "repro/" + encodeURIComponent(c.id) + "/run.sh";
        pair(ev, "reproducer", a);
      }
      body.appendChild(add(art, ev));
    });
    if (cell.more) add(body, el("p", "more", plural(cell.more, "more record", "more records") + " in results.json (the page embeds the first " + data.cap + " of a cell)."));
    panel.hidden = false;
    document.body.classList.add("detail-open");
    panel.scrollTop = 0;
    closeBtn.focus();
  }
})();
`;
