import type { Adapter } from "../../../adapters/Adapter.js";
import { referenceAdapter } from "../../../adapters/reference/referenceAdapter.js";
import { mutants } from "../../../src/reference/mutants.js";
import { referenceLoad } from "../../../src/reference/referenceLoad.js";
import type { Results } from "../../../src/results/Results.js";
import { runSuite } from "../../../src/runner/runSuite.js";

/**
 * The reference loader broken by one mutant (src/reference/mutants.ts), under the
 * reference adapter's id with its own version string: what a loader's next release
 * that broke one thing looks like to compare.
 */
export function mutantAdapter(id: string): Adapter {
  const m = mutants.find((x) => x.id === id);
  if (!m) throw new Error(`no mutant ${id}`);
  return {
    ...referenceAdapter,
    runInfo: async () => ({ adapter: "reference", version: `0.1.0+mutant-${id}`, binary: null }),
    boot: async (c, variant) => referenceLoad(c, { ...m.options, ...(variant === "v0" ? { startInfoVersion: 0 as const } : {}), faults: m.faults }),
  };
}

/** A real run (generated cases through the loader, every check) as `run` makes it, in memory. */
export async function realRun(opts: { adapter?: Adapter; variants?: string[]; cases: number; seed: number; examples?: boolean }): Promise<Results> {
  return runSuite({
    selections: [{ adapter: opts.adapter ?? referenceAdapter, variants: opts.variants ?? ["v1"] }],
    cases: opts.cases,
    seed: opts.seed,
    examples: opts.examples ?? true,
    suiteVersion: "0.1.0",
    command: ["pvh-conformance", "run", "--adapter", "reference", "--cases", String(opts.cases), "--seed", String(opts.seed)],
  });
}
