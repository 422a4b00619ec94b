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
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
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

const sha256 = (s: string): string => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;
const CSP = `default-src 'none'; style-src ${sha256(matrixStyle)}; script-src ${sha256(matrixScript)}; img-src data:; base-uri 'none'; form-action 'none'`;

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
</main>
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
