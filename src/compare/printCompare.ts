import type { Cell, Column, CompareCase, CompareOutput, Reason, Step } from "./Compare.js";

/** Entries per list (regressed, fixed, ...) in the human summary, about four lines each; the rest are in --json and the page. */
const LINES_PER_LIST = 40;

const oneLine = (s: string, max = 160): string => {
  const line = s.split("\n")[0]!;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function reasonText(r: Reason): string {
  const ev = r.evidence ? ` (expected ${oneLine(r.evidence.expected, 80)}; seen ${oneLine(r.evidence.seen, 100)})` : "";
  return `${r.status} ${r.code} ×${r.cases}: ${oneLine(r.message)}${ev}`;
}

const PHRASE: Record<Step["change"], string> = {
  regressed: "regressed",
  fixed: "fixed",
  "still-failing": "still failing",
  unchecked: "unchecked (bad before, only SKIP now)",
  good: "good",
  new: "new",
  gone: "gone",
};

function stepText(st: Step): string {
  if (st.change === "new" || st.change === "gone") return "";
  if (st.basis === "requirement") return st.matched ? `by requirement (the bad cases are not shared; ${st.matched} shared cases)` : "by requirement (no shared cases)";
  const parts = [st.regressed && `${st.regressed} regressed`, st.fixed && `${st.fixed} fixed`, st.stillFailing && `${st.stillFailing} still failing`, st.unchecked && `${st.unchecked} unchecked`].filter(Boolean);
  return `on the same cases: ${parts.join(", ") || "no change"} of ${st.matched}`;
}

/** "29/41 bad (FAIL 27, CRASH 2)", or the label of a column with nothing bad. */
function show(c: Column | null): string {
  if (!c) return "not run";
  if (!c.bad) return c.label;
  const parts = (["FAIL", "ERROR", "TIMEOUT", "CRASH"] as const).filter((s) => c.counts[s]).map((s) => `${s} ${c.counts[s]}`);
  return `${c.bad}/${c.total} bad (${parts.join(", ")})`;
}

function names(ids: string[], most = 6): string {
  return ids.length <= most ? ids.join(", ") : `${ids.slice(0, most).join(", ")}, … (${ids.length} requirements)`;
}

/**
 * Cells of one variant that changed alike (the same counts and the same reasons, as
 * every requirement of a case QEMU crashed on) read as one entry naming them all.
 */
function groupLines(doc: CompareOutput, hits: (readonly [Cell, Step])[]): string[] {
  const groups = new Map<string, (readonly [Cell, Step])[]>();
  for (const h of hits) {
    const [cell, st] = h;
    const a = cell.columns[st.from];
    const b = cell.columns[st.to];
    const sig = (c: Column | null | undefined): string => (c ? `${c.label}|${c.reasons.map((r) => `${r.status}:${r.code}:${r.cases}`).join(",")}` : "-");
    const k = [cell.variant, sig(a), sig(b), st.basis, st.matched, st.fixed, st.regressed, st.stillFailing, st.unchecked].join("\u0000");
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(h);
  }
  const lines: string[] = [];
  for (const g of groups.values()) {
    const [cell, st] = g[0]!;
    const ids = g.map(([c]) => {
      const lvl = doc.requirements.find((r) => r.id === c.requirement)?.level;
      return g.length === 1 && lvl ? `${c.requirement} (${lvl})` : c.requirement;
    });
    const a = cell.columns[st.from] ?? null;
    const b = cell.columns[st.to] ?? null;
    const how = stepText(st);
    lines.push(`  ${cell.variant}  ${names(ids)}: ${show(a)} → ${show(b)}${how ? `; ${how}` : ""}`);
    // The evidence: what is wrong now, or for a fix what was wrong before.
    const before = st.change === "fixed" || st.change === "unchecked";
    const speaks = before ? a : b;
    for (const r of (speaks?.reasons ?? []).slice(0, 3)) lines.push(`      ${before ? "was " : ""}${reasonText(r)}`);
    // A case to replay: one that changed as the cell did, of the most frequent reason where there is one.
    const top = speaks?.reasons[0];
    const fits = (c: CompareCase): boolean => (st.change === "regressed" || st.change === "fixed" ? c.change === st.change : c.status !== "PASS");
    const example = b?.cases.find((c) => fits(c) && (before || !top || (c.status === top.status && c.code === top.code))) ?? b?.cases.find(fits) ?? b?.cases[0];
    if (example?.replay) lines.push(`      e.g. ${example.caseId}: ${example.replay}`);
  }
  return lines;
}

function presenceLines(doc: CompareOutput, hits: (readonly [Cell, Step])[], change: "new" | "gone"): string[] {
  const byVariant = new Map<string, string[]>();
  for (const [c] of hits) (byVariant.get(c.variant) ?? byVariant.set(c.variant, []).get(c.variant)!).push(c.requirement);
  const st = hits[0]![1];
  return [...byVariant].map(([key, ids]) => {
    const v = doc.variants.find((x) => x.key === key);
    const side = change === "new" ? st.from : st.to;
    const whole = v && v.inputs[side] === null ? ` (${doc.inputs[side]!.label} did not run ${key})` : "";
    return `  ${key}  ${names(ids)}${whole}`;
  });
}

/** The human summary: per step, the counts, then the regressed, fixed and still-failing cells with evidence. */
export function formatCompare(doc: CompareOutput): string {
  const out: string[] = [];
  const role = (i: number): string => (doc.mode === "pair" ? (i === 0 ? "base" : "head") : `#${i + 1}`);
  for (const [i, inp] of doc.inputs.entries()) {
    out.push(`${role(i)}: ${inp.label}  ${inp.file} (seed ${inp.seed}, ${inp.cases} cases per variant, suite ${inp.suiteVersion})`);
    for (const a of inp.adapters) out.push(`      ${a.id} ${a.version}${a.binary ? ` (${a.binary})` : ""}: ${a.variants.join(", ")}`);
  }
  out.push("");
  for (const v of doc.variants) {
    if (!v.steps.length) {
      const only = v.inputs.findIndex((x) => x !== null);
      out.push(`${v.key}: only in ${doc.inputs[only]?.label ?? "?"}; not compared`);
      continue;
    }
    for (const s of v.steps) {
      const va = v.inputs[s.from];
      const vb = v.inputs[s.to];
      const ver = va && vb ? (va.version === vb.version ? ` (${va.version})` : ` (${va.version} → ${vb.version})`) : "";
      const what = !va ? "new: only the later side ran it" : !vb ? "gone: only the earlier side ran it" : `${s.matched} cases matched by id, ${s.onlyFrom} only in ${doc.inputs[s.from]!.label}, ${s.onlyTo} only in ${doc.inputs[s.to]!.label}${s.differing ? `, ${s.differing} with the same id but other content (not matched)` : ""}`;
      out.push(`${v.key}: ${doc.inputs[s.from]!.label} → ${doc.inputs[s.to]!.label}${ver}: ${what}`);
    }
  }
  for (const t of doc.totals) {
    const title = `${doc.inputs[t.from]!.label} → ${doc.inputs[t.to]!.label}`;
    out.push("", `${title}: ${t.regressed} regressed, ${t.fixed} fixed, ${t.stillFailing} still failing, ${t.unchecked} unchecked, ${t.good} good, ${t.new} new, ${t.gone} gone (requirement × variant)`);
    for (const change of ["regressed", "fixed", "still-failing", "unchecked", "new", "gone"] as const) {
      const hits = doc.cells.flatMap((c) => c.steps.filter((s) => s.from === t.from && s.to === t.to && s.change === change).map((s) => [c, s] as const));
      if (!hits.length) continue;
      out.push("", `${PHRASE[change]} (${hits.length}):`);
      const lines = change === "new" || change === "gone" ? presenceLines(doc, hits, change) : groupLines(doc, hits);
      out.push(...lines.slice(0, LINES_PER_LIST * 4));
      if (lines.length > LINES_PER_LIST * 4) out.push(`  ... and more (--json, or the page written by --out)`);
    }
  }
  const all = doc.totals.reduce((n, t) => ({ r: n.r + t.regressed, f: n.f + t.fixed, s: n.s + t.stillFailing }), { r: 0, f: 0, s: 0 });
  out.push("", `compare: ${all.r} regressed, ${all.f} fixed, ${all.s} still failing${doc.totals.length > 1 ? ` over ${doc.totals.length} steps` : ""}`);
  return out.join("\n") + "\n";
}
