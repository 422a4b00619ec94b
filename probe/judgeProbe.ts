import { judge } from "../src/checks/judge.js";
import type { BootCase } from "../src/model/BootCase.js";
import type { Observation } from "../src/model/Observation.js";
import type { Verdict } from "../src/model/Verdict.js";
import type { ProbeObservation } from "./probeObservation.js";

const hex = (v: number): string => "0x" + v.toString(16);

/**
 * The Observation a probe's report stands for on this case: the report's own
 * observation, with every requirement the probe cannot decide marked unjudgeable, so
 * that judge() makes it SKIP (code "cannot-observe") rather than judging placeholders.
 * Every adapter that reads a probe report (Xen's) and the tests go through here.
 */
export function probeCaseObservation(bootCase: BootCase, probe: ProbeObservation): Observation {
  const unseen = new Map(probe.unseen);
  const eip = probe.observation.cpu?.eip;
  if (eip !== undefined && !bootCase.kernel.reloc && eip !== bootCase.kernel.entry) {
    // The probe hashes the segments where it runs; without PHYS32_RELOC these checks look at p_paddr.
    // (pvh.load.reloc-only-with-note looks where it runs, and judges the move.)
    const why = `the image runs at ${hex(eip)}, not at its entry ${hex(bootCase.kernel.entry)}, and has no PHYS32_RELOC: the probe read its segments where it runs, not at p_paddr`;
    unseen.set("pvh.load.segments", why);
    unseen.set("pvh.load.zero-fill", why);
  }
  return { ...probe.observation, unjudgeable: unseen };
}

/** judge() over a probe observation (probeCaseObservation, then judge). */
export function judgeProbe(bootCase: BootCase, probe: ProbeObservation): Verdict[] {
  return judge(bootCase, probeCaseObservation(bootCase, probe));
}
