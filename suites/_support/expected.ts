import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { applyExpectations, expectationsFileFor } from "../../src/expectations/applyExpectations.js";
import type { ExpectationsFile } from "../../src/expectations/Expectations.js";
import { readExpectations } from "../../src/expectations/expectationsIo.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { BAD_STATUSES, type Verdict } from "../../src/model/Verdict.js";
import type { ResultRecord, Results } from "../../src/results/Results.js";
import { caseTags } from "../../src/runner/caseTags.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";

/** The committed known-deviation files of an adapter (expectations/<adapter>-<version>.yaml). */
export function expectationsFor(adapter: string): ExpectationsFile[] {
  const dir = join(packageRoot(), "expectations");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${adapter}-`) && f.endsWith(".yaml"))
    .map((f) => readExpectations(join(dir, f)));
}

/** The verdicts of one case that no expectation for this adapter version allows (all bad ones when it has none). */
export function unexpectedVerdicts(adapter: string, version: string, variant: string, c: BootCase, verdicts: Verdict[]): Verdict[] {
  const file = expectationsFileFor(expectationsFor(adapter), adapter, version);
  const files = file ? [file] : [];
  const records: ResultRecord[] = verdicts.map((v) => ({ requirement: v.requirement, adapter, variant, caseId: c.id, status: v.status, code: v.code, message: v.message }));
  const results = { cases: [{ caseId: c.id, adapter, variant, tags: caseTags(c) }], records } as unknown as Results;
  const gate = applyExpectations(results, files);
  const bad = new Set([...gate.unexpectedBad, ...gate.unexpectedPass]);
  if (files.length === 0) return verdicts.filter((v) => BAD_STATUSES.has(v.status));
  return verdicts.filter((_v, i) => bad.has(records[i]!));
}
