import { codecs } from "../abi/codecs.js";
import { abi } from "../abi/constants.js";
import type { MemmapEntry, ModlistEntry, StartInfo } from "../abi/types.js";
import { analyzeKernel } from "../checkImage/analyzeKernel.js";
import type { ElfFile, ElfProgramHeader } from "../elf/elfTypes.js";
import type { BootCase } from "../model/BootCase.js";
import type { CpuState, SegmentState } from "../model/CpuState.js";
import { moduleBytes } from "../model/moduleBytes.js";
import type { Observation } from "../model/Observation.js";
import { acpiTables } from "./acpiTables.js";
import type { Faults, LoadPlan } from "./Faults.js";
import { BOOT_DATA_START, LEGACY_START, ONE_MIB, ramLayout } from "./platform.js";
import { RefusalError } from "./RefusalError.js";
import { SparseMemory, type Range } from "./SparseMemory.js";

export interface ReferenceOptions {
  /** start_info version to hand over (default 1). */
  startInfoVersion?: 0 | 1;
  /** Relocate a relocatable image even when its p_paddr would do (exercises the path). */
  alwaysRelocate?: boolean;
  /** A mutant's fault hooks; none for the real reference loader. */
  faults?: Faults;
}

const PT_LOAD = 1;
const PAGE = 0x1000;
const MEMMAP_CAPACITY = 160;
const TYPE_RAM = 1;
const TYPE_RESERVED = 2;

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;
const alignDown = (v: number, a: number): number => Math.floor(v / a) * a;
const hex = (v: number): string => "0x" + v.toString(16);
const overlaps = (a: Range, b: Range): boolean => a.start < b.end && b.start < a.end;

function loadSegments(elf: ElfFile): ElfProgramHeader[] {
  return elf.programHeaders.filter((p) => p.type === PT_LOAD && p.memsz > 0n);
}

/** Validate the image as the strict loader does: readElf, then every kernel-side "must". */
function validate(c: BootCase, faults: Faults): { elf: ElfFile; entry: number; reloc: { align: number; min: number; max: number } | null } {
  const a = analyzeKernel(c.kernelImage);
  if (!a.ok) throw new RefusalError("not-elf", a.error.message);
  const { elf, facts } = a;
  const errors = facts.findings.filter((f) => f.severity === "error");
  // A strict loader reads notes from PT_NOTE segments only, as the ABI text asks.
  const entryInSegment = facts.notes.some((n) => n.owner === "Xen" && n.type === 18 && n.in.some((w) => w.startsWith("PT_NOTE")));
  if (!faults.acceptInvalid) {
    if (errors.length > 0) throw new RefusalError("invalid-image", errors.map((f) => `${f.requirement}: ${f.message}`).join("; "));
    if (!entryInSegment) throw new RefusalError("invalid-image", "no PHYS32_ENTRY note in a PT_NOTE segment");
  }
  const entry = facts.entry ?? Number(elf.header.entry & 0xffffffffn);
  return { elf, entry, reloc: facts.reloc };
}

/** Where the image goes: delta 0 unless relocation is allowed and needed (or asked for). */
function chooseDelta(
  segs: ElfProgramHeader[],
  reloc: { align: number; min: number; max: number } | null,
  lowEnd: number,
  opts: ReferenceOptions,
): number {
  const base = Number(segs.reduce((m, p) => (p.paddr < m ? p.paddr : m), segs[0]!.paddr));
  const top = Number(segs.reduce((m, p) => (p.paddr + p.memsz > m ? p.paddr + p.memsz : m), 0n));
  const span = top - base;
  const fitsInPlace = base >= ONE_MIB && top <= lowEnd;
  if (!reloc) return 0;
  if (fitsInPlace && !opts.alwaysRelocate) return 0;
  const lo = alignUp(Math.max(reloc.min, ONE_MIB), reloc.align);
  const limit = Math.min(reloc.max + 1, lowEnd);
  for (let a = lo; a + span <= limit; a += reloc.align) {
    if (a !== base || !opts.alwaysRelocate) return a - base;
  }
  if (fitsInPlace) return 0;
  throw new RefusalError("does-not-fit", `no address for ${hex(span)} bytes aligned to ${hex(reloc.align)} within [${hex(reloc.min)}, ${hex(reloc.max)}] below ${hex(lowEnd)}`);
}

/** A bump allocator over the low boot-data window. */
class LowAllocator {
  private next = BOOT_DATA_START;
  alloc(size: number, align: number): number {
    const at = alignUp(this.next, align);
    if (at + size > LEGACY_START) throw new RefusalError("does-not-fit", `boot data of ${size} more bytes does not fit below ${hex(LEGACY_START)}`);
    this.next = at + size;
    return at;
  }
  get end(): number {
    return this.next;
  }
}

