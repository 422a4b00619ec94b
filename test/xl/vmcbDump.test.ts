import { describe, expect, it } from "vitest";
import { parseVmcbDump, segmentFromVmcb } from "../../adapters/xl/vmcbDump.js";

// Lines as Debian's Xen 4.20 printed them on `xl debug-keys v` for a paused PVH domU
// built by libxenguest (a run of test/xl/xlAdapter.test.ts), trimmed to the parts read.
const DUMP = [
  "(XEN) *********** VMCB Areas **************",
  "(XEN) ",
  "(XEN) >>> Domain 1 <<<",
  "(XEN) \tVCPU 0",
  "(XEN) Dumping guest's current state at key_handler...",
  "(XEN)        sel attr  limit   base",
  "(XEN)   CS: 0000 0c9b ffffffff 0000000000000000",
  "(XEN)   DS: 0000 0c93 ffffffff 0000000000000000",
  "(XEN)   SS: 0000 0c93 ffffffff 0000000000000000",
  "(XEN)   ES: 0000 0c93 ffffffff 0000000000000000",
  "(XEN)   FS: 0000 0000 00000000 0000000000000000",
  "(XEN) GDTR: 0000 0000 00000000 0000000000000000",
  "(XEN)   TR: 0000 008b 00000067 0000000000000000",
  "(XEN) **************************************",
];

describe("Xen's VMCB dump (the `v` debug key)", () => {
  it("decodes Xen's 12-bit attribute word: type, S, DPL, P, AVL, L, D/B, G (AMD APM Vol. 2, 15.5.1)", () => {
    expect(segmentFromVmcb(0x10, 0xc9b, 0xffffffff, 0)).toEqual({ selector: 0x10, base: 0, limit: 0xffffffff, type: 11, s: 1, dpl: 0, present: true, avl: 0, l: 0, db: 1, g: 1 });
    expect(segmentFromVmcb(0, 0x08b, 0x67, 0x1000)).toMatchObject({ type: 11, s: 0, present: true, db: 0, g: 0, limit: 0x67, base: 0x1000 });
    expect(segmentFromVmcb(0, 0xfff, 0, 0)).toMatchObject({ type: 15, s: 1, dpl: 3, present: true, avl: 1, l: 1, db: 1, g: 1 });
  });

  it("reads vCPU 0's segments of each domain, and nothing outside a domain's section", () => {
    const segs = parseVmcbDump([...DUMP, "(XEN)   CS: 0000 0000 00000000 0000000000000000"]).get(1)!;
    expect(segs.cs).toMatchObject({ selector: 0, type: 11, s: 1, db: 1, g: 1, present: true, limit: 0xffffffff });
    expect(segs.ss).toMatchObject({ type: 3, s: 1, present: true });
    expect(segs.tr).toMatchObject({ type: 11, s: 0, limit: 0x67 });
    expect(segs.ldtr).toBeUndefined();
    expect(parseVmcbDump(DUMP.slice(3)).size).toBe(0);
  });
});
