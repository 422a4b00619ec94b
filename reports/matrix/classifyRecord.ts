import type { ResultRecord } from "../../src/results/Results.js";
import { BAD_STATUSES } from "../../src/model/Verdict.js";

export type RecordClass = "pass" | "skip" | "n/a" | "unexpected-bad" | "expected-bad" | "unexpected-pass";


export function isBad(status: string): boolean {
  return BAD_STATUSES.has(status);
}

/**
 * How a record reads against the known-deviation files. `expected` is absent when
 * the run had no expectations: then every bad status is unexpected, as the gate
 * would have it. A PASS is unexpected only where an expectation demanded something
 * else (applyExpectations then sets `expected` to that status).
 */
export function classifyRecord(r: Pick<ResultRecord, "status" | "expected" | "notApplicable">): RecordClass {
  if (isBad(r.status)) return r.expected === r.status ? "expected-bad" : "unexpected-bad";
  if (r.status === "SKIP") return r.notApplicable ? "n/a" : "skip";
  return r.expected !== undefined && r.expected !== "PASS" ? "unexpected-pass" : "pass";
}
