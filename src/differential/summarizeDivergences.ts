import type { CaseDivergence, Results } from "../results/Results.js";

export interface VariantDivergences {
  adapter: string;
  variant: string;
  /** Cases compared with the reference loader. */
  compared: number;
  /** Of those, the cases that differ on at least one field. */
  diverging: number;
  /** Per field and blamed requirement ("outcome" may blame accept-valid or refuse-invalid): in how many cases. */
  fields: { field: string; requirement: string; cases: number }[];
  /** Divergences whose requirement did not fail: a check the suite lacks, or a reference-loader fault. */
  unexplained: (CaseDivergence & { caseId: string })[];
}

/** The differential view of a run, per adapter variant, in the run's order; empty when no case was compared. */
export function summarizeDivergences(results: Results): VariantDivergences[] {
  const out = new Map<string, VariantDivergences>();
  const counts = new Map<string, Map<string, { field: string; requirement: string; cases: number }>>();
  for (const c of results.cases) {
    if (!c.divergences) continue;
    const key = `${c.adapter}/${c.variant}`;
    let v = out.get(key);
    if (!v) {
      out.set(key, (v = { adapter: c.adapter, variant: c.variant, compared: 0, diverging: 0, fields: [], unexplained: [] }));
      counts.set(key, new Map());
    }
    v.compared++;
    if (c.divergences.length > 0) v.diverging++;
    const m = counts.get(key)!;
    for (const d of c.divergences) {
      const k = `${d.field}\0${d.requirement}`;
      const f = m.get(k) ?? { field: d.field, requirement: d.requirement, cases: 0 };
      f.cases++;
      m.set(k, f);
      if (!d.explained) v.unexplained.push({ caseId: c.caseId, ...d });
    }
  }
  for (const [key, v] of out) v.fields = [...counts.get(key)!.values()].sort((a, b) => b.cases - a.cases || a.field.localeCompare(b.field));
  return [...out.values()];
}
