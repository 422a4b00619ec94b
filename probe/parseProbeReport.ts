import { crc32 } from "../src/_internals/crc32.js";
import { codecs } from "../src/abi/codecs.js";
import type { MemmapEntry, ModlistEntry } from "../src/abi/types.js";
import { SEGMENT_NAMES, type SegmentName, type SegmentState } from "../src/model/CpuState.js";
import type { ProbeFault, ProbeLoad, ProbeModule, ProbeReport, ProbeSegment, ProbeString } from "./ProbeReport.js";
import { ProbeReportError, type ProbeProblem } from "./ProbeReportError.js";

/** The report format this parser reads (the PROBE line's first value). */
export const PROBE_FORMAT = 1;

// A frame anywhere in a console line: a prefix such as Xen's "(d0) " or serial noise before it is fine.
const FRAME = /PVHP (\d+ [A-Z][A-Z0-9]*(?: [0-9a-f]+)*|END \d+) \*([0-9a-f]{8})/g;
const PHASES = ["", "EFER", "BOOTDATA", "LOADS", "MODULES"];
const MODULE_STATUS = ["hashed", "above-4g", "too-large"] as const;
/** Missing lines listed one by one; past this many they are counted (a "missing-more" problem). */
export const MAX_LISTED_MISSING = 256;
/** The probe prints its values as 32-bit words (probe.S), at most 8 hex digits. */
const MAX_VALUE_DIGITS = 8;
/** As the probe bounds them (probe.S MAX_ENTRIES). */
const MAX_ENTRIES = 4096;
const FOUR_GIB = 0x1_0000_0000n;

interface Line {
  seq: number;
  key: string;
  values: string[];
  text: string;
}

/**
 * Parse a probe report out of console text: one log, or several logs of the same
 * run (port 0xe9 and COM1), whose verified lines are pooled. Every line's CRC is
 * checked and the sequence must be whole up to the END line; otherwise this throws
 * a ProbeReportError that lists what is missing or garbled.
 */
export function parseProbeReport(consoleText: string | readonly string[]): ProbeReport {
  const texts = typeof consoleText === "string" ? [consoleText] : consoleText;
  const problems: ProbeProblem[] = [];
  const bySeq = new Map<number, Line>();
  const garbled: { text: string; seq: number | null }[] = [];
  let end: number | null = null;
  let sawAny = false;
  for (const text of texts) {
    for (const raw of text.split(/\r\n|\r|\n/)) {
      if (!raw.includes("PVHP")) continue;
      sawAny = true;
      let verified = 0;
      for (const m of raw.matchAll(FRAME)) {
        const body = `PVHP ${m[1]!}`;
        if (crc32(Buffer.from(body, "latin1")) !== parseInt(m[2]!, 16)) continue;
        verified++;
        const [first, ...rest] = m[1]!.split(" ");
        if (first === "END") {
          end = Number(rest[0]);
          continue;
        }
        const seq = Number(first);
        const line: Line = { seq, key: rest[0]!, values: rest.slice(1), text: body };
        const seen = bySeq.get(seq);
        if (seen && seen.text !== body) problems.push({ kind: "conflict", seq });
        else bySeq.set(seq, line);
      }
      if (verified === 0) {
        const s = /PVHP (\d+) /.exec(raw);
        garbled.push({ text: raw, seq: s ? Number(s[1]) : null });
      }
    }
  }
  if (!sawAny) throw new ProbeReportError([{ kind: "no-report" }], 0);

  const fatal = [...bySeq.values()].find((l) => l.key === "FATAL");
  if (fatal) {
    const [vector = 0, eip = 0, errorCode = 0] = fatal.values.map((v) => parseInt(v, 16));
    problems.push({ kind: "fatal", vector, eip, errorCode });
  }
  let highest = -1;
  for (const seq of bySeq.keys()) if (seq > highest) highest = seq;
  const count = end ?? highest + 1;
  // The numbers are the log's to choose: list the first missing lines, count the rest,
  // so neither the time nor the problems grow with a number instead of the log.
  const garbledBySeq = new Map<number, string[]>();
  for (const g of garbled) if (g.seq !== null) garbledBySeq.set(g.seq, [...(garbledBySeq.get(g.seq) ?? []), g.text]);
  let present = 0;
  for (const seq of bySeq.keys()) if (seq < count) present++;
  let listed = 0;
  for (let seq = 0; seq < count && listed < MAX_LISTED_MISSING; seq++) {
    if (bySeq.has(seq)) continue;
    listed++;
    problems.push({ kind: "missing", seq });
    for (const text of garbledBySeq.get(seq) ?? []) problems.push({ kind: "bad-checksum", text, seq });
  }
  if (count - present - listed > 0) problems.push({ kind: "missing-more", count: count - present - listed });
  if (end === null) problems.push({ kind: "no-end" });
  for (const seq of bySeq.keys()) if (end !== null && seq >= end) problems.push({ kind: "bad-line", seq, reason: `numbered past the END count ${end}` });
  if (problems.length) throw new ProbeReportError(problems, bySeq.size);

  const lines = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  try {
    return decode(lines, count);
  } catch (err) {
    if (err instanceof BadLine) throw new ProbeReportError([{ kind: "bad-line", seq: err.seq, reason: err.message }], bySeq.size);
    throw err;
  }
}

