import { describe, expect, it } from "vitest";
import { parseInfoRegisters, parseMemoryMap } from "../../adapters/qemu/parseInfoRegisters.js";

// Captured from QEMU 7.2 (Debian) at a PVH entry, -machine pc.
const REGS32 = `EAX=00000000 EBX=000021e0 ECX=00100000 EDX=00000518
ESI=000011c0 EDI=00006ef4 EBP=00000000 ESP=00006edc
EIP=00100000 EFL=00000006 [-----P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0008 00000000 ffffffff 00cf9a00 DPL=0 CS32 [-R-]
SS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
DS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
FS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
GS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
LDT=0000 00000000 0000ffff 00008200 DPL=0 LDT
TR =0000 00000000 0000ffff 00008b00 DPL=0 TSS32-busy
GDT=     000ca118 00000027
IDT=     00000000 000003ff
CR0=00000011 CR2=00000000 CR3=00000000 CR4=00000000
EFER=0000000000000000
`;

describe("parsing QEMU's monitor output", () => {
  it("decodes info registers into the CPU state, segment attributes included", () => {
    const cpu = parseInfoRegisters(REGS32);
    expect(cpu).toMatchObject({ ebx: 0x21e0, eip: 0x100000, eflags: 6, cr0: 0x11, cr4: 0, efer: 0, gdtr: { base: 0xca118, limit: 0x27 } });
    expect(cpu.segments.cs).toEqual({ selector: 8, base: 0, limit: 0xffffffff, type: 0xa, s: 1, dpl: 0, present: true, avl: 0, l: 0, db: 1, g: 1 });
    expect(cpu.segments.tr).toMatchObject({ type: 0xb, s: 0, limit: 0xffff, present: true });
    expect(cpu.segments.ldtr).toMatchObject({ type: 2, s: 0 });
  });

  it("reads a 64-bit layout too", () => {
    const r64 = REGS32.replace("EAX=00000000 EBX=000021e0", "RAX=0000000000000000 RBX=00000000000021e0").replace("EIP=00100000", "RIP=0000000000100000");
    expect(parseInfoRegisters(r64)).toMatchObject({ ebx: 0x21e0, eip: 0x100000 });
  });

  it("refuses output it cannot read instead of guessing", () => {
    expect(() => parseInfoRegisters("nothing here")).toThrow(/info registers/);
  });

  it("splits the flat memory view into RAM, writable and readable ranges", () => {
    const mtree = `FlatView #0
 AS "memory", root: system
 Root memory region: system
  0000000000000000-000000000009ffff (prio 0, ram): pc.ram
  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem
  00000000000c0000-00000000000c9fff (prio 1, rom): pc.rom
  00000000000ca000-00000000000ccfff (prio 1, ram): pc.ram @00000000000ca000
  00000000000f0000-00000000000fffff (prio 1, rom): pc.bios @0000000000030000
  0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @0000000000100000
  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

FlatView #1
 AS "I/O", root: io
  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan
`;
    const m = parseMemoryMap(mtree);
    expect(m.ram).toEqual([{ start: 0, end: 0xa0000 }, { start: 0xca000, end: 0xcd000 }, { start: 0x100000, end: 0x8000000 }]);
    expect(m.writable).toEqual(m.ram);
    expect(m.readable).toEqual([{ start: 0, end: 0xa0000 }, { start: 0xc0000, end: 0xcd000 }, { start: 0xf0000, end: 0x8000000 }, { start: 0xfffc0000, end: 0x100000000 }]);
  });
});

describe("a TIMEOUT says where the CPU is", () => {
  it("and, inside the kernel's segments, that the image was likely entered elsewhere", async () => {
    const { whereTheCpuIs } = await import("../../adapters/qemu/qemuAdapter.js");
    const { exampleCase } = await import("../../generators/exampleCase.js");
    const c = exampleCase("where", { plan: { segments: [{ gapPages: 0, filesz: 4096, tail: 4096, flags: "RX" }] } });
    const s = c.kernel.segments[0]!;
    expect(whereTheCpuIs(c, BigInt(s.paddr + 4096 + 16))).toBe(`the CPU is at 0x${(s.paddr + 4096 + 16).toString(16)}, inside the kernel's segment 0 (0x${s.paddr.toString(16)}+0x2000): the loader may have entered the image elsewhere than the note's entry`);
    expect(whereTheCpuIs(c, BigInt(s.paddr + 8192))).toBe(`the CPU is at 0x${(s.paddr + 8192).toString(16)}`);
    expect(whereTheCpuIs(c, 0xfff0n)).toBe("the CPU is at 0xfff0");
    expect(whereTheCpuIs(c, undefined)).toBe("the CPU is at an unknown address");
    // A 64-bit RIP stays exact.
    expect(whereTheCpuIs(c, 0xffffffff81000123n)).toBe("the CPU is at 0xffffffff81000123");
  });
});
