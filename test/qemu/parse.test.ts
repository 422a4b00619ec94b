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

// Captured from QEMU 10.0.2 (bookworm-backports) at a PVH entry, -machine pc -m 128M (i/o lines
// of the VGA left out). 10.0 lists the SMM address space's view first: there the VGA hole
// 0xa0000-0xbffff is RAM (SMRAM), which the guest outside SMM cannot reach. 7.2 listed
// the system view first.
const MTREE_10_0_PC = `FlatView #0
 AS "cpu-smm-0", root: memory
 Root memory region: memory
  0000000000000000-00000000000bffff (prio 0, ram): pc.ram
  00000000000c0000-00000000000c9fff (prio 0, rom): pc.ram @00000000000c0000
  00000000000ca000-00000000000ccfff (prio 0, ram): pc.ram @00000000000ca000
  00000000000cd000-00000000000e3fff (prio 0, rom): pc.ram @00000000000cd000
  00000000000e4000-00000000000effff (prio 0, ram): pc.ram @00000000000e4000
  00000000000f0000-00000000000fffff (prio 0, rom): pc.ram @00000000000f0000
  0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @0000000000100000
  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram
  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic
  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

FlatView #1
 AS "i440FX", root: bus master container
 AS "PIIX3", root: bus master container
 Root memory region: (none)
  No rendered FlatView

FlatView #2
 AS "memory", root: system
 AS "cpu-memory-0", root: system
 Root memory region: system
  0000000000000000-000000000009ffff (prio 0, ram): pc.ram
  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem
  00000000000c0000-00000000000c9fff (prio 0, rom): pc.ram @00000000000c0000
  00000000000ca000-00000000000ccfff (prio 0, ram): pc.ram @00000000000ca000
  00000000000cd000-00000000000e3fff (prio 0, rom): pc.ram @00000000000cd000
  00000000000e4000-00000000000effff (prio 0, ram): pc.ram @00000000000e4000
  00000000000f0000-00000000000fffff (prio 0, rom): pc.ram @00000000000f0000
  0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @0000000000100000
  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram
  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic
  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

FlatView #3
 AS "I/O", root: io
  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan
`;

describe("parsing QEMU 10.0's monitor output", () => {
  it("takes the system address space's view, not the SMM view 10.0 lists first", () => {
    const m = parseMemoryMap(MTREE_10_0_PC);
    // The VGA hole is i/o to the guest: neither RAM nor readable.
    expect(m.ram).toEqual([{ start: 0, end: 0xa0000 }, { start: 0xca000, end: 0xcd000 }, { start: 0xe4000, end: 0xf0000 }, { start: 0x100000, end: 0x8000000 }]);
    expect(m.readable).toEqual([{ start: 0, end: 0xa0000 }, { start: 0xc0000, end: 0x8000000 }, { start: 0xfd000000, end: 0xfe000000 }, { start: 0xfffc0000, end: 0x100000000 }]);
    expect(m.writable).toEqual([...m.ram.slice(0, 4), { start: 0xfd000000, end: 0xfe000000 }]);
  });

  it("reads 10.0's info registers (microvm, SeaBIOS's microvm build: EAX 0 and EFLAGS 2, where 7.2's qboot left EAX 0x2badb002)", () => {
    // Captured from QEMU 10.0.2 (bookworm-backports) at a PVH entry, -machine microvm.
    const regs = `CPU#0
EAX=00000000 EBX=000021e0 ECX=00100000 EDX=00000518
ESI=000011c0 EDI=00006f00 EBP=00000000 ESP=00006ee8
EIP=00100000 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0008 00000000 ffffffff 00cf9a00 DPL=0 CS32 [-R-]
SS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
DS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
FS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
GS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
LDT=0000 00000000 0000ffff 00008200 DPL=0 LDT
TR =0000 00000000 0000ffff 00008b00 DPL=0 TSS32-busy
GDT=     000c0118 00000027
IDT=     00000000 000003ff
CR0=00000011 CR2=00000000 CR3=00000000 CR4=00000000
`;
    const cpu = parseInfoRegisters(regs);
    expect(cpu).toMatchObject({ eax: 0, ebx: 0x21e0, edi: 0x6f00, esp: 0x6ee8, eip: 0x100000, eflags: 2, cr0: 0x11, gdtr: { base: 0xc0118, limit: 0x27 }, idtr: { base: 0, limit: 0x3ff } });
    expect(cpu.segments.tr).toMatchObject({ limit: 0xffff, type: 0xb });
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
