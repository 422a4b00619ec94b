import { crc32 } from "../src/_internals/crc32.js";
import type { BootCase } from "../src/model/BootCase.js";
import { GIB, MIB } from "../src/model/Capabilities.js";
import { moduleBytes } from "../src/model/moduleBytes.js";
import { buildKernel, type KernelPlan } from "./kernelArb.js";
import { malformedFamilies } from "./malformedKernelArb.js";

export interface ExampleSpec {
  plan?: Partial<KernelPlan>;
  memoryBytes?: number;
  cmdline?: string | null;
  modules?: { size: number; cmdline?: string | null }[];
  /** Build the kernel broken the way this malformed family says. */
  malformed?: keyof typeof malformedFamilies;
}

/** The plainest valid kernel: one 4 KiB RX segment at 1 MiB, entry at its first byte. */
export const basePlan: KernelPlan = {
  elfClass: 64,
  segments: [{ gapPages: 0, filesz: 4096, tail: 0, flags: "RX" }],
  baseFraction: 0,
  entrySegment: 0,
  entryFraction: 0,
  entryDescSize: 8,
  notesBefore: [],
  notesAfter: [],
  noteSegments: 1,
  noteAlign: 4,
  notesInLoad: false,
  sections: true,
  highVaddr: false,
  dataSeed: 1,
  reloc: null,
};

/** A hand-specified case at a boundary of the ABI, named for the report. */
export function exampleCase(name: string, spec: ExampleSpec = {}): BootCase {
  const memoryBytes = spec.memoryBytes ?? 128 * MIB;
  const modules = (spec.modules ?? []).map((m, i) => {
    const seed = 1000 + i;
    return { size: m.size, seed, cmdline: m.cmdline ?? null, crc32: crc32(moduleBytes(seed, m.size)) };
  });
  const moduleRoom = modules.reduce((a, m) => a + Math.ceil(m.size / 4096) * 4096, 0);
  const plan = { ...basePlan, ...spec.plan };
  const sabotage = spec.malformed ? malformedFamilies[spec.malformed]!.sabotage : undefined;
  const kernel = buildKernel(plan, { limit: Math.min(memoryBytes, 2 * GIB) - moduleRoom - 8 * MIB, memoryBytes }, sabotage);
  if (!kernel) throw new Error(`example ${name}: the kernel plan does not fit`);
  return {
    id: `example-${name}`,
    replay: { seed: 0, index: 0, caseSeed: 0 },
    kernel: kernel.facts,
    kernelImage: kernel.image,
    memoryBytes,
    cmdline: spec.cmdline === undefined ? "console=ttyS0" : spec.cmdline,
    modules,
  };
}
