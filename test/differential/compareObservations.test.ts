import { describe, expect, it } from "vitest";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import { compareObservations } from "../../src/differential/compareObservations.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { mutants } from "../../src/reference/mutants.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";
import { resultsValidator } from "../../src/results/writeResults.js";
import { runSuite } from "../../src/runner/runSuite.js";
import type { Adapter } from "../../adapters/Adapter.js";
import { divergencesFromReference } from "../../src/differential/divergencesFromReference.js";

const caps = referenceAdapter.capabilities("v1");
const SEED = 0x64696666;
const CASES = 60;
const seen = new Map<string, { applicable: number; diverged: number }>();
/** Mutants that change a field the comparison reads, at the least: 38 of 68 do (the others break memory maps, RSDPs, tails and layouts it does not compare). */
const FLOOR = 35;

/**
 * The differential suite blames every divergence on a requirement; the mutants are
 * loaders broken in known ways, so against each of them every divergence must name a
 * requirement whose check fails on the mutant's side. A divergence blamed on a
 * requirement that passes (or does not apply) would be reported without evidence.
 */
describe("compareObservations against the reference loader's mutants", () => {
  const cases: BootCase[] = Array.from({ length: CASES }, (_, i) => generateCase(caps, SEED, i));

  it("finds no divergence between the reference loader and itself", () => {
    for (const c of cases.slice(0, 10)) expect(compareObservations(c, referenceLoad(c), referenceLoad(c))).toEqual([]);
  });

  for (const m of mutants) {
    it(`${m.id}: every divergence names a requirement that fails on the mutant`, () => {
      const applicable = cases.filter((c) => (m.applies ? m.applies(c) : c.kernel.malformed === null));
      const unblamed: string[] = [];
      let diverged = 0;
      for (const c of applicable) {
        const mut = referenceLoad(c, { ...m.options, faults: m.faults });
        const r = divergencesFromReference(c, mut, judge(c, mut));
        if (!("divergences" in r)) throw new Error(`${c.id}: ${r.differentialError}`);
        const ds = r.divergences;
        if (ds.length > 0) diverged++;
        for (const d of ds) if (!d.explained) unblamed.push(`${c.id}: ${d.field} (reference ${d.reference}, mutant ${d.other}) blames ${d.requirement}, which did not fail`);
      }
      expect(unblamed).toEqual([]);
      seen.set(m.id, { applicable: applicable.length, diverged });
      // The test must see the mutants it is about: those that lose or miscount modules.
      if (m.id === "nr-modules-minus-one") expect(diverged).toBeGreaterThan(0);
    });
  }

  it("the comparison sees most mutants: a compareObservations that found nothing would fail here", () => {
    const diverging = [...seen].filter(([, s]) => s.diverged > 0).map(([id]) => id);
    console.info(`${diverging.length} of ${mutants.length} mutants diverge from the reference loader on a compared field`);
    expect(seen.size).toBe(mutants.length);
    expect(diverging.length).toBeGreaterThanOrEqual(FLOOR);
  });
});

describe("runSuite records each case's divergences from the reference loader", () => {
  const mutant = mutants.find((m) => m.id === "nr-modules-minus-one")!;
  const broken: Adapter = {
    ...referenceAdapter,
    id: "broken",
    description: `the reference loader with the ${mutant.id} mutant`,
    // Broken where the fault has an effect (cases with modules), a plain reference loader elsewhere.
    boot: async (c) => ({ ...referenceLoad(c, mutant.applies!(c) ? { ...mutant.options, faults: mutant.faults } : {}), adapter: "broken", variant: "v1" }),
  };
  const run = (differential?: boolean) =>
    runSuite({ selections: [{ adapter: broken, variants: ["v1"] }, { adapter: referenceAdapter, variants: ["v1"] }], cases: 40, seed: SEED, suiteVersion: "test", command: [], ...(differential === undefined ? {} : { differential }) });

  it("on the broken loader, blames the lost module and explains it by the failing check; none on the reference itself", async () => {
    const results = await run();
    const mine = results.cases.filter((c) => c.adapter === "broken");
    expect(mine.filter((c) => !Array.isArray(c.divergences)).map((c) => `${c.caseId} ${c.outcome} ${c.message}`)).toEqual([]);
    const withModules = mine.filter((c) => c.outcome === "entered" && c.divergences!.some((d) => d.field === "nr_modules"));
    expect(withModules.length).toBeGreaterThan(3);
    for (const c of withModules) expect(c.divergences!.find((d) => d.field === "nr_modules")).toMatchObject({ requirement: "pvh.modlist.count", explained: true });
    expect(mine.flatMap((c) => c.divergences!).filter((d) => !d.explained)).toEqual([]);
    expect(results.cases.filter((c) => c.adapter === "reference").some((c) => "divergences" in c)).toBe(false);
    // The published schema holds them.
    const validate = resultsValidator();
    expect(validate(JSON.parse(JSON.stringify(results))), JSON.stringify(validate.errors)).toBe(true);
  });

  it("records none when the differential is turned off", async () => {
    const results = await run(false);
    expect(results.cases.some((c) => "divergences" in c)).toBe(false);
  });
});

describe("a case the differential cannot compare", () => {
  it("keeps its verdicts and says why, and the run goes on", async () => {
    // An observation without guest memory: the comparison cannot read start_info.
    const odd: Adapter = {
      ...referenceAdapter,
      id: "odd",
      boot: async (c) => {
        const o = referenceLoad(c);
        return o.outcome === "entered" ? { ...o, adapter: "odd", memory: undefined } : { ...o, adapter: "odd" };
      },
    };
    const results = await runSuite({ selections: [{ adapter: odd, variants: ["v1"] }], cases: 8, seed: SEED, suiteVersion: "test", command: [] });
    const entered = results.cases.filter((c) => c.outcome === "entered");
    expect(entered.length).toBeGreaterThan(0);
    for (const c of entered) {
      expect(c.differentialError).toMatch(/TypeError/);
      expect(c.divergences).toBeUndefined();
    }
    expect(results.cases.filter((c) => c.outcome !== "entered").every((c) => Array.isArray(c.divergences))).toBe(true);
    expect(results.records.filter((r) => r.adapter === "odd")).toHaveLength(8 * new Set(results.records.map((r) => r.requirement)).size);
  });
});
