import { describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { entryTripwires } from "../../src/capture/entryTripwires.js";

const seg = { gapPages: 0, filesz: 8192, tail: 4096, flags: "RX" as const };

describe("entryTripwires: where a loader that misreads the image would enter it", () => {
  it("is the segments' starts and e_entry's physical forms, never the entry itself", () => {
    const c = exampleCase("t", { plan: { segments: [seg, { ...seg, gapPages: 2 }], entrySegment: 1, entryFraction: 0.5 } });
    const [s0, s1] = c.kernel.segments;
    // e_entry equals the note's entry in generated images: nothing to add for it.
    expect(entryTripwires(c, 8)).toEqual([
      { address: s0!.paddr, why: "the start of PT_LOAD 0" },
      { address: s1!.paddr, why: "the start of PT_LOAD 1" },
    ]);
    expect(entryTripwires(exampleCase("plain"), 8)).toEqual([]);
  });

  it("adds e_entry where it differs from the entry, and keeps only what lies inside the loaded image", () => {
    const c = exampleCase("t", { plan: { segments: [seg], entryFraction: 0.5 } });
    const s = c.kernel.segments[0]!;
    const image = c.kernelImage.slice();
    const dv = new DataView(image.buffer);
    dv.setBigUint64(0x18, BigInt(s.paddr + 64), true);
    expect(entryTripwires({ ...c, kernelImage: image }, 8)).toEqual([
      { address: s.paddr + 64, why: "e_entry, translated to a physical address" },
      { address: s.paddr, why: "the start of PT_LOAD 0" },
    ]);
    // An e_entry outside the image (a BIOS address, say) is left alone, as is a limit.
    // (A new array: analyses are cached per image.)
    const bios = image.slice();
    new DataView(bios.buffer).setBigUint64(0x18, 0xfffffff0n, true);
    expect(entryTripwires({ ...c, kernelImage: bios }, 8).map((t) => t.why)).toEqual(["the start of PT_LOAD 0"]);
    expect(entryTripwires({ ...c, kernelImage: bios }, 0)).toEqual([]);
  });

  it("translates a high virtual e_entry through its segment", () => {
    const c = exampleCase("t", { plan: { segments: [seg], entryFraction: 0.5, highVaddr: true } });
    const s = c.kernel.segments[0]!;
    const image = c.kernelImage.slice();
    const dv = new DataView(image.buffer);
    dv.setBigUint64(0x18, 0xffffffff80000000n + BigInt(s.paddr + 100), true);
    expect(entryTripwires({ ...c, kernelImage: image }, 8)[0]).toEqual({ address: s.paddr + 100, why: "e_entry, translated to a physical address" });
  });

  it("has none for an image that is not ELF", () => {
    const c = exampleCase("t");
    expect(entryTripwires({ ...c, kernelImage: new Uint8Array(64) }, 8)).toEqual([]);
  });
});
