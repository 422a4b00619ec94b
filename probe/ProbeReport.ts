import type { MemmapEntry, ModlistEntry, StartInfo } from "../src/abi/types.js";
import type { SegmentName, SegmentState, TableRegister } from "../src/model/CpuState.js";

/** What the probe learnt about one segment register, all of it from the descriptor tables. */
export interface ProbeSegment {
  selector: number;
  /** LAR's access rights (masked to 0x00f0ff00), or null when LAR refused the selector. */
  lar: number | null;
  /** LSL's byte-granular limit, or null when LSL refused the selector. */
  lsl: number | null;
  /** The 8-byte descriptor the selector names in the GDT (or LDT), or null (null selector, past the table's limit). */
  descriptor: { lo: number; hi: number } | null;
  /**
   * Decoded for CpuState: attributes from LAR (else the descriptor), limit from LSL
   * (else the descriptor), base from the descriptor. Null when the table has no
   * descriptor for the selector. The table, not the CPU's hidden cache: see README.
   */
  state: SegmentState | null;
}

/** A string start_info points at, from the bytes the probe printed. */
export interface ProbeString {
  at: number;
  bytes: Uint8Array;
  /** A NUL followed within the bytes the probe printed. */
  terminated: boolean;
}

/** A LOAD line: one of the image's segments as the probe found it in memory. */
export interface ProbeLoad {
  index: number;
  addr: number;
  filesz: number;
  memsz: number;
  /** CRC-32 of the filesz bytes (the probe's own scratch counted as the zeros it was). */
  crc32: number;
  /** Offset of the first non-zero byte of the memsz - filesz tail, or null when all zero. */
  firstNonZero: number | null;
}

/** A MOD line. Status: hashed; beyond what a 32-bit guest without paging reaches; larger than the probe hashes. */
export interface ProbeModule {
  index: number;
  addr: number;
  size: number;
  status: "hashed" | "above-4g" | "too-large";
  /** Present when hashed. */
  crc32: number | null;
}

export interface ProbeFault {
  /** The report phase the exception ended (README: EFER, BOOTDATA, LOADS, MODULES). */
  phase: string;
  vector: number;
  eip: number;
  errorCode: number;
}

/** One complete, verified probe report. */
export interface ProbeReport {
  format: number;
  probeSize: number;
  eip: number;
  registers: { eax: number; ebx: number; ecx: number; edx: number; esi: number; edi: number; ebp: number; esp: number };
  eflags: number;
  cr0: number;
  cr3: number;
  cr4: number;
  /** EFER, or null when rdmsr faulted (see faults). */
  efer: bigint | null;
  gdtr: TableRegister;
  idtr: TableRegister;
  segments: Record<SegmentName, ProbeSegment>;
  /** Every byte the probe printed, merged into ranges. */
  memory: { start: number; bytes: Uint8Array }[];
  /** start_info decoded from the printed bytes at EBX (the fields of its version, up to 1). */
  startInfo: { at: number; fields: StartInfo } | null;
  modlist: ModlistEntry[];
  memmap: MemmapEntry[];
  cmdline: ProbeString | null;
  moduleCmdlines: (ProbeString | null)[];
  modules: ProbeModule[];
  loads: ProbeLoad[];
  faults: ProbeFault[];
  /** Numbered lines (the END line's count). */
  lines: number;
}
