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
  const out = new Map<string, { v: VariantDivergences; fields: Map<string, VariantDivergences["fields"][number]> }>();
  for (const c of results.cases) {
    if (!c.divergences) continue;
    const key = `${c.adapter}/${c.variant}`;
    let acc = out.get(key);
    if (!acc) out.set(key, (acc = { v: { adapter: c.adapter, variant: c.variant, compared: 0, diverging: 0, fields: [], unexplained: [] }, fields: new Map() }));
    acc.v.compared++;
    if (c.divergences.length > 0) acc.v.diverging++;
    for (const d of c.divergences) {
      const k = `${d.field}\0${d.requirement}`;
      const f = acc.fields.get(k) ?? { field: d.field, requirement: d.requirement, cases: 0 };
      f.cases++;
      acc.fields.set(k, f);
      if (!d.explained) acc.v.unexplained.push({ caseId: c.caseId, ...d });
    }
  }
  return [...out.values()].map(({ v, fields }) => ({ ...v, fields: [...fields.values()].sort((a, b) => b.cases - a.cases || a.field.localeCompare(b.field)) }));
}
