import fc from "fast-check";
import { generateCase } from "../../generators/generateCase.js";
import { buildKernel, kernelPlanArb } from "../../generators/kernelArb.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { GIB, MIB, type Capabilities } from "../../src/model/Capabilities.js";

/**
 * Case `index` of a seeded run, its kernel built again from a plan of the same
 * seed with the probe at the entry. Memory, command line and modules are the
 * generated case's; the kernel room is reckoned as bootCaseArb reckons it.
 */
export function probeCase(caps: Capabilities, seed: number, index: number): BootCase {
  const base = generateCase(caps, seed, index, { malformedShare: 0 });
  const moduleRoom = base.modules.reduce((a, m) => a + Math.ceil(m.size / 4096) * 4096, 0);
  const limit = Math.min(base.memoryBytes, 2 * GIB) - moduleRoom - 8 * MIB;
  for (const plan of fc.sample(kernelPlanArb(caps), { seed: base.replay.caseSeed, numRuns: 50 })) {
    const k = buildKernel({ ...plan, entryCode: "probe" }, { limit, memoryBytes: base.memoryBytes });
    if (k) return { ...base, id: `${base.id}-probe`, kernel: k.facts, kernelImage: k.image };
  }
  throw new Error(`no probe kernel fits case ${base.id}`);
}
