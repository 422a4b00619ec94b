import fc from "fast-check";
import type { BootCase } from "../src/model/BootCase.js";
import type { Capabilities } from "../src/model/Capabilities.js";
import { bootCaseArb, type CaseOptions } from "./bootCaseArb.js";
import { malformedCaseArb } from "./malformedKernelArb.js";

/** The seed of case `index` of a run seeded with `seed`: each case replays from its own seed alone. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export interface GenerateOptions extends CaseOptions {
  /** Share of malformed kernels (0 to 1) for adapters that take them. Default 0.1. */
  malformedShare?: number;
}

const arbs = new WeakMap<Capabilities, Map<string, fc.Arbitrary<Omit<BootCase, "id" | "replay">>>>();

/** Arbitraries are built once per capability set: building them costs more than sampling. */
export function arbitraryFor(caps: Capabilities, malformed: boolean, version: 0 | 1 | undefined): fc.Arbitrary<Omit<BootCase, "id" | "replay">> {
  let m = arbs.get(caps);
  if (!m) arbs.set(caps, (m = new Map()));
  const key = `${malformed}/${version}`;
  let a = m.get(key);
  if (!a) {
    a = malformed ? malformedCaseArb(caps) : bootCaseArb(caps, version === undefined ? {} : { startInfoVersion: version });
    m.set(key, a);
  }
  return a;
}

/** Case `index` of the run seeded with `seed`, for an adapter with these capabilities. */
export function generateCase(caps: Capabilities, seed: number, index: number, opts: GenerateOptions = {}): BootCase {
  return { ...caseFromSeed(caps, caseSeed(seed, index), opts), replay: { seed, index, caseSeed: caseSeed(seed, index) } };
}

/** Whether a case seed stands for a malformed case (a share of them, for adapters that take them). */
export function isMalformedSeed(caps: Capabilities, s: number, opts: GenerateOptions = {}): boolean {
  const share = caps.malformed ? (opts.malformedShare ?? 0.1) : 0;
  return (s % 1000) / 1000 < share;
}

/** The case a case seed stands for: all a reproducer needs (with the adapter's capabilities). */
export function caseFromSeed(caps: Capabilities, s: number, opts: GenerateOptions = {}): BootCase {
  const malformed = isMalformedSeed(caps, s, opts);
  const arb = arbitraryFor(caps, malformed, opts.startInfoVersion);
  const [c] = fc.sample(arb, { seed: s, numRuns: 1 });
  return { ...c!, id: `c${s.toString(16).padStart(8, "0")}`, replay: { seed: s, index: 0, caseSeed: s } };
}
