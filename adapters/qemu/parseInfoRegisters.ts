import type { CpuState, SegmentName, SegmentState } from "../../src/model/CpuState.js";

const SEGMENTS: Record<string, SegmentName> = { ES: "es", CS: "cs", SS: "ss", DS: "ds", FS: "fs", GS: "gs", LDT: "ldtr", TR: "tr" };

/**
 * Decode a segment cache as QEMU prints it: selector, base, limit (already scaled by
 * G) and the descriptor's attribute bits in place (QEMU target/i386 cpu.h: DESC_TYPE
 * at bit 8, S 12, DPL 13-14, P 15, AVL 20, L 21, B 22, G 23).
 */
export function decodeSegment(selector: string, base: string, limit: string, flags: string): SegmentState {
  const f = parseInt(flags, 16);
  return {
    selector: parseInt(selector, 16),
    base: Number(BigInt("0x" + base)),
    limit: parseInt(limit, 16),
    type: (f >>> 8) & 0xf,
    s: (f >>> 12) & 1,
    dpl: (f >>> 13) & 3,
    present: ((f >>> 15) & 1) === 1,
    avl: (f >>> 20) & 1,
    l: (f >>> 21) & 1,
    db: (f >>> 22) & 1,
    g: (f >>> 23) & 1,
  };
}

/** Parse `info registers` (32- or 64-bit layout) into the CPU state the checks read. */
export function parseInfoRegisters(text: string): CpuState {
  const reg = (name: string): number => {
    const m = new RegExp(`\\b[ER]${name}=([0-9a-f]+)`).exec(text);
    if (!m) throw new Error(`info registers: no ${name} in ${JSON.stringify(text.slice(0, 200))}`);
    return Number(BigInt("0x" + m[1]!) & 0xffffffffn);
  };
  const plain = (name: string): number => {
    const m = new RegExp(`\\b${name}=([0-9a-f]+)`).exec(text);
    if (!m) throw new Error(`info registers: no ${name}`);
    return Number(BigInt("0x" + m[1]!) & 0xffffffffn);
  };
  const segments = {} as Record<SegmentName, SegmentState>;
  for (const m of text.matchAll(/^(ES|CS|SS|DS|FS|GS|LDT|TR) ?=([0-9a-f]{4}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)/gm)) {
    segments[SEGMENTS[m[1]!]!] = decodeSegment(m[2]!, m[3]!, m[4]!, m[5]!);
  }
  for (const n of Object.values(SEGMENTS)) if (!segments[n]) throw new Error(`info registers: no ${n}`);
  const table = (name: string) => {
    const m = new RegExp(`^${name}= +([0-9a-f]+) ([0-9a-f]+)`, "m").exec(text);
    if (!m) throw new Error(`info registers: no ${name}`);
    return { base: Number(BigInt("0x" + m[1]!)), limit: parseInt(m[2]!, 16) };
  };
  const efer = /EFER=([0-9a-f]+)/.exec(text);
  return {
    eax: reg("AX"), ebx: reg("BX"), ecx: reg("CX"), edx: reg("DX"),
    esi: reg("SI"), edi: reg("DI"), ebp: reg("BP"), esp: reg("SP"),
    eip: reg("IP"),
    eflags: plain("EFL"),
    cr0: plain("CR0"), cr3: plain("CR3"), cr4: plain("CR4"),
    efer: efer ? Number(BigInt("0x" + efer[1]!)) : 0,
    segments,
    gdtr: table("GDT"),
    idtr: table("IDT"),
  };
}

export interface MemoryMap {
  /** The guest's system RAM (pc.ram, microvm.ram): what -m gave it. */
  ram: { start: number; end: number }[];
  /** Everything the guest can write: any RAM region, shadowed BIOS included. */
  writable: { start: number; end: number }[];
  /** Everything the guest can read: RAM and ROM (the BIOS area holds ACPI tables). */
  readable: { start: number; end: number }[];
}

function pushMerged(list: { start: number; end: number }[], start: number, end: number): void {
  const last = list.at(-1);
  if (last && last.end === start) last.end = end;
  else list.push({ start, end });
}

/** The running machine's memory, from the flat view of `info mtree -f` (system address space). */
export function parseMemoryMap(mtree: string): MemoryMap {
  const view = mtree.split(/^FlatView #/m).find((v) => /AS "memory"/.test(v)) ?? mtree;
  const map: MemoryMap = { ram: [], writable: [], readable: [] };
  for (const m of view.matchAll(/^\s*([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, (ram|rom|romd|i\/o)\): (\S+)/gm)) {
    const start = Number(BigInt("0x" + m[1]!));
    const end = Number(BigInt("0x" + m[2]!)) + 1;
    const type = m[3]!;
    if (type === "i/o") continue;
    pushMerged(map.readable, start, end);
    if (type === "ram") pushMerged(map.writable, start, end);
    if (type === "ram" && /^(pc|microvm)\.ram$/.test(m[4]!)) pushMerged(map.ram, start, end);
  }
  return map;
}
