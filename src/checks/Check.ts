import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import type { Evidence, Verdict } from "../model/Verdict.js";

/** What a check sees: the case it was given and what the loader did (entered). */
export interface CheckInput {
  bootCase: BootCase;
  obs: Observation;
}

/**
 * One requirement's check: a pure function from a case and an entered observation
 * to a verdict. It never throws for a failing implementation (a throw is a harness
 * error, reported as ERROR by judge()).
 */
export interface Check {
  requirement: string;
  run(input: CheckInput): Verdict;
}

export const hex = (v: number | bigint): string => (v < 0 ? "-0x" + (-v).toString(16) : "0x" + v.toString(16));

export const pass = (requirement: string, message = "ok"): Verdict => ({ requirement, status: "PASS", code: "ok", message });

export const fail = (requirement: string, code: string, message: string, evidence: Evidence): Verdict => ({
  requirement, status: "FAIL", code, message, evidence,
});

export const notApplicable = (requirement: string, message: string): Verdict => ({
  requirement, status: "SKIP", code: "not-applicable", message, notApplicable: true,
});

export const harnessError = (requirement: string, code: string, message: string): Verdict => ({
  requirement, status: "ERROR", code, message,
});
