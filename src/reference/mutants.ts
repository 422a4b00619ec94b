import { codecs } from "../abi/codecs.js";
import type { MemmapEntry } from "../abi/types.js";
import type { BootCase } from "../model/BootCase.js";
import type { SegmentState } from "../model/CpuState.js";
import type { Faults } from "./Faults.js";
import { FOUR_GIB, LEGACY_START, LOW_RAM_LIMIT, ONE_MIB } from "./platform.js";
import { referenceLoad, type ReferenceOptions } from "./referenceLoad.js";

/**
 * A reference loader broken in exactly one way. The mutant tests boot generated
 * cases through it and demand that the named requirement's check FAILs on every
 * case where the fault has an effect: a check no mutant can trip proves nothing.
 */
export interface Mutant {
  id: string;
  /** The requirement whose check must FAIL. */
  breaks: string;
  description: string;
  faults: Faults;
  options?: Partial<Omit<ReferenceOptions, "faults">>;
  /** The cases where the fault has an effect (e.g. needs modules, a command line, memory above 4 GiB). */
  applies?(c: BootCase): boolean;
}

const PAGE = 0x1000;
/** Room needed above 4 GiB for a table or string a mutant moves into high RAM. */
const HIGH_ROOM = ONE_MIB;

const rsdpField = (name: string): number => codecs.acpiRsdp().field(name).offset;

const valid = (c: BootCase): boolean => c.kernel.malformed === null;
const when = (pred: (c: BootCase) => boolean) => (c: BootCase): boolean => valid(c) && pred(c);
const lowEnd = (c: BootCase): number => Math.min(c.memoryBytes, LOW_RAM_LIMIT);
const kernelTop = (c: BootCase): number => Math.max(...c.kernel.segments.map((s) => s.paddr + s.memsz));
const hasHighRam = (c: BootCase): boolean => c.memoryBytes - LOW_RAM_LIMIT >= HIGH_ROOM;

function setSegment(name: "cs" | "ds" | "es" | "ss" | "tr", patch: Partial<SegmentState>): Faults {
  return { cpu: (cpu) => void Object.assign(cpu.segments[name], patch) };
}

function patchEntry(map: MemmapEntry[], pick: (e: MemmapEntry) => boolean, patch: Partial<MemmapEntry>): MemmapEntry[] {
  const i = map.findIndex(pick);
  if (i < 0) throw new Error("mutant: memory map entry to patch not found");
  return map.map((e, k) => (k === i ? { ...e, ...patch } : e));
}

/** Reports `hole` as reserved inside whichever RAM entries it falls in. */
function reserve(map: MemmapEntry[], hole: { start: number; end: number }): MemmapEntry[] {
  const lo = BigInt(hole.start);
  const hi = BigInt(hole.end);
  return map.flatMap((e) => {
    const end = e.addr + e.size;
    if (e.type !== 1 || end <= lo || e.addr >= hi) return [e];
    const out: MemmapEntry[] = [];
    if (e.addr < lo) out.push({ ...e, size: lo - e.addr });
    const s = e.addr > lo ? e.addr : lo;
    const t = end < hi ? end : hi;
    out.push({ ...e, addr: s, size: t - s, type: 2 });
    if (end > hi) out.push({ ...e, addr: hi, size: end - hi });
    return out;
  });
}

/** Marks the loaded image reserved; the plan hook runs first and tells the map hook where the image went. */
function kernelReserved(): Faults {
  let kernel = { start: 0, end: 0 };
  return {
    plan: (_p, k) => void (kernel = k),
    memmap: (m) => reserve(m, kernel),
  };
}

/** The delta the strict loader picks with alwaysRelocate, or null when it would not move the image. */
function forcedRelocation(c: BootCase): number | null {
  const o = referenceLoad(c, { alwaysRelocate: true });
  if (o.outcome !== "entered") return null;
  const d = o.cpu!.eip - c.kernel.entry;
  return d === 0 ? null : d;
}

