import { describe, expect, it } from "vitest";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import { compareObservations } from "../../src/differential/compareObservations.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { mutants } from "../../src/reference/mutants.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";

const caps = referenceAdapter.capabilities("v1");
const SEED = 0x64696666;
const CASES = 60;
const BAD = new Set(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);

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
        const ref = referenceLoad(c);
        const mut = referenceLoad(c, { ...m.options, faults: m.faults });
        const failing = new Set(judge(c, mut).filter((v) => BAD.has(v.status)).map((v) => v.requirement));
        const ds = compareObservations(c, ref, mut);
        if (ds.length > 0) diverged++;
        for (const d of ds) if (!failing.has(d.requirement)) unblamed.push(`${c.id}: ${d.field} (reference ${d.reference}, mutant ${d.other}) blames ${d.requirement}, which did not fail`);
      }
      expect(unblamed).toEqual([]);
      // The test must see the mutants it is about: those that lose or miscount modules.
      if (m.id === "nr-modules-minus-one") expect(diverged).toBeGreaterThan(0);
    });
  }
});