class BadLine extends Error {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super(message);
  }
}

function decode(lines: Line[], count: number): ProbeReport {
  const one = (key: string): Line => {
    const l = lines.find((x) => x.key === key);
    if (!l) throw new BadLine(-1, `no ${key} line`);
    return l;
  };
  const nums = (l: Line, n: number): number[] => {
    if (l.values.length !== n) throw new BadLine(l.seq, `${l.key} has ${l.values.length} values, not ${n}`);
    const i = l.values.findIndex((v) => v.length > MAX_VALUE_DIGITS);
    if (i >= 0) throw new BadLine(l.seq, `${l.key} value ${i} has ${l.values[i]!.length} hex digits, more than ${MAX_VALUE_DIGITS}`);
    return l.values.map((v) => parseInt(v, 16));
  };

  const [format, probeSize] = nums(one("PROBE"), 2) as [number, number];
  if (format !== PROBE_FORMAT) throw new BadLine(one("PROBE").seq, `report format ${format}; this parser reads ${PROBE_FORMAT}`);
  const [eip] = nums(one("EIP"), 1) as [number];
  const [eax, ebx, ecx, edx] = nums(one("GPRA"), 4) as [number, number, number, number];
  const [esi, edi, ebp, esp] = nums(one("GPRB"), 4) as [number, number, number, number];
  const [eflags] = nums(one("EFLAGS"), 1) as [number];
  const [cr0, cr3, cr4] = nums(one("CR"), 3) as [number, number, number];
  const table = (key: string) => {
    const [base, limit] = nums(one(key), 2) as [number, number];
    return { base, limit };
  };

  const faults: ProbeFault[] = lines
    .filter((l) => l.key === "FAULT")
    .map((l) => {
      const [phase, vector, feip, errorCode] = nums(l, 4) as [number, number, number, number];
      return { phase: PHASES[phase] ?? `phase ${phase}`, vector, eip: feip, errorCode };
    });
  const eferLine = lines.find((l) => l.key === "EFER");
  let efer: bigint | null = null;
  if (eferLine) {
    const [hi, lo] = nums(eferLine, 2) as [number, number];
    efer = (BigInt(hi) << 32n) | BigInt(lo);
  } else if (!faults.some((f) => f.phase === "EFER")) throw new BadLine(-1, "neither an EFER line nor a fault reading EFER");

  const segments = {} as Record<SegmentName, ProbeSegment>;
  for (const name of SEGMENT_NAMES) segments[name] = segmentOf(nums(one(name.toUpperCase()), 6) as Sixtuple);

  const memory = mergeMemory(lines.filter((l) => l.key === "MEM"));
  const read = (addr: bigint | number, len: number): Uint8Array | null => {
    const a = BigInt(addr);
    if (a < 0n || a + BigInt(len) > FOUR_GIB) return null;
    const at = Number(a);
    const r = memory.find((m) => at >= m.start && at + len <= m.start + m.bytes.length);
    return r ? r.bytes.subarray(at - r.start, at - r.start + len) : null;
  };
  const stringAt = (addr: bigint): ProbeString | null => {
    if (addr === 0n || addr >= FOUR_GIB) return null;
    const at = Number(addr);
    const r = memory.find((m) => at >= m.start && at < m.start + m.bytes.length);
    if (!r) return { at, bytes: new Uint8Array(0), terminated: false };
    const rest = r.bytes.subarray(at - r.start);
    const nul = rest.indexOf(0);
    return { at, bytes: (nul >= 0 ? rest.subarray(0, nul) : rest).slice(), terminated: nul >= 0 };
  };

  const si = codecs.startInfo();
  const head = read(ebx, si.size(0));
  let startInfo: ProbeReport["startInfo"] = null;
  let modlist: ModlistEntry[] = [];
  let memmap: MemmapEntry[] = [];
  let cmdline: ProbeString | null = null;
  let moduleCmdlines: (ProbeString | null)[] = [];
  if (head) {
    const known = Math.min(si.readVersion(head) ?? 0, 1);
    const full = read(ebx, si.size(known));
    const fields = full ? si.decode(full, 0, known) : si.decode(head, 0, 0);
    startInfo = { at: ebx, fields };
    const ml = codecs.modlistEntry();
    const n = Math.min(fields.nr_modules, MAX_ENTRIES);
    const mlBytes = n > 0 && fields.modlist_paddr !== 0n ? read(fields.modlist_paddr, n * ml.size()) : null;
    if (mlBytes) modlist = Array.from({ length: n }, (_, i) => ml.decode(mlBytes, i * ml.size()));
    const mm = codecs.memmapEntry();
    const m = Math.min(fields.memmap_entries ?? 0, MAX_ENTRIES);
    const mmBytes = m > 0 && fields.memmap_paddr ? read(fields.memmap_paddr, m * mm.size()) : null;
    if (mmBytes) memmap = Array.from({ length: m }, (_, i) => mm.decode(mmBytes, i * mm.size()));
    cmdline = stringAt(fields.cmdline_paddr);
    moduleCmdlines = modlist.map((e) => stringAt(e.cmdline_paddr));
  }

  const loads: ProbeLoad[] = lines
    .filter((l) => l.key === "LOAD")
    .map((l) => {
      const [index, addr, filesz, memsz, crc, nz] = nums(l, 6) as Sixtuple;
      return { index, addr, filesz, memsz, crc32: crc, firstNonZero: nz === 0xffffffff ? null : nz };
    });
  const modules: ProbeModule[] = lines
    .filter((l) => l.key === "MOD")
    .map((l) => {
      const [index, addr, size, status, crc] = nums(l, 5) as [number, number, number, number, number];
      const s = MODULE_STATUS[status];
      if (!s) throw new BadLine(l.seq, `unknown module status ${status}`);
      return { index, addr, size, status: s, crc32: s === "hashed" ? crc : null };
    });

  return {
    format, probeSize, eip,
    registers: { eax, ebx, ecx, edx, esi, edi, ebp, esp },
    eflags, cr0, cr3, cr4, efer,
    gdtr: table("GDTR"), idtr: table("IDTR"),
    segments, memory, startInfo, modlist, memmap, cmdline, moduleCmdlines, modules, loads, faults,
    lines: count,
  };
}