export const mutants: readonly Mutant[] = [
  // start_info fields
  {
    id: "start-info-magic", breaks: "pvh.start-info.magic",
    description: "writes a wrong magic word",
    faults: { startInfo: (si) => void (si.magic = 0x336ec579) },
    applies: valid,
  },
  {
    id: "start-info-version-2", breaks: "pvh.start-info.version",
    description: "claims version 2, which the ABI does not define",
    faults: { startInfo: (si) => void (si.version = 2) },
    applies: valid,
  },
  {
    id: "start-info-reserved", breaks: "pvh.start-info.reserved",
    description: "leaves junk in the version 1 reserved field",
    faults: { startInfo: (si) => void (si.reserved = 0xdead) },
    applies: valid,
  },
  {
    id: "flags-undefined", breaks: "pvh.start-info.flags",
    description: "sets flag bit 16, which xen.h defines no SIF flag for",
    faults: { startInfo: (si) => void (si.flags |= 1 << 16) },
    applies: valid,
  },
  {
    id: "start-info-at-zero", breaks: "pvh.start-info.no-zero-address",
    description: "places start_info at physical address 0 (EBX 0)",
    faults: { plan: (p) => void (p.startInfo = 0) },
    applies: valid,
  },
  {
    id: "module-at-zero", breaks: "pvh.start-info.no-zero-address",
    description: "places module 0 at physical address 0",
    faults: { plan: (p) => void (p.modules[0] = 0) },
    // Small enough to stay below the boot data the loader writes first.
    applies: when((c) => c.modules[0] !== undefined && c.modules[0].size > 0 && c.modules[0].size <= 0x8000),
  },
  {
    id: "start-info-outside-ram", breaks: "pvh.start-info.in-ram",
    description: "hands over start_info at 0xc0000000: past the end of RAM, or in the MMIO hole below 4 GiB",
    // The simulated memory cannot be written outside RAM, so only the address handed over moves.
    faults: { cpu: (cpu) => void (cpu.ebx = LOW_RAM_LIMIT) },
    applies: valid,
  },
  {
    id: "modlist-outside-ram", breaks: "pvh.start-info.in-ram",
    description: "points modlist_paddr at 0xc0000000, which is never RAM",
    faults: { startInfo: (si) => void (si.modlist_paddr = BigInt(LOW_RAM_LIMIT)) },
    applies: when((c) => c.modules.length > 0),
  },

  // command line
  {
    id: "cmdline-unterminated", breaks: "pvh.cmdline.terminated",
    description: "copies the command line without its NUL, over memory that held junk",
    faults: {
      cmdline: (b) => {
        const out = b.slice();
        out[out.length - 1] = 0xff;
        return out;
      },
    },
    applies: when((c) => c.cmdline !== null),
  },
  {
    id: "cmdline-truncated", breaks: "pvh.cmdline.content",
    description: "drops the command line's last character (off-by-one copy)",
    faults: {
      cmdline: (b) => {
        const out = b.slice(0, b.length - 1);
        out[out.length - 1] = 0;
        return out;
      },
    },
    applies: when((c) => c.cmdline !== null && c.cmdline.length > 0),
  },

  // modules
  {
    id: "nr-modules-plus-one", breaks: "pvh.modlist.count",
    description: "reports one module more than it was given",
    faults: { startInfo: (si) => void (si.nr_modules += 1) },
    applies: valid,
  },
  {
    id: "nr-modules-minus-one", breaks: "pvh.modlist.count",
    description: "reports one module fewer than it was given",
    faults: { startInfo: (si) => void (si.nr_modules -= 1) },
    applies: when((c) => c.modules.length > 0),
  },
  {
    id: "module-size", breaks: "pvh.module.content",
    description: "reports module 0 one byte longer than it is",
    faults: { modules: (e) => void (e[0]!.size += 1n) },
    applies: when((c) => c.modules.length > 0),
  },
  {
    id: "module-bytes", breaks: "pvh.module.content",
    description: "corrupts the last byte of the first non-empty module",
    faults: {
      modules: (entries, memory) => {
        const e = entries.find((x) => x.size > 0n)!;
        const at = Number(e.paddr + e.size) - 1;
        memory.write(at, Uint8Array.of(memory.read(at, 1)![0]! ^ 0xff));
      },
    },
    applies: when((c) => c.modules.some((m) => m.size > 0)),
  },
  {
    id: "module-cmdline-dropped", breaks: "pvh.module.cmdline",
    description: "hands over cmdline_paddr 0 for a module that has a command line",
    faults: {
      modules: (entries, memory) => {
        // The first module whose command line is not empty: for "" a 0 address says the same.
        const e = entries.find((x) => x.cmdline_paddr !== 0n && memory.read(Number(x.cmdline_paddr), 1)![0] !== 0)!;
        e.cmdline_paddr = 0n;
      },
    },
    applies: when((c) => c.modules.some((m) => m.cmdline !== null && m.cmdline !== "")),
  },
  {
    id: "modlist-paddr-zero", breaks: "pvh.modlist.count",
    description: "reports the modules but leaves modlist_paddr 0",
    faults: { startInfo: (si) => void (si.modlist_paddr = 0n) },
    applies: when((c) => c.modules.length > 0),
  },
  {
    id: "modules-swapped", breaks: "pvh.module.content",
    description: "lists modules 0 and 1 in the wrong order",
    faults: { modules: (e) => void ([e[0], e[1]] = [e[1]!, e[0]!]) },
    applies: when((c) => c.modules.length > 1 && c.modules[0]!.crc32 !== c.modules[1]!.crc32),
  },
  {
    id: "module-cmdline-unterminated", breaks: "pvh.module.cmdline",
    description: "copies a module's command line without its NUL, over memory that held junk",
    faults: {
      modules: (entries, memory) => {
        const at = Number(entries.find((x) => x.cmdline_paddr !== 0n)!.cmdline_paddr);
        let nul = at;
        while (memory.read(nul, 1)![0] !== 0) nul++;
        memory.write(nul, Uint8Array.of(0xff));
      },
    },
    applies: when((c) => c.modules.some((m) => m.cmdline !== null)),
  },
  {
    id: "modlist-entry-reserved", breaks: "pvh.module.reserved",
    description: "leaves junk in modlist entry 0's reserved field",
    faults: { modules: (e) => void (e[0]!.reserved = 1n) },
    applies: when((c) => c.modules.length > 0),
  },

  // ACPI
  {
    id: "rsdp-checksum", breaks: "pvh.rsdp.valid",
    description: "hands over an RSDP whose first checksum is off by one",
    faults: { rsdp: (b) => void (b[rsdpField("checksum")] = (b[rsdpField("checksum")]! + 1) & 0xff) },
    applies: valid,
  },
  {
    id: "rsdp-extended-checksum", breaks: "pvh.rsdp.valid",
    description: "hands over a revision 2 RSDP whose extended checksum is off by one",
    faults: { rsdp: (b) => void (b[rsdpField("extended_checksum")] = (b[rsdpField("extended_checksum")]! + 1) & 0xff) },
    applies: valid,
  },
  {
    id: "rsdp-signature", breaks: "pvh.rsdp.valid",
    description: "hands over an RSDP signed \"RSD PTR?\"",
    faults: { rsdp: (b) => void (b[7] = 0x3f) },
    applies: valid,
  },

  // memory map
  {
    id: "memmap-paddr-zero", breaks: "pvh.memmap.table",
    description: "reports memmap_entries but leaves memmap_paddr 0",
    faults: { startInfo: (si) => void (si.memmap_paddr = 0n) },
    applies: valid,
  },
  {
    id: "memmap-outside-ram", breaks: "pvh.memmap.table",
    description: "points memmap_paddr at 0xc0000000, which is never RAM",
    faults: { startInfo: (si) => void (si.memmap_paddr = BigInt(LOW_RAM_LIMIT)) },
    applies: valid,
  },
  {
    id: "kernel-reserved", breaks: "pvh.memmap.ram",
    description: "reports the memory holding the loaded image as reserved",
    faults: kernelReserved(),
    applies: valid,
  },
  {
    id: "memmap-type-zero", breaks: "pvh.memmap.types",
    description: "gives the legacy reserved area type 0",
    faults: { memmap: (m) => patchEntry(m, (e) => e.addr === BigInt(LEGACY_START), { type: 0 }) },
    applies: valid,
  },
  {
    id: "memmap-entries-plus-one", breaks: "pvh.memmap.types",
    description: "counts one entry too many, so the guest reads a zeroed entry (type 0)",
    faults: { startInfo: (si) => void (si.memmap_entries = si.memmap_entries! + 1) },
    applies: valid,
  },
  {
    id: "memmap-entries-minus-one", breaks: "pvh.memmap.ram",
    description: "counts one entry too few, dropping the last, which describes the top of RAM",
    faults: { startInfo: (si) => void (si.memmap_entries = si.memmap_entries! - 1) },
    // Modules that are all empty leave an empty reserved entry last, and dropping it loses nothing.
    applies: when((c) => !(c.memoryBytes <= LOW_RAM_LIMIT && c.modules.length > 0 && c.modules.every((m) => m.size === 0))),
  },
  {
    id: "memmap-entry-reserved", breaks: "pvh.memmap.reserved",
    description: "leaves junk in memory map entry 0's reserved field",
    faults: { memmap: (m) => m.map((e, i) => (i === 0 ? { ...e, reserved: 1 } : e)) },
    applies: valid,
  },
  {
    id: "ram-invented", breaks: "pvh.memmap.ram",
    description: "reports 16 MiB of RAM past the end of the guest's memory",
    faults: {
      memmap: (m) => {
        const top = m.reduce((t, e) => (e.addr + e.size > t ? e.addr + e.size : t), 0n);
        return [...m, { addr: top, size: 16n * BigInt(ONE_MIB), type: 1, reserved: 0 }];
      },
    },
    applies: valid,
  },

  // layout
  {
    id: "start-info-in-kernel", breaks: "pvh.layout.no-overlap",
    description: "places start_info on the first byte of the loaded image",
    faults: { plan: (p, k) => void (p.startInfo = k.start) },
    applies: valid,
  },
  {
    id: "cmdline-in-kernel", breaks: "pvh.layout.no-overlap",
    description: "places the command line on the first byte of the loaded image",
    faults: { plan: (p, k) => void (p.cmdline = k.start) },
    applies: when((c) => c.cmdline !== null),
  },
  {
    id: "modules-overlap", breaks: "pvh.layout.no-overlap",
    description: "places module 0 at module 1's address",
    faults: { plan: (p) => void (p.modules[0] = p.modules[1]!) },
    applies: when((c) => c.modules.length > 1 && c.modules[0]!.size > 0 && c.modules[1]!.size > 0),
  },

  // loading
  {
    id: "segment-bytes", breaks: "pvh.load.segments",
    description: "corrupts the last file byte of segment 0",
    faults: {
      afterLoad: (memory, segs) => {
        const s = segs[0]!;
        const at = s.paddr + s.filesz - 1;
        memory.write(at, Uint8Array.of(memory.read(at, 1)![0]! ^ 0xff));
      },
    },
    applies: valid,
  },
  {
    id: "segment-tail-dirty", breaks: "pvh.load.zero-fill",
    description: "leaves junk in the first byte past p_filesz of a segment with a tail",
    faults: {
      afterLoad: (memory, segs) => {
        const s = segs.find((x) => x.memsz > x.filesz)!;
        memory.write(s.paddr + s.filesz, Uint8Array.of(0xcc));
      },
    },
    applies: when((c) => c.kernel.segments.some((s) => s.memsz > s.filesz)),
  },
  {
    id: "reloc-without-note", breaks: "pvh.load.reloc-only-with-note",
    description: "moves an image without PHYS32_RELOC up by 2 MiB, EIP with it",
    faults: { relocate: (d, hasNote) => (hasNote ? d : d + 2 * ONE_MIB) },
    applies: when((c) => c.kernel.reloc === null && kernelTop(c) + 2 * ONE_MIB <= lowEnd(c)),
  },
  {
    id: "reloc-misaligned", breaks: "pvh.load.reloc-constraints",
    description: "relocates by half the note's alignment more than it should",
    options: { alwaysRelocate: true },
    faults: { relocate: (d, hasNote, align) => (hasNote ? d + align / 2 : d) },
    applies: when((c) => {
      if (c.kernel.reloc === null) return false;
      const d = forcedRelocation(c);
      return d !== null && kernelTop(c) + d + c.kernel.reloc.align / 2 <= lowEnd(c);
    }),
  },
  {
    id: "refuse-valid", breaks: "pvh.load.accept-valid",
    description: "refuses every image",
    faults: { refuseValid: true },
    applies: valid,
  },
  {
    id: "accept-invalid", breaks: "pvh.load.refuse-invalid",
    description: "enters a malformed image instead of refusing it",
    faults: { acceptInvalid: true },
    // Images that are not readable ELF cannot be entered by any loader.
    applies: (c) => c.kernel.malformed !== null && c.kernel.segments.length > 0,
  },

  // CPU state
  {
    id: "eip-off-entry", breaks: "pvh.cpu.eip",
    description: "starts execution 4 bytes past the entry",
    faults: { cpu: (cpu) => void (cpu.eip = (cpu.eip + 4) >>> 0) },
    applies: valid,
  },
  {
    id: "ebx-off", breaks: "pvh.cpu.ebx",
    description: "hands over EBX 8 bytes past start_info",
    faults: { cpu: (cpu) => void (cpu.ebx += 8) },
    applies: valid,
  },
  {
    id: "cr0-wp", breaks: "pvh.cpu.cr0",
    description: "sets CR0.WP",
    faults: { cpu: (cpu) => void (cpu.cr0 = (cpu.cr0 | (1 << 16)) >>> 0) },
    applies: valid,
  },
  {
    id: "cr0-ne", breaks: "pvh.cpu.cr0",
    description: "sets CR0.NE",
    faults: { cpu: (cpu) => void (cpu.cr0 = (cpu.cr0 | (1 << 5)) >>> 0) },
    applies: valid,
  },
  {
    id: "cr0-pg", breaks: "pvh.cpu.cr0",
    description: "enters with paging on (CR0.PG)",
    faults: { cpu: (cpu) => void (cpu.cr0 = (cpu.cr0 | 0x8000_0000) >>> 0) },
    applies: valid,
  },
  {
    id: "cr0-no-pe", breaks: "pvh.cpu.cr0",
    description: "enters in real mode (CR0.PE clear)",
    faults: { cpu: (cpu) => void (cpu.cr0 = (cpu.cr0 & ~1) >>> 0) },
    applies: valid,
  },
  {
    id: "cr4-pae", breaks: "pvh.cpu.cr4",
    description: "sets CR4.PAE",
    faults: { cpu: (cpu) => void (cpu.cr4 |= 1 << 5) },
    applies: valid,
  },
  {
    id: "eflags-if", breaks: "pvh.cpu.eflags",
    description: "enters with interrupts enabled (IF)",
    faults: { cpu: (cpu) => void (cpu.eflags |= 1 << 9) },
    applies: valid,
  },
  {
    id: "eflags-tf", breaks: "pvh.cpu.eflags",
    description: "enters with the trap flag set (TF)",
    faults: { cpu: (cpu) => void (cpu.eflags |= 1 << 8) },
    applies: valid,
  },
  {
    id: "eflags-vm", breaks: "pvh.cpu.eflags",
    description: "enters in virtual-8086 mode (VM)",
    faults: { cpu: (cpu) => void (cpu.eflags |= 1 << 17) },
    applies: valid,
  },
  {
    id: "cs-limit-byte-granular", breaks: "pvh.cpu.cs",
    description: "loads CS with limit 0xfffff and G=0 (1 MiB, not 4 GiB)",
    faults: setSegment("cs", { limit: 0xfffff, g: 0 }),
    applies: valid,
  },
  {
    id: "cs-16bit", breaks: "pvh.cpu.cs",
    description: "loads a 16-bit CS (D/B=0)",
    faults: setSegment("cs", { db: 0 }),
    applies: valid,
  },
  {
    id: "cs-execute-only", breaks: "pvh.cpu.cs",
    description: "loads CS as execute-only code (type 0x9)",
    faults: setSegment("cs", { type: 0x9 }),
    applies: valid,
  },
  {
    id: "cs-ring3", breaks: "pvh.interop.cpl0",
    description: "enters with a DPL 3 code segment (ring 3)",
    faults: setSegment("cs", { dpl: 3 }),
    applies: valid,
  },
  {
    id: "ds-base", breaks: "pvh.cpu.ds",
    description: "loads DS with base 0x1000",
    faults: setSegment("ds", { base: 0x1000 }),
    applies: valid,
  },
  {
    id: "es-limit", breaks: "pvh.cpu.es",
    description: "loads ES with a real-mode limit of 0xffff",
    faults: setSegment("es", { limit: 0xffff, g: 0 }),
    applies: valid,
  },
  {
    id: "ss-read-only", breaks: "pvh.cpu.ss",
    description: "loads SS with a read-only data type (0x1)",
    faults: setSegment("ss", { type: 0x1 }),
    applies: valid,
  },
  {
    id: "tr-limit", breaks: "pvh.cpu.tr",
    description: "loads TR with limit 0x68 (the size, not the last byte)",
    faults: setSegment("tr", { limit: 0x68 }),
    applies: valid,
  },
  {
    id: "tr-available", breaks: "pvh.cpu.tr",
    description: "loads TR with an available TSS (type 9) instead of a busy one (0xb)",
    faults: setSegment("tr", { type: 0x9 }),
    applies: valid,
  },

  // interop
  {
    id: "no-memmap", breaks: "pvh.interop.version-1",
    description: "hands over version 1 with memmap_entries 0",
    faults: { startInfo: (si) => void (si.memmap_entries = 0) },
    applies: valid,
  },
  {
    id: "memmap-above-1g", breaks: "pvh.interop.low-tables",
    description: "places the memory map at 4 GiB",
    faults: { plan: (p) => void (p.memmap = FOUR_GIB) },
    applies: when(hasHighRam),
  },
  {
    id: "cmdline-above-4g", breaks: "pvh.interop.addresses-32bit",
    description: "places the command line at 4 GiB",
    faults: { plan: (p) => void (p.cmdline = FOUR_GIB) },
    applies: when((c) => c.cmdline !== null && hasHighRam(c)),
  },
  {
    id: "memmap-too-long", breaks: "pvh.interop.memmap-limit",
    description: "splits the RAM below the boot data into 256-byte entries, over 128 in all",
    faults: {
      memmap: (m) => {
        const first = m[0]!;
        if (first.addr !== 0n || first.type !== 1) throw new Error("mutant: expected RAM at 0 first");
        const pieces: MemmapEntry[] = [];
        for (let a = 0n; a < first.size; a += 0x100n) pieces.push({ ...first, addr: a, size: first.size - a < 0x100n ? first.size - a : 0x100n });
        return [...pieces, ...m.slice(1)];
      },
    },
    applies: valid,
  },
  {
    id: "memmap-overlap", breaks: "pvh.interop.memmap-disjoint",
    description: "grows the legacy reserved entry a page into the RAM above 1 MiB",
    faults: { memmap: (m) => patchEntry(m, (e) => e.addr === BigInt(LEGACY_START), { size: BigInt(ONE_MIB - LEGACY_START + PAGE) }) },
    applies: valid,
  },
  {
    id: "boot-data-as-ram", breaks: "pvh.interop.boot-data-reserved",
    description: "reports the memory holding start_info, tables and modules as RAM",
    faults: { bootDataAsRam: true },
    applies: valid,
  },
  {
    id: "start-info-in-rom", breaks: "pvh.interop.start-info-writable",
    description: "places start_info at 0xf0000, in the legacy BIOS ROM area",
    faults: { plan: (p) => void (p.startInfo = 0xf_0000) },
    applies: valid,
  },
  {
    id: "modlist-without-modules", breaks: "pvh.interop.empty-modlist",
    description: "hands over a non-zero modlist_paddr with no modules",
    faults: { startInfo: (si) => void (si.nr_modules === 0 && (si.modlist_paddr = 0x7000n)) },
    applies: when((c) => c.modules.length === 0),
  },
  {
    id: "rsdp-absent", breaks: "pvh.interop.rsdp-present",
    description: "hands over rsdp_paddr 0",
    faults: { startInfo: (si) => void (si.rsdp_paddr = 0n) },
    applies: valid,
  },
];
