import type { ResultRecord, Results } from "../results/Results.js";
import type { Expectation, ExpectationsFile } from "./Expectations.js";
import { BAD_STATUSES } from "../model/Verdict.js";


export interface GateReport {
  /** Bad records no expectation allows: new deviations. */
  unexpectedBad: ResultRecord[];
  /** Records that passed where every matching expectation demands a deviation: fixed, or a changed test. */
  unexpectedPass: ResultRecord[];
  expectedBad: number;
  /** Expectations no record matched at all: stale. */
  unused: Expectation[];
  /** Adapters given expectation files of which none is for the version that ran ("xen Xen 4.21.0"). */
  noFileForVersion: string[];
}

/** "7.2" of "QEMU emulator version 7.2.22 (Debian ...)": what a file and a run must share at least. */
export const majorMinor = (v: string): string | undefined => /\d+\.\d+/.exec(v)?.[0];

/**
 * The file that speaks for an adapter at a version: the one made from that version
 * string, else one of the same major.minor (a Debian point release keeps its
 * deviations), else none. Without a version (records outside a run), the only file.
 */
export function expectationsFileFor(files: ExpectationsFile[], adapter: string, version: string | undefined): ExpectationsFile | undefined {
  const mine = files.filter((f) => f.adapter === adapter);
  if (version === undefined) return mine.length === 1 ? mine[0] : undefined;
  return mine.find((f) => f.version === version) ?? mine.find((f) => majorMinor(f.version) !== undefined && majorMinor(f.version) === majorMinor(version));
}

/**
 * Compare results with expectations, and fill each record's `expected`: the status
 * the expectations allow first (for reports), or PASS where none covers it.
 */
export function applyExpectations(results: Results, files: ExpectationsFile[]): GateReport {
  const tags = new Map(results.cases.map((c) => [`${c.adapter}/${c.variant}/${c.caseId}`, c.tags]));
  const report: GateReport = { unexpectedBad: [], unexpectedPass: [], expectedBad: 0, unused: [], noFileForVersion: [] };
  const used = new Set<Expectation>();
  const chosen = new Map<string, ExpectationsFile | undefined>();
  for (const a of new Set(results.records.map((r) => r.adapter))) {
    const version = results.run?.adapters.find((x) => x.id === a)?.version;
    const file = expectationsFileFor(files, a, version);
    chosen.set(a, file);
    if (!file && files.some((f) => f.adapter === a)) report.noFileForVersion.push(`${a} ${version ?? "(version unknown)"}`);
  }
  for (const r of results.records) {
    // An adapter no file speaks for has no known deviations: its bad records are all new.
    const file = chosen.get(r.adapter);
    const t = tags.get(`${r.adapter}/${r.variant}/${r.caseId}`) ?? [];
    const matching = (file?.expectations ?? []).filter(
      (e) => (e.requirement === "*" || e.requirement === r.requirement) && e.variants.includes(r.variant) && e.when.every((w) => t.includes(w)),
    );
    for (const e of matching) used.add(e);
    const allowing = matching.find((e) => e.allow.includes(r.status));
    if (BAD_STATUSES.has(r.status)) {
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
  // Only the files that spoke for an adapter can hold stale entries.
  for (const f of new Set(chosen.values())) for (const e of f?.expectations ?? []) if (!used.has(e)) report.unused.push(e);
  return report;
}
