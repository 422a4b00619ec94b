import fc from "fast-check";
import { crc32 } from "../src/_internals/crc32.js";
import type { BootCase, ModuleCase } from "../src/model/BootCase.js";
import { GIB, MIB, type Capabilities } from "../src/model/Capabilities.js";
import { moduleBytes } from "../src/model/moduleBytes.js";
import { buildKernel, kernelPlanArb } from "./kernelArb.js";

/** Printable ASCII (0x20-0x7e), the command lines the ABI text allows. */
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

function cmdlineArb(max: number): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 6, arbitrary: fc.string({ unit: printable, maxLength: Math.min(256, max) }) },
    { weight: 1, arbitrary: fc.string({ unit: printable, minLength: Math.min(257, max), maxLength: Math.min(4096, max) }) },
    // Up to the adapter's limit (64 KiB on the reference loader), made cheaply by repetition.
    {
      weight: 1,
      arbitrary: fc.tuple(fc.string({ unit: printable, minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
    },
  );
}

function memoryArb(caps: Capabilities): fc.Arbitrary<number> {
  const lo = Math.max(caps.memory.min, 32 * MIB);
  const hi = caps.memory.max;
  const mib = (a: number, b: number) => fc.integer({ min: Math.ceil(a / MIB), max: Math.floor(b / MIB) }).map((m) => m * MIB);
  const choices = [{ weight: 8, arbitrary: mib(lo, Math.min(hi, 512 * MIB)) }];
  if (hi > 512 * MIB) choices.push({ weight: 2, arbitrary: mib(512 * MIB, Math.min(hi, 4 * GIB)) });
  if (hi > 4 * GIB) choices.push({ weight: 1, arbitrary: mib(4 * GIB, hi) });
  return fc.oneof(...choices);
}

function moduleArb(caps: Capabilities): fc.Arbitrary<{ module: ModuleCase; data: Uint8Array }> {
  // The whole range up to 16 MiB is reachable, but large modules are rare: bytes are
  // what a case costs, and small modules exercise the same placement logic.
  const size = fc.oneof(
    { weight: 10, arbitrary: fc.constant(0) },
    { weight: 60, arbitrary: fc.integer({ min: 1, max: 4096 }) },
    { weight: 25, arbitrary: fc.integer({ min: 4097, max: 64 * 1024 }) },
    { weight: 4, arbitrary: fc.integer({ min: 64 * 1024 + 1, max: 1 * MIB }) },
    { weight: 1, arbitrary: fc.integer({ min: 1 * MIB + 1, max: 16 * MIB }) },
  );
  const cmd = caps.moduleCmdlines ? fc.option(fc.string({ unit: printable, maxLength: 128 }), { freq: 2 }) : fc.constant(null);
  return fc.record({ size, seed: fc.nat(), cmdline: cmd }).map((m) => {
    const data = moduleBytes(m.seed, m.size);
    // The bytes ride along (not serialised) so loaders need not make them again.
    return { module: { ...m, crc32: crc32(data) }, data };
  });
}

export interface CaseOptions {
  /** Which start_info version to ask for (adapters with a choice). */
  startInfoVersion?: 0 | 1;
}

/**
 * A valid boot case an adapter with these capabilities can express: a kernel that
 * fits in the guest's memory next to its modules, a command line, modules.
 */
export function bootCaseArb(caps: Capabilities, opts: CaseOptions = {}): fc.Arbitrary<Omit<BootCase, "id" | "replay">> {
  return fc
    .record({
      memoryBytes: memoryArb(caps),
      cmdline: cmdlineArb(caps.maxCmdline),
      modules: fc.array(moduleArb(caps), { maxLength: caps.maxModules }),
      plan: kernelPlanArb(caps),
    })
    .map(({ memoryBytes, cmdline, modules, plan }) => {
      const moduleBytesTotal = modules.reduce((a, m) => a + Math.ceil(m.module.size / 4096) * 4096, 0);
      // The kernel goes below the modules, inside the first 2 GiB every adapter has as low RAM.
      const limit = Math.min(memoryBytes, 2 * GIB) - moduleBytesTotal - 8 * MIB;
      const kernel = limit > 2 * MIB ? buildKernel({ ...plan, entryCode: caps.entryCode ?? "halt" }, { limit, memoryBytes }) : undefined;
      return kernel && { memoryBytes, cmdline, modules, kernel };
    })
    .filter((x): x is NonNullable<typeof x> => x !== undefined)
    .map(({ memoryBytes, cmdline, modules, kernel }) => ({
      kernel: kernel.facts,
      kernelImage: kernel.image,
      memoryBytes,
      cmdline,
      modules: modules.map((m) => m.module),
      moduleData: modules.map((m) => m.data),
      ...(opts.startInfoVersion !== undefined ? { startInfoVersion: opts.startInfoVersion } : {}),
    }));
}