/** Carve `hole` out of typed ranges, giving it `type`. Keeps the map sorted and disjoint. */
function carve(map: MemmapEntry[], hole: Range, type: number): MemmapEntry[] {
  const out: MemmapEntry[] = [];
  for (const e of map) {
    const s = Number(e.addr);
    const t = s + Number(e.size);
    if (t <= hole.start || s >= hole.end) {
      out.push(e);
      continue;
    }
    if (s < hole.start) out.push({ ...e, size: BigInt(hole.start - s) });
    if (t > hole.end) out.push({ ...e, addr: BigInt(hole.end), size: BigInt(t - hole.end) });
  }
  if (hole.end > hole.start) out.push({ addr: BigInt(hole.start), size: BigInt(hole.end - hole.start), type, reserved: 0 });
  return out.filter((e) => e.size > 0n).sort((a, b) => (a.addr < b.addr ? -1 : 1));
}

const flat = (base: number, limit: number, type: number, s = 1): Omit<SegmentState, "selector"> => ({
  base, limit, type, s, dpl: 0, present: true, db: s ? 1 : 0, l: 0, g: limit > 0xfffff ? 1 : 0, avl: 0,
});

/**
 * The reference loader: a strict implementation of the loader side of the ABI over
 * a simulated guest memory. It needs nothing installed.
 */
export function referenceLoad(c: BootCase, opts: ReferenceOptions = {}): Observation {
  const faults = opts.faults ?? {};
  const variant = opts.startInfoVersion === 0 ? "v0" : opts.alwaysRelocate ? "v1-reloc" : "v1";
  const base = { adapter: "reference", variant } as const;
  try {
    if (faults.refuseValid) throw new RefusalError("refused", "refusing every image (mutant)");
    return { ...base, outcome: "entered", ...load(c, opts, faults) };
  } catch (err) {
    if (err instanceof RefusalError) return { ...base, outcome: "rejected", message: err.message };
    throw err;
  }
}

