/**
 * The conformance matrix: one self-contained HTML file (no network, no fonts, no
 * external script), requirements as rows grouped by area, adapter variants as
 * columns, each cell the requirement's aggregate over that variant's cases.
 *
 * The page embeds matrixModel(): per-cell counts and only the bad records (capped
 * per cell), so a 70,000-record run stays a page a browser opens at once. Data goes
 * in a <script type="application/json"> with "<" escaped, and the script renders it
 * with textContent; a Content-Security-Policy with hashes of the page's own style and
 * script blocks anything else, as a second wall against injected markup and against
 * the page reaching the network.
 */
import { pageCsp } from "../_internals/pageCsp.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { summarizeDivergences } from "../../src/differential/summarizeDivergences.js";
import type { Results } from "../../src/results/Results.js";
import { matrixModel } from "./matrixModel.js";
import { matrixScript } from "./matrixScript.js";
import { matrixStyle } from "./matrixStyle.js";

const LEGEND: [kind: string, label: string, meaning: string][] = [
  ["pass", "PASS", "held in every applicable case"],
  ["na", "SKIP (n/a)", "does not apply to any case"],
  ["skip", "SKIP", "not checked (a capability is missing)"],
  ["xbad", "expected FAIL…", "a known deviation the expectations allow"],
  ["upass", "unexpected PASS", "passed where the expectations demand a deviation"],
  ["error", "ERROR", "the harness could not judge"],
  ["fail", "FAIL", "violated, not expected"],
  ["timeout", "TIMEOUT", "the guest never reached the entry in time"],
  ["crash", "CRASH", "the VMM or guest died"],
  ["none", "no records", "no case exercised it"],
];

const CSP = pageCsp(matrixStyle, matrixScript);

export function matrixHtml(results: Results): string {
  const model = matrixModel(results);
  const title = `PVH conformance matrix: ${results.run.adapters.map((a) => a.id).join(", ")}, seed ${results.run.seed}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${matrixStyle}</style>
</head>
<body>
<header class="top">
<h1>PVH conformance matrix</h1>
<div id="verdict" role="status"></div>
<dl class="run" id="run"></dl>
</header>
<section class="controls" aria-label="filters and legend">
<fieldset><legend>levels</legend><div id="levels"></div></fieldset>
<fieldset><legend>rows</legend><select id="show" aria-label="rows to show">
<option value="0">all requirements</option>
<option value="1">rows with anything but PASS or n/a</option>
<option value="2">rows with unexpected results</option>
</select></fieldset>
<fieldset><legend>legend</legend><ul class="legend">
${LEGEND.map(([k, l, m]) => `<li><span class="swatch k-${k}">${escapeHtml(l)}</span>${escapeHtml(m)}</li>`).join("\n")}
</ul></fieldset>
</section>
<main>
<table class="matrix" id="matrix">
<thead><tr><th class="corner" scope="col">requirement (level)</th></tr></thead>
<tbody></tbody>
</table>
<noscript><p>The matrix is drawn by the page's own inline script; results.json holds the same data.</p></noscript>
${differentialSection(results)}</main>
<aside class="detail" id="detail" hidden aria-label="cell detail">
<button type="button" class="close" id="detail-close">close</button>
<div id="detail-body"></div>
</aside>
<script type="application/json" id="matrix-data">${jsonForScript(model)}</script>
<script>${matrixScript}</script>
</body>
</html>
`;
}

/** Unexplained divergences listed per variant; the rest are in results.json. */
const UNEXPLAINED_SHOWN = 20;

/**
 * Where each adapter variant did otherwise than the reference loader on the same
 * cases, drawn on the server (static markup, no script). Empty when nothing was compared.
 */
function differentialSection(results: Results): string {
  const variants = summarizeDivergences(results);
  if (variants.length === 0) return "";
  const parts = variants.map((v) => {
    const name = `${v.adapter}/${v.variant}`;
    const rows = v.fields.map((f) => `<tr><td>${escapeHtml(f.field)}</td><td><code>${escapeHtml(f.requirement)}</code></td><td class="n">${f.cases}</td></tr>`).join("\n");
    const table = v.fields.length
      ? `<table class="diffs"><thead><tr><th scope="col">field</th><th scope="col">requirement</th><th scope="col">cases</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
      : "";
    const unexplained = v.unexplained.length
      ? `<p class="unexplained">${v.unexplained.length} divergence${v.unexplained.length === 1 ? "" : "s"} no failing check explains (a check the suite lacks, or a fault in the reference loader):</p>
<ul class="unexplained">${v.unexplained
          .slice(0, UNEXPLAINED_SHOWN)
          .map((d) => `<li><code>${escapeHtml(d.caseId)}</code> ${escapeHtml(d.field)}: reference ${escapeHtml(d.reference)}, ${escapeHtml(v.adapter)} ${escapeHtml(d.other)} (<code>${escapeHtml(d.requirement)}</code> did not fail)</li>`)
          .join("\n")}</ul>`
      : "";
    return `<div class="variant" data-variant="${escapeHtml(name)}"><h3>${escapeHtml(name)}: ${v.diverging} of ${v.compared} cases differ</h3>\n${table}\n${unexplained}</div>`;
  });
  return `<section class="differential" id="differential" aria-label="against the reference loader">
<h2>Against the reference loader</h2>
<p>Every case was also loaded by the suite's reference loader. These are the fields the ABI defines where an adapter did otherwise, each blamed on the requirement that defines it; a divergence is explained when that requirement's check failed on the same case.</p>
${parts.join("\n")}
</section>
`;
}

export function writeMatrix(file: string, results: Results): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, matrixHtml(results));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that no "</script>" or "<!--" inside a string can end early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