type Sixtuple = [number, number, number, number, number, number];

/**
 * Segment attributes sit in LAR's result where they sit in the descriptor's second
 * dword: type 11:8, S 12, DPL 14:13, P 15, AVL 20, L 21, D/B 22, G 23 (Intel SDM
 * Vol. 3A, 3.4.5 "Segment Descriptors", Figure 3-8; Vol. 2A, LAR).
 */
function attributes(bits: number): Omit<SegmentState, "selector" | "base" | "limit"> {
  return {
    type: (bits >>> 8) & 0xf,
    s: (bits >>> 12) & 1,
    dpl: (bits >>> 13) & 3,
    present: ((bits >>> 15) & 1) === 1,
    avl: (bits >>> 20) & 1,
    l: (bits >>> 21) & 1,
    db: (bits >>> 22) & 1,
    g: (bits >>> 23) & 1,
  };
}

const LAR_OK = 1;
const LSL_OK = 2;
const DESC_OK = 4;
/** LAR with a 32-bit operand returns the second descriptor dword ANDed with 00FxFF00H (Intel SDM Vol. 2A, LAR). */
const LAR_MASK = 0x00f0ff00;

function segmentOf([selector, ok, lar, lsl, lo, hi]: Sixtuple): ProbeSegment {
  const descriptor = ok & DESC_OK ? { lo, hi } : null;
  let state: SegmentState | null = null;
  if (descriptor) {
    // Base 31:24 | 23:16 | 15:0 and limit 19:16 | 15:0 (Intel SDM Vol. 3A, Figure 3-8).
    const base = ((hi & 0xff000000) | ((hi & 0xff) << 16) | (lo >>> 16)) >>> 0;
    const raw = (hi & 0xf0000) | (lo & 0xffff);
    const tableLimit = hi & (1 << 23) ? ((raw << 12) | 0xfff) >>> 0 : raw;
    state = {
      selector,
      base,
      limit: ok & LSL_OK ? lsl >>> 0 : tableLimit,
      ...attributes(ok & LAR_OK ? lar & LAR_MASK : hi),
    };
  }
  return { selector, lar: ok & LAR_OK ? (lar & LAR_MASK) >>> 0 : null, lsl: ok & LSL_OK ? lsl >>> 0 : null, descriptor, state };
}

function mergeMemory(mem: Line[]): { start: number; bytes: Uint8Array }[] {
  const pieces = mem
    .map((l) => {
      if (l.values.length !== 2 || l.values[0]!.length > MAX_VALUE_DIGITS || l.values[1]!.length % 2 !== 0) {
        throw new BadLine(l.seq, `MEM wants an address of at most ${MAX_VALUE_DIGITS} hex digits and whole bytes`);
      }
      return { start: parseInt(l.values[0]!, 16), bytes: new Uint8Array(Buffer.from(l.values[1]!, "hex")) };
    })
    .sort((a, b) => a.start - b.start);
  const out: { start: number; parts: Uint8Array[]; end: number }[] = [];
  for (const p of pieces) {
    const last = out.at(-1);
    const pend = p.start + p.bytes.length;
    if (last && p.start <= last.end) {
      // Overlapping dumps (a string's page that also holds start_info) are the same bytes: keep what is new.
      if (pend > last.end) {
        last.parts.push(p.bytes.subarray(last.end - p.start));
        last.end = pend;
      }
    } else out.push({ start: p.start, parts: [p.bytes], end: pend });
  }
  return out.map((r) => ({ start: r.start, bytes: new Uint8Array(Buffer.concat(r.parts)) }));
}
