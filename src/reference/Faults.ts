import type { MemmapEntry, ModlistEntry, StartInfo } from "../abi/types.js";
import type { CpuState } from "../model/CpuState.js";
import type { SparseMemory } from "./SparseMemory.js";

export interface LoadPlan {
  /** Added to every p_paddr (0 when not relocated). */
  delta: number;
  startInfo: number;
  modlist: number;
  memmap: number;
  rsdp: number;
  cmdline: number;
  modules: number[];
}

/**
 * Hooks through which a mutant breaks exactly one thing in the reference loader.
 * The unmutated loader has none set. Each hook sees the loader's intermediate
 * values and may change them in place or return replacements.
 */
export interface Faults {
  /** Boot an image the loader would refuse (jumping to e_entry when it has no entry note). */
  acceptInvalid?: boolean;
  /** Refuse an image that is valid. */
  refuseValid?: boolean;
  /** Override the relocation decision: return the delta to use. */
  relocate?(delta: number, hasRelocNote: boolean, align: number): number;
  plan?(plan: LoadPlan, kernel: { start: number; end: number }): void;
  afterLoad?(memory: SparseMemory, segments: { paddr: number; filesz: number; memsz: number }[]): void;
  cmdline?(bytes: Uint8Array): Uint8Array;
  modules?(entries: ModlistEntry[], memory: SparseMemory): void;
  memmap?(entries: MemmapEntry[]): MemmapEntry[];
  startInfo?(si: StartInfo): void;
  rsdp?(bytes: Uint8Array): void;
  /** Keep boot data out of the memory map's reserved ranges (report it as RAM). */
  bootDataAsRam?: boolean;
  cpu?(cpu: CpuState): void;
}
