import type { SegmentName, SegmentState } from "../model/CpuState.js";
import { fail, hex, pass, type Check } from "./Check.js";

const FLAT_LIMIT = 0xffffffff;
const EFLAGS_TF = 1 << 8;
const EFLAGS_IF = 1 << 9;
const EFLAGS_VM = 1 << 17;
const CR0_PE = 1;
const CR0_ET = 1 << 4;
const TSS32_BUSY = 0xb;
/** EFER.LMA: IA-32e mode active; only then does a code segment's L bit mean 64-bit. */
const EFER_LMA = 1 << 10;

function describe(s: SegmentState): string {
  return `selector ${hex(s.selector)} base ${hex(s.base)} limit ${hex(s.limit)} type ${hex(s.type)} S=${s.s} DPL=${s.dpl} P=${s.present ? 1 : 0} D/B=${s.db} L=${s.l} G=${s.g}${s.unusable ? " unusable" : ""}`;
}

/**
 * What is wrong with a segment that should be flat 32-bit code or data; empty when right.
 * Only what the text names is judged (pvh.pandoc lines 23-27): the kind, 32-bit, base 0 and
 * the effective limit. The selector, the accessed bit, conforming, AVL, G (the limit is
 * judged as it takes effect) and the DPL (pvh.interop.cpl0) are left open by the text.
 */
function flatProblems(s: SegmentState, kind: "code" | "data", efer: number): string[] {
  const p: string[] = [];
  if (s.unusable) p.push("unusable (null)");
  if (!s.present) p.push("not present");
  if (s.s !== 1) p.push("a system descriptor");
  if (kind === "code") {
    if (!(s.type & 8)) p.push("not a code segment");
    else if (!(s.type & 2)) p.push("not readable");
    // Outside IA-32e mode the CPU ignores L (the SDM's segment descriptor, bit 21): the
    // segment is 32-bit by D alone. The text leaves EFER open, so LMA decides, not LME.
    if (s.l && efer & EFER_LMA) p.push("64-bit (L=1 with EFER.LMA set)");
  } else {
    if (s.type & 8) p.push("not a data segment");
    else {
      if (!(s.type & 2)) p.push("not writable");
      if (s.type & 4) p.push("expand-down");
    }
  }
  if (s.db !== 1) p.push("not 32-bit (D/B=0)");
  if (s.base !== 0) p.push(`base ${hex(s.base)}`);
  if (s.limit !== FLAT_LIMIT) p.push(`limit ${hex(s.limit)}`);
  return p;
}

function segmentCheck(name: Exclude<SegmentName, "tr" | "ldtr" | "fs" | "gs">, kind: "code" | "data"): Check {
  const requirement = `pvh.cpu.${name}`;
  const expected = kind === "code" ? "present 32-bit execute/read code, base 0, limit 0xffffffff" : "present 32-bit read/write expand-up data, base 0, limit 0xffffffff";
  return {
    requirement,
    run: ({ obs }) => {
      const s = obs.cpu!.segments[name];
      const problems = flatProblems(s, kind, obs.cpu!.efer);
      return problems.length === 0
        ? pass(requirement)
        : fail(requirement, `${name}-not-flat`, `${name.toUpperCase()} is ${problems.join(", ")}`, { expected, seen: describe(s) });
    },
  };
}

export const cpuChecks: Check[] = [
  {
    requirement: "pvh.cpu.cr0",
    run: ({ obs }) => {
      const cr0 = obs.cpu!.cr0 >>> 0;
      // ET is hard-wired to 1 on current CPUs, so it is ignored; every other bit but PE must be clear.
      if ((cr0 & ~CR0_ET) >>> 0 === CR0_PE) return pass("pvh.cpu.cr0");
      return fail("pvh.cpu.cr0", "cr0-bits", `CR0 is ${hex(cr0)}`, { expected: "0x1 or 0x11 (PE, optionally ET)", seen: hex(cr0) });
    },
  },
  {
    requirement: "pvh.cpu.cr4",
    run: ({ obs }) =>
      obs.cpu!.cr4 === 0 ? pass("pvh.cpu.cr4") : fail("pvh.cpu.cr4", "cr4-nonzero", `CR4 is ${hex(obs.cpu!.cr4)}`, { expected: "0x0", seen: hex(obs.cpu!.cr4) }),
  },
  {
    requirement: "pvh.cpu.eflags",
    run: ({ obs }) => {
      const f = obs.cpu!.eflags;
      const set = [
        [EFLAGS_VM, "VM"],
        [EFLAGS_IF, "IF"],
        [EFLAGS_TF, "TF"],
      ].filter(([bit]) => f & (bit as number)).map(([, n]) => n);
      return set.length === 0
        ? pass("pvh.cpu.eflags")
        : fail("pvh.cpu.eflags", "eflags-bits", `EFLAGS has ${set.join(", ")} set`, { expected: "VM, IF and TF clear", seen: hex(f) });
    },
  },
  segmentCheck("cs", "code"),
  segmentCheck("ds", "data"),
  segmentCheck("es", "data"),
  segmentCheck("ss", "data"),
  {
    requirement: "pvh.cpu.tr",
    run: ({ obs }) => {
      const tr = obs.cpu!.segments.tr;
      const p: string[] = [];
      if (tr.unusable || !tr.present) p.push("not present");
      if (tr.s !== 0 || tr.type !== TSS32_BUSY) p.push(`type ${hex(tr.type)} S=${tr.s}, not a busy 32-bit TSS (type 0xb, S=0)`);
      if (tr.base !== 0) p.push(`base ${hex(tr.base)}`);
      if (tr.limit !== 0x67) p.push(`limit ${hex(tr.limit)}`);
      return p.length === 0
        ? pass("pvh.cpu.tr")
        : fail("pvh.cpu.tr", "tr-not-tss", `TR is ${p.join(", ")}`, { expected: "busy 32-bit TSS, base 0, limit 0x67", seen: describe(tr) });
    },
  },
  {
    requirement: "pvh.cpu.ebx",
    run: ({ obs }) => {
      const ebx = obs.cpu!.ebx;
      const head = obs.memory!.read(ebx, 4);
      const magic = head ? new DataView(head.buffer, head.byteOffset).getUint32(0, true) : undefined;
      // EBX is judged by what it points at: a start_info starts with its magic.
      if (magic === 0x336ec578) return pass("pvh.cpu.ebx");
      return fail("pvh.cpu.ebx", "ebx-not-start-info", `EBX ${hex(ebx)} does not point at a start_info`, {
        expected: "EBX = address of a structure starting with 0x336ec578",
        seen: magic === undefined ? `${hex(ebx)} is not readable guest memory` : `word at ${hex(ebx)} is ${hex(magic)}`,
        address: ebx,
      });
    },
  },
];

cpuChecks.push({
  requirement: "pvh.interop.cpl0",
  run: ({ obs }) => {
    const s = obs.cpu!.segments;
    const high = (["cs", "ds", "es", "ss"] as const).filter((n) => s[n].dpl !== 0);
    return high.length === 0
      ? pass("pvh.interop.cpl0")
      : fail("pvh.interop.cpl0", "dpl-not-0", `${high.map((n) => `${n.toUpperCase()}.DPL=${s[n].dpl}`).join(", ")}`, { expected: "DPL 0 on CS, DS, ES, SS", seen: high.map((n) => describe(s[n])).join("; ") });
  },
});
