import type { BootCase } from "../src/model/BootCase.js";
import type { Capabilities } from "../src/model/Capabilities.js";
import type { Observation } from "../src/model/Observation.js";

export interface Variant {
  id: string;
  description: string;
  /** Run by default when no --variant is given. */
  default: boolean;
}

export interface RunInfo {
  adapter: string;
  version: string;
  binary: string | null;
  details?: Record<string, string>;
}

export type Availability = { ok: true } | { ok: false; reason: string };

/** Settings a user passes on the command line (--qemu PATH, --qemu-arg ARG, ...). */
export interface AdapterOptions {
  qemu?: string;
  qemuArgs?: string[];
  /** A Debian Xen release ("4.20", "4.17": fetched into the cache), or the path of a hypervisor image (ELF, gunzipped). */
  xen?: string;
  bootTimeoutMs?: number;
}

/** One case's observation from a batch: `index` is its place in the list given to bootBatch. */
export interface BatchObservation {
  index: number;
  observation: Observation;
}

/**
 * One implementation of the loader side under test. Each adapter folder exports one
 * of these; the registry lists them. Adapters own process hygiene: every child and
 * temporary file is gone after boot() returns or throws.
 */
export interface Adapter {
  id: string;
  description: string;
  variants: readonly Variant[];
  capabilities(variant: string): Capabilities;
  /** Says why not before anything boots (missing binary, no /dev/kvm). */
  available(): Promise<Availability>;
  /** Whether one variant can run here (a KVM variant needs a KVM guest to start); default: yes. */
  variantAvailable?(variant: string): Promise<Availability>;
  configure?(opts: AdapterOptions): void;
  /** What runs; `variants`, when given, are those the run selected (an adapter whose variants are versions names those). */
  runInfo(variants?: readonly string[]): Promise<RunInfo>;
  boot(c: BootCase, variant: string): Promise<Observation>;
  /**
   * Optional: boot many cases in one machine (the xl adapter boots one dom0 for a
   * batch), yielding each case's observation as it is known, in any order. The runner
   * uses it instead of boot() when present; every case given must be yielded once, or
   * the generator throws (the runner makes the rest harness errors).
   */
  bootBatch?(cases: readonly BootCase[], variant: string): AsyncIterable<BatchObservation>;
}
