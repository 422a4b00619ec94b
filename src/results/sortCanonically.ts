import { loadSpec } from "../spec/loadSpec.js";
import type { CaseRecord, ResultRecord } from "./Results.js";

/**
 * Cases and records in one order whatever the pool's timing: adapter and variant as
 * selected, then case index, then requirement as in the catalogue. So a sharded run
 * merged equals an unsharded one.
 */
export function sortCanonically(cases: CaseRecord[], records: ResultRecord[], order: { id: string; variants: string[] }[]): void {
  const variantRank = new Map<string, number>();
  order.forEach((s, i) => s.variants.forEach((v, j) => variantRank.set(`${s.id}/${v}`, i * 100 + j)));
  const reqRank = new Map(loadSpec().requirements.requirements.map((r, i) => [r.id, i]));
  // Generated cases by index, then the examples in their own order.
  const rank = (c: CaseRecord): number => (c.replay.example !== undefined ? 1e9 + c.replay.index : c.replay.index);
  const caseIndex = new Map(cases.map((c) => [`${c.adapter}/${c.variant}/${c.caseId}`, rank(c)]));
  const vr = (a: string, v: string): number => variantRank.get(`${a}/${v}`) ?? 0;
  cases.sort((a, b) => vr(a.adapter, a.variant) - vr(b.adapter, b.variant) || a.adapter.localeCompare(b.adapter) || a.variant.localeCompare(b.variant) || rank(a) - rank(b));
  records.sort(
    (a, b) =>
      vr(a.adapter, a.variant) - vr(b.adapter, b.variant) ||
      a.adapter.localeCompare(b.adapter) ||
      a.variant.localeCompare(b.variant) ||
      (caseIndex.get(`${a.adapter}/${a.variant}/${a.caseId}`) ?? 0) - (caseIndex.get(`${b.adapter}/${b.variant}/${b.caseId}`) ?? 0) ||
      (reqRank.get(a.requirement) ?? 0) - (reqRank.get(b.requirement) ?? 0),
  );
}
