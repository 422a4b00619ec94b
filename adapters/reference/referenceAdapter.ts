import { GIB, MIB, type Capabilities } from "../../src/model/Capabilities.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";
import type { Adapter } from "../Adapter.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/_internals/packageRoot.js";

const caps: Capabilities = {
  elfClasses: [32, 64],
  memory: { min: 32 * MIB, max: 6 * GIB },
  maxModules: 8,
  moduleCmdlines: true,
  maxCmdline: 64 * 1024,
  relocation: true,
  malformed: true,
};

/** The embedded reference loader: needs nothing installed. */
export const referenceAdapter: Adapter = {
  id: "reference",
  description: "this project's strict loader over a simulated guest memory",
  variants: [
    { id: "v1", description: "start_info version 1 with a memory map", default: true },
    { id: "v1-reloc", description: "version 1, relocating every image that carries PHYS32_RELOC", default: false },
    { id: "v0", description: "start_info version 0 (no memory map), as Xen's dom0 builder hands over", default: false },
  ],
  // In-process: a boot takes well under a millisecond.
  cost: { runCases: 100, suiteCases: 200, bootSeconds: 0.001, timeoutSeconds: 0 },
  capabilities: () => caps,
  available: async () => ({ ok: true }),
  runInfo: async () => ({
    adapter: "reference",
    version: (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version,
    binary: null,
  }),
  boot: async (c, variant) => {
    if (variant === "v0") return referenceLoad(c, { startInfoVersion: 0 });
    if (variant === "v1-reloc") return referenceLoad(c, { alwaysRelocate: true });
    if (variant === "v1") return referenceLoad(c);
    throw new Error(`reference adapter has no variant ${variant}`);
  },
};