function load(c: BootCase, opts: ReferenceOptions, faults: Faults): Pick<Observation, "cpu" | "memory" | "ram"> {
  const version = opts.startInfoVersion ?? 1;
  const { elf, entry, reloc } = validate(c, faults);
  const segs = loadSegments(elf);
  if (segs.length === 0) throw new RefusalError("invalid-image", "no PT_LOAD segment with contents");
  const ram = ramLayout(c.memoryBytes);
  const lowEnd = ram[0]!.end;
  let delta = chooseDelta(segs, reloc, lowEnd, opts);
  if (faults.relocate) delta = faults.relocate(delta, reloc !== null, reloc?.align ?? 0x200000);

  const memory = new SparseMemory(ram);
  const kernelRanges: Range[] = [];
  for (const p of segs) {
    const at = Number(p.paddr) + delta;
    const r = { start: at, end: at + Number(p.memsz) };
    if (at < ONE_MIB || !memory.has(at, Number(p.memsz))) {
      throw new RefusalError("does-not-fit", `segment ${p.index} at ${hex(at)}-${hex(r.end)} is not in guest RAM above 1 MiB (${hex(c.memoryBytes)} bytes)`);
    }
    kernelRanges.push(r);
    const off = Number(p.offset);
    memory.write(at, c.kernelImage.subarray(off, off + Number(p.filesz)));
  }
  faults.afterLoad?.(
    memory,
    segs.map((p) => ({ paddr: Number(p.paddr) + delta, filesz: Number(p.filesz), memsz: Number(p.memsz) })),
  );
  const kernel = {
    start: Math.min(...kernelRanges.map((r) => r.start)),
    end: Math.max(...kernelRanges.map((r) => r.end)),
  };

  // Boot data in the low window; modules at the top of low RAM, clear of the kernel.
  const low = new LowAllocator();
  const si = codecs.startInfo();
  const ml = codecs.modlistEntry();
  const mm = codecs.memmapEntry();
  const gdt = low.alloc(5 * 8, 8);
  const plan: LoadPlan = {
    delta,
    startInfo: low.alloc(si.size(version), 8),
    modlist: c.modules.length ? low.alloc(ml.size() * c.modules.length, 8) : 0,
    memmap: version >= 1 ? low.alloc(mm.size() * MEMMAP_CAPACITY, 8) : 0,
    rsdp: low.alloc(codecs.acpiRsdp().size(2), 16),
    cmdline: 0,
    modules: [],
  };
  const xsdt = low.alloc(codecs.acpiSdtHeader().size(), 8);
  const enc = new TextEncoder();
  let cmdlineBytes: Uint8Array | undefined;
  if (c.cmdline !== null) {
    cmdlineBytes = new Uint8Array(c.cmdline.length + 1);
    enc.encodeInto(c.cmdline, cmdlineBytes);
    if (faults.cmdline) cmdlineBytes = faults.cmdline(cmdlineBytes);
    plan.cmdline = low.alloc(cmdlineBytes.length, 1);
  }
  const modCmdlines = c.modules.map((m) => (m.cmdline === null ? 0 : low.alloc(m.cmdline.length + 1, 1)));
  const bootDataEnd = alignUp(low.end, PAGE);

  let top = lowEnd;
  for (const m of c.modules) {
    let at = alignDown(top - m.size, PAGE);
    if (at < kernel.end && at + m.size > kernel.start) at = alignDown(kernel.start - m.size, PAGE);
    if (at < Math.max(ONE_MIB, bootDataEnd)) throw new RefusalError("does-not-fit", `module of ${m.size} bytes does not fit in ${hex(c.memoryBytes)} bytes of RAM`);
    plan.modules.push(at);
    top = at;
  }
  faults.plan?.(plan, kernel);

  // Write boot data.
  const w = (at: number, bytes: Uint8Array): void => {
    if (!memory.has(at, bytes.length)) throw new RefusalError("does-not-fit", `boot data at ${hex(at)} is outside guest RAM`);
    memory.write(at, bytes);
  };
  const gdtBytes = new Uint8Array(5 * 8);
  // Flat 32-bit code (0x10), data (0x18) and a busy TSS (0x20), in the usual descriptor encoding.
  new DataView(gdtBytes.buffer).setBigUint64(0x10, 0x00cf9b000000ffffn, true);
  new DataView(gdtBytes.buffer).setBigUint64(0x18, 0x00cf93000000ffffn, true);
  new DataView(gdtBytes.buffer).setBigUint64(0x20, 0x00008b0000000067n, true);
  w(gdt, gdtBytes);
  if (cmdlineBytes) w(plan.cmdline, cmdlineBytes);
  const modlist: ModlistEntry[] = c.modules.map((m, i) => {
    const cmd = m.cmdline;
    if (cmd !== null) {
      const b = new Uint8Array(cmd.length + 1);
      enc.encodeInto(cmd, b);
      w(modCmdlines[i]!, b);
    }
    w(plan.modules[i]!, c.moduleData?.[i] ?? moduleBytes(m.seed, m.size));
    return { paddr: BigInt(plan.modules[i]!), size: BigInt(m.size), cmdline_paddr: BigInt(modCmdlines[i]!), reserved: 0n };
  });
  faults.modules?.(modlist, memory);
  modlist.forEach((e, i) => w(plan.modlist + i * ml.size(), ml.encode(e)));
  const { rsdp, xsdt: xsdtBytes } = acpiTables(xsdt);
  faults.rsdp?.(rsdp);
  w(plan.rsdp, rsdp);
  w(xsdt, xsdtBytes);

  let memmap: MemmapEntry[] = [
    { addr: 0n, size: BigInt(LEGACY_START), type: TYPE_RAM, reserved: 0 },
    { addr: BigInt(LEGACY_START), size: BigInt(ONE_MIB - LEGACY_START), type: TYPE_RESERVED, reserved: 0 },
    { addr: BigInt(ONE_MIB), size: BigInt(lowEnd - ONE_MIB), type: TYPE_RAM, reserved: 0 },
  ];
  for (const r of ram.slice(1)) memmap.push({ addr: BigInt(r.start), size: BigInt(r.end - r.start), type: TYPE_RAM, reserved: 0 });
  if (!faults.bootDataAsRam) {
    memmap = carve(memmap, { start: alignDown(BOOT_DATA_START, PAGE), end: bootDataEnd }, TYPE_RESERVED);
    if (plan.modules.length) memmap = carve(memmap, { start: Math.min(...plan.modules), end: alignUp(Math.max(...plan.modules.map((a, i) => a + c.modules[i]!.size)), PAGE) }, TYPE_RESERVED);
  }
  if (faults.memmap) memmap = faults.memmap(memmap);
  if (version >= 1) memmap.slice(0, MEMMAP_CAPACITY).forEach((e, i) => w(plan.memmap + i * mm.size(), mm.encode(e)));

  const info: StartInfo = {
    magic: abi.startInfoMagic,
    version,
    flags: 0,
    nr_modules: c.modules.length,
    modlist_paddr: BigInt(plan.modlist),
    cmdline_paddr: BigInt(plan.cmdline),
    rsdp_paddr: BigInt(plan.rsdp),
  };
  if (version >= 1) Object.assign(info, { memmap_paddr: BigInt(plan.memmap), memmap_entries: Math.min(memmap.length, MEMMAP_CAPACITY), reserved: 0 });
  faults.startInfo?.(info);
  w(plan.startInfo, si.encode(info, version));

  const code = { selector: 0x10, ...flat(0, 0xffffffff, 0xb) };
  const data = { selector: 0x18, ...flat(0, 0xffffffff, 0x3) };
  const cpu: CpuState = {
    eax: 0, ebx: plan.startInfo, ecx: 0, edx: 0, esi: 0, edi: 0, ebp: 0, esp: 0,
    eip: (entry + delta) >>> 0,
    eflags: 0x2,
    cr0: 0x11,
    cr3: 0,
    cr4: 0,
    efer: 0,
    segments: {
      cs: code,
      ds: { ...data },
      es: { ...data },
      ss: { ...data },
      fs: { ...data },
      gs: { ...data },
      tr: { selector: 0x20, ...flat(0, 0x67, 0xb, 0) },
      ldtr: { selector: 0, base: 0, limit: 0, type: 0, s: 0, dpl: 0, present: false, db: 0, l: 0, g: 0, avl: 0, unusable: true },
    },
    gdtr: { base: gdt, limit: 5 * 8 - 1 },
    idtr: { base: 0, limit: 0 },
  };
  faults.cpu?.(cpu);
  return { cpu, memory, ram };
}
