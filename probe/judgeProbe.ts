import { judge } from "../src/checks/judge.js";
import type { BootCase } from "../src/model/BootCase.js";
import type { Verdict } from "../src/model/Verdict.js";
import type { ProbeObservation } from "./probeObservation.js";

const hex = (v: number): string => "0x" + v.toString(16);

/**
 * judge() over a probe observation, with the requirements the probe cannot decide
 * made SKIP (code "probe-cannot-see") rather than judged on placeholders.
 */
export function judgeProbe(bootCase: BootCase, probe: ProbeObservation): Verdict[] {
  const unseen = new Map(probe.unseen);
  const eip = probe.observation.cpu?.eip;
  if (eip !== undefined && !bootCase.kernel.reloc && eip !== bootCase.kernel.entry) {
    // The probe hashes the segments where it runs; without PHYS32_RELOC these checks look at p_paddr.
    // (pvh.load.reloc-only-with-note looks where it runs, and judges the move.)
    const why = `the image runs at ${hex(eip)}, not at its entry ${hex(bootCase.kernel.entry)}, and has no PHYS32_RELOC: the probe read its segments where it runs, not at p_paddr`;
    unseen.set("pvh.load.segments", why);
    unseen.set("pvh.load.zero-fill", why);
  }
  return judge(bootCase, probe.observation).map((v) => {
    const why = unseen.get(v.requirement);
    return why !== undefined ? { requirement: v.requirement, status: "SKIP" as const, code: "probe-cannot-see", message: why } : v;
  });
}
