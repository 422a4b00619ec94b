import { MemoryMiss } from "../model/MemoryMiss.js";
import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import type { Verdict } from "../model/Verdict.js";
import { loadSpec } from "../spec/loadSpec.js";
import type { Check } from "./Check.js";
import { fail, notApplicable, pass } from "./Check.js";
import { cpuChecks } from "./cpuChecks.js";
import { interopChecks } from "./interopChecks.js";
import { kernelVerdicts } from "./kernelChecks.js";
import { loadChecks } from "./loadChecks.js";
import { memmapChecks } from "./memmapChecks.js";
import { startInfoChecks } from "./startInfoChecks.js";

/** Every check of an entered boot, one per loader requirement id. */
export const entryChecks: readonly Check[] = [...cpuChecks, ...loadChecks, ...startInfoChecks, ...memmapChecks, ...interopChecks];

const OUTCOME_REQUIREMENTS = ["pvh.load.accept-valid", "pvh.load.refuse-invalid"] as const;

/** Requirement ids that have a check (the tests prove every "must" is among them). */
export function checkedRequirements(): Set<string> {
  const kernel = loadSpec().requirements.requirements.filter((r) => r.side === "kernel").map((r) => r.id);
  return new Set([...entryChecks.map((c) => c.requirement), ...OUTCOME_REQUIREMENTS, ...kernel]);
}

export interface JudgeOptions {
  /** While memory is being captured: collect reads of memory not fetched yet, instead of failing on them. */
  onMiss?(miss: MemoryMiss): void;
}

function runCheck(check: Check, bootCase: BootCase, obs: Observation, opts: JudgeOptions): Verdict {
  try {
    return check.run({ bootCase, obs });
  } catch (err) {
    if (err instanceof MemoryMiss) {
      if (opts.onMiss) {
        opts.onMiss(err);
        return { requirement: check.requirement, status: "ERROR", code: "capturing", message: err.message };
      }
      return { requirement: check.requirement, status: "ERROR", code: "not-captured", message: `the adapter did not capture what this check reads: ${err.message}` };
    }
    // A throw is the harness's fault, never the loader's: ERROR, not FAIL.
    return { requirement: check.requirement, status: "ERROR", code: "check-threw", message: `check threw: ${(err as Error).stack ?? String(err)}` };
  }
}

/** All verdicts for one case and what one loader did with it. */
export function judge(bootCase: BootCase, obs: Observation, opts: JudgeOptions = {}): Verdict[] {
  const malformed = bootCase.kernel.malformed;
  const out: Verdict[] = [];
  if (malformed) {
    for (const id of loadSpec().requirements.requirements.filter((r) => r.side === "kernel").map((r) => r.id)) {
      out.push(notApplicable(id, `image malformed on purpose (${malformed})`));
    }
  } else {
    out.push(...kernelVerdicts(bootCase));
  }

  if (obs.outcome === "crashed" || obs.outcome === "timeout") {
    const status = obs.outcome === "crashed" ? "CRASH" : "TIMEOUT";
    const msg = obs.message ?? obs.outcome;
    for (const id of [...OUTCOME_REQUIREMENTS, ...entryChecks.map((c) => c.requirement)]) out.push({ requirement: id, status, code: obs.outcome, message: msg });
    return out;
  }

  if (malformed) {
    out.push(notApplicable("pvh.load.accept-valid", `image malformed on purpose (${malformed})`));
    out.push(
      obs.outcome === "rejected"
        ? pass("pvh.load.refuse-invalid", `refused: ${obs.message ?? ""}`)
        : fail("pvh.load.refuse-invalid", "entered-invalid", `the loader entered an image that is malformed (${malformed})`, { expected: "the image refused", seen: `entered at ${obs.cpu ? "0x" + obs.cpu.eip.toString(16) : "?"}` }),
    );
    for (const c of entryChecks) out.push(notApplicable(c.requirement, `image malformed on purpose (${malformed})`));
    return out;
  }

  out.push(notApplicable("pvh.load.refuse-invalid", "the image is valid"));
  if (obs.outcome === "rejected") {
    out.push(fail("pvh.load.accept-valid", "refused-valid", `the loader refused a valid image: ${obs.message ?? "(no message)"}`, { expected: "the image booted", seen: obs.message ?? "rejected" }));
    for (const c of entryChecks) out.push({ requirement: c.requirement, status: "SKIP", code: "not-entered", message: "the loader did not enter the image" });
    return out;
  }
  out.push(pass("pvh.load.accept-valid"));
  for (const c of entryChecks) {
    const why = obs.unjudgeable?.get(c.requirement);
    out.push(why !== undefined ? { requirement: c.requirement, status: "SKIP", code: "cannot-observe", message: why } : runCheck(c, bootCase, obs, opts));
  }
  return out;
}

/** Verdicts when the harness itself broke on a case (the adapter threw): every requirement ERROR, never FAIL. */
export function harnessErrorVerdicts(message: string): Verdict[] {
  return loadSpec()
    .requirements.requirements.filter((r) => r.status === "active")
    .map((r) => ({ requirement: r.id, status: "ERROR" as const, code: "harness-error", message }));
}
