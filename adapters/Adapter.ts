import type { BootCase } from "../src/model/BootCase.js";
import type { Capabilities } from "../src/model/Capabilities.js";
import type { Observation } from "../src/model/Observation.js";

export interface Variant {
  id: string;
  description: string;
  /** Run by default when no --variant is given. */
  default: boolean;
  /**
   * What the variant is made of, by facet ("machine": "q35", "accel": "kvm"): an
   * adapter option declared with that `facet` selects variants by it.
   */
  facets?: Readonly<Record<string, string>>;
}

export interface RunInfo {
  adapter: string;
  version: string;
  binary: string | null;
  details?: Record<string, string>;
}

export type Availability = { ok: true } | { ok: false; reason: string };

/**
 * A command-line option of `run` that an adapter declares for itself. The CLI knows
 * nothing of products: it adds each declared option to `run`'s parser and help, and
 * hands the value to every adapter that declared it (two adapters may share an
 * option, as the QEMU and Xen adapters share `--qemu`, when they declare it alike).
 */
export interface AdapterOption {
  /** The long flag without its dashes: "qemu-arg". */
  flag: string;
  /** The key the value reaches configure() under: "qemuArgs". */
  key: string;
  /** The value's name in the help text ("PATH"). */
  value: string;
  /** Given more than once (and comma-separated for a facet), the values form a list. */
  multiple?: boolean;
  /** Values may begin with "-" (`--qemu-arg -L`): the CLI reads the next word as the value whatever it is. */
  dashValues?: boolean;
  /** Help text, one sentence or two; wrapped by the CLI. */
  help: string;
  /** Selects variants by this facet of Variant.facets instead of reaching configure(). */
  facet?: string;
  /** With a facet: the values assumed when variants are filtered by another facet and this one is not given. */
  facetDefault?: readonly string[];
}

/**
 * What configure() receives: the values of the adapter's own options under their keys,
 * plus the run's generic settings. A key that is absent leaves the setting as it was;
 * an empty string resets it to the default.
 */
export interface AdapterOptions {
  bootTimeoutMs?: number;
  [key: string]: string | string[] | number | undefined;
}

/** How many cases an adapter runs by default, from what one boot costs. */
export interface AdapterCost {
  /** `run` without --cases: cases per variant. */
  runCases: number;
  /** The vitest suites without PVH_CASES: cases per variant. */
  suiteCases: number;
  /** About how long one boot takes here, in seconds (for estimates). */
  bootSeconds: number;
  /** How long one boot may take before it is a TIMEOUT, unless --boot-timeout says otherwise. */
  timeoutSeconds: number;
}

/** The part of repro/<case>/run.sh an adapter writes: the command, and the files it needs beside it. */
export interface ReproducerScript {
  /** Shell lines that replay the case (after the shared header, which sets $HERE to the folder). */
  body: string;
  /** Files to copy into the folder, by the name the body uses: { "xen.gz": "/cache/.../xen-4.20.gz" }. */
  copies?: Readonly<Record<string, string>>;
}

/** One case's observation from a batch: `index` is its place in the list given to bootBatch. */
export interface BatchObservation {
  index: number;
  observation: Observation;
}

/**
 * One implementation of the loader side under test. Each adapter folder exports one
 * of these; the registry lists them. An adapter is the only place that knows its
 * product: its options, variants, cost and reproducer. Adapters own process hygiene:
 * every child and temporary file is gone after boot() returns or throws.
 */
export interface Adapter {
  id: string;
  description: string;
  variants: readonly Variant[];
  /** Options of `run` that configure this adapter (beyond --boot-timeout). */
  options?: readonly AdapterOption[];
  /**
   * The options a test configures the adapter with when it cannot run without some
   * (the vmm adapter needs a descriptor): the contract test applies them.
   */
  testConfiguration?: AdapterOptions;
  /** Default case counts; an adapter without one gets the CLI's. */
  cost?: AdapterCost;
  capabilities(variant: string): Capabilities;
  /** Says why not before anything boots (missing binary, no /dev/kvm). */
  available(): Promise<Availability>;
  /** Whether one variant can run here (a KVM variant needs a KVM guest to start); default: yes. */
  variantAvailable?(variant: string): Promise<Availability>;
  /** Takes the values of its options; throws an Error whose message is for the user on a bad one. */
  configure?(opts: AdapterOptions): void;
  /** What runs; `variants`, when given, are those the run selected (an adapter whose variants are versions names those). */
  runInfo(variants?: readonly string[]): Promise<RunInfo>;
  boot(c: BootCase, variant: string): Promise<Observation>;
  /**
   * How to replay a case without the suite. Without it (an in-process loader), or when
   * it returns undefined, run.sh replays the case through the suite.
   */
  reproducer?(c: BootCase, obs: Observation): ReproducerScript | undefined;
  /**
   * Optional: boot many cases in one machine (the xl adapter boots one dom0 for a
   * batch), yielding each case's observation as it is known, in any order. The runner
   * uses it instead of boot() when present; every case given must be yielded once, or
   * the generator throws (the runner makes the rest harness errors).
   */
  bootBatch?(cases: readonly BootCase[], variant: string): AsyncIterable<BatchObservation>;
}
