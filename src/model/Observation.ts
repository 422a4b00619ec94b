import type { CpuState } from "./CpuState.js";
import type { GuestMemory } from "./GuestMemory.js";

export type Outcome = "entered" | "rejected" | "crashed" | "timeout";

/**
 * Everything a loader did with a case. Every adapter produces this same shape, so
 * the checks never know which adapter ran.
 */
export interface Observation {
  adapter: string;
  variant: string;
  outcome: Outcome;
  /** The loader's own words for a rejection, crash or timeout. */
  message?: string;
  /** Console or serial log, when the adapter has one. */
  log?: string;
  /** The exact command line that ran, for reproducers (absent for in-process loaders). */
  command?: string[];
  /**
   * The adapter's temporary folder that command's files were in (gone once the boot
   * ended): a reproducer points the command at its own copies instead. It holds the
   * kernel as kernel.elf and module i as module<i>.bin, the names a reproducer uses.
   */
  workDir?: string;
  /** Present when outcome is "entered". */
  cpu?: CpuState;
  /** Present when outcome is "entered". */
  memory?: GuestMemory;
  /** The guest's RAM as the adapter configured the machine (not as the loader reported it). */
  ram?: { start: number; end: number }[];
  /** Memory the guest can write, when the adapter knows it (else: ram, less the legacy ROM area). */
  writable?: { start: number; end: number }[];
  /**
   * Requirements this observation cannot decide, with the reason (a self-reporting
   * guest cannot see a segment's hidden cache, for instance): judge() makes them SKIP
   * instead of judging placeholders.
   */
  unjudgeable?: ReadonlyMap<string, string>;
}
