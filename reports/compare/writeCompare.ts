/**
 * The comparison page: one self-contained HTML file in the matrix page's style
 * (reports/matrix/), requirements as rows grouped by area, and per adapter variant a
 * column per input (base and head, or every release of a campaign). Each cell is that
 * requirement's aggregate in that input, marked with what changed since the previous
 * input; a click lists its bad and fixed cases with their evidence and replay commands.
 * As on the matrix page, the data sits in a <script type="application/json"> with "<"
 * escaped, the script builds nodes with textContent, and a Content-Security-Policy with
 * hashes of the page's own style and script blocks everything else.
 */
import { pageCsp } from "../_internals/pageCsp.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { CompareOutput } from "../../src/compare/Compare.js";
import { compareScript } from "./compareScript.js";
import { compareStyle } from "./compareStyle.js";

const LEGEND: [cls: string, label: string, meaning: string][] = [
  ["k-pass", "PASS", "held in every applicable case"],
  ["k-fail", "FAIL…", "bad in this input (FAIL, ERROR, CRASH or TIMEOUT: the worst is named)"],
  ["k-skip", "SKIP", "not checked"],
  ["k-na", "SKIP (n/a)", "does not apply to any case"],
  ["k-absent", "not run", "the input has no record of it"],
  ["k-fail ch-regressed", "regressed", "bad here, on a case (or a requirement) that was not bad in the previous input"],
  ["k-pass ch-fixed", "fixed", "bad in the previous input, good here"],
  ["k-fail", "still failing", "bad in both"],
  ["k-pass ch-new", "new / gone", "only one of the two inputs has it"],
];

const CSP = pageCsp(compareStyle, compareScript);

/** The document with each reproducer as a link relative to the page's folder. */
function forPage(doc: CompareOutput, dir: string): CompareOutput {
  return {
    ...doc,
    cells: doc.cells.map((c) => ({
      ...c,
      columns: c.columns.map((col) =>
        col ? { ...col, cases: col.cases.map((k) => (k.reproducer ? { ...k, reproducer: relative(dir, k.reproducer).split(sep).map(encodeURIComponent).join("/") } : k)) } : null,
      ),
    })),
  };
}

export function compareHtml(doc: CompareOutput, dir = "."): string {
  const title = `PVH conformance ${doc.mode === "pair" ? "compare" : "campaign"}: ${doc.inputs.map((i) => i.label).join(doc.mode === "pair" ? " → " : ", ")}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${compareStyle}</style>
</head>
<body>
<header class="top">
<h1>${escapeHtml(title)}</h1>
<div id="verdict" role="status"></div>
<table class="inputs" id="inputs"><thead><tr><th scope="col"></th><th scope="col">label</th><th scope="col">results</th><th scope="col">seed</th><th scope="col">cases per variant</th><th scope="col">suite, started</th><th scope="col">adapters</th></tr></thead><tbody></tbody></table>
</header>
<section class="controls" aria-label="filters and legend">
<fieldset><legend>levels</legend><div id="levels"></div></fieldset>
<fieldset><legend>rows</legend><select id="show" aria-label="rows to show">
<option value="0">all requirements</option>
<option value="1">rows with anything bad</option>
<option value="2">rows that changed</option>
</select></fieldset>
<fieldset><legend>legend</legend><ul class="legend">
${LEGEND.map(([k, l, m]) => `<li><span class="swatch ${k}">${escapeHtml(l)}</span>${escapeHtml(m)}</li>`).join("\n")}
</ul></fieldset>
</section>
<main>
<table class="matrix" id="matrix">
<thead><tr class="variants"><th class="corner" scope="col" rowspan="2">requirement (level)</th></tr><tr class="releases"></tr></thead>
<tbody></tbody>
</table>
<noscript><p>The table is drawn by the page's own inline script; compare.json holds the same data.</p></noscript>
<section class="changes" id="changes" aria-label="what changed"><h2>What changed</h2></section>
</main>
<aside class="detail" id="detail" hidden aria-label="cell detail">
<button type="button" class="close" id="detail-close">close</button>
<div id="detail-body"></div>
</aside>
<script type="application/json" id="compare-data">${jsonForScript(forPage(doc, dir))}</script>
<script>${compareScript}</script>
</body>
</html>
`;
}

/** Writes DIR/compare.html and DIR/compare.json; returns what it wrote. */
export function writeCompare(dir: string, doc: CompareOutput): string[] {
  mkdirSync(dir, { recursive: true });
  const html = join(dir, "compare.html");
  const json = join(dir, "compare.json");
  writeFileSync(html, compareHtml(doc, dir));
  writeFileSync(json, JSON.stringify(doc, null, 2) + "\n");
  return [html, json];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that no "</script>" or "<!--" inside a string can end early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
