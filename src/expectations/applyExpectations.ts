import type { ResultRecord, Results } from "../results/Results.js";
import type { Expectation, ExpectationsFile } from "./Expectations.js";

const BAD = new Set(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);

export interface GateReport {
  /** Bad records no expectation allows: new deviations. */
  unexpectedBad: ResultRecord[];
  /** Records that passed where every matching expectation demands a deviation: fixed, or a changed test. */
  unexpectedPass: ResultRecord[];
  expectedBad: number;
  /** Expectations no record matched at all: stale. */
  unused: Expectation[];
}

/**
 * Compare results with expectations, and fill each record's `expected`: the status
 * the expectations allow first (for reports), or PASS where none covers it.
 */
export function applyExpectations(results: Results, files: ExpectationsFile[]): GateReport {
  const tags = new Map(results.cases.map((c) => [`${c.adapter}/${c.variant}/${c.caseId}`, c.tags]));
  const report: GateReport = { unexpectedBad: [], unexpectedPass: [], expectedBad: 0, unused: [] };
  const used = new Set<Expectation>();
  for (const r of results.records) {
    const file = files.find((f) => f.adapter === r.adapter);
    if (!file) continue;
    const t = tags.get(`${r.adapter}/${r.variant}/${r.caseId}`) ?? [];
    const matching = file.expectations.filter(
      (e) => (e.requirement === "*" || e.requirement === r.requirement) && e.variants.includes(r.variant) && e.when.every((w) => t.includes(w)),
    );
    for (const e of matching) used.add(e);
    const allowing = matching.find((e) => e.allow.includes(r.status));
    if (BAD.has(r.status)) {
      if (allowing) {
        r.expected = r.status;
        report.expectedBad++;
      } else {
        r.expected = "PASS";
        report.unexpectedBad.push(r);
      }
    } else {
      // A SKIP was not judged; only a real PASS can contradict an expectation.
      const demanding = r.status === "PASS" ? matching.filter((e) => e.requirement !== "*" && !e.allow.includes("PASS")) : [];
      if (demanding.length > 0 && !allowing) {
        r.expected = demanding[0]!.allow[0]!;
        report.unexpectedPass.push(r);
      } else {
        r.expected = r.status;
      }
    }
  }
  for (const f of files) for (const e of f.expectations) if (!used.has(e)) report.unused.push(e);
  return report;
}
