import { loadSpec } from "../spec/loadSpec.js";
import type { Finding } from "./ImageReport.js";

/**
 * A finding against a requirement of the catalogue. The severity follows the
 * requirement's level, so it cannot disagree with the spec: must -> error,
 * should and interop -> warning.
 */
export function makeFinding(requirement: string, code: string, message: string): Finding {
  const r = loadSpec().requirements.requirements.find((x) => x.id === requirement);
  if (!r) throw new Error(`finding names unknown requirement ${requirement}`);
  return { requirement, level: r.level, severity: r.level === "must" ? "error" : "warning", code, message };
}
