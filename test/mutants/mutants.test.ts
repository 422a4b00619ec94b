import { describe, expect, it } from "vitest";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import type { BootCase } from "../../src/model/BootCase.js";
import type { Capabilities } from "../../src/model/Capabilities.js";
import { BAD_STATUSES, type Verdict } from "../../src/model/Verdict.js";
import { mutants, type Mutant } from "../../src/reference/mutants.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { loadSpec } from "../../src/spec/loadSpec.js";

/** What the reference adapter can express, so the mutants meet every shape of case it would. */
const caps: Capabilities = referenceAdapter.capabilities("v1");

const SEED = 0x6d757431;
/** Cases drawn before a mutant is declared too narrow to test. */
const MAX_TRIES = 500;
const WANT = 10;
const MIN = 5;

const pool: BootCase[] = [];
function caseAt(i: number): BootCase {
  while (pool.length <= i) pool.push(generateCase(caps, SEED, pool.length));
  return pool[i]!;
}

const chosen = new Map<string, BootCase[]>();
/** The first cases of the fixed-seed run the mutant's fault has an effect on. */
function casesFor(m: Mutant): BootCase[] {
  let out = chosen.get(m.id);
  if (out) return out;
  out = [];
  for (let i = 0; i < MAX_TRIES && out.length < WANT; i++) {
    const c = caseAt(i);
    if (m.applies ? m.applies(c) : c.kernel.malformed === null) out.push(c);
  }
  chosen.set(m.id, out);
  return out;
}

const where = (c: BootCase): string => `${c.id} (seed ${c.replay.seed}, index ${c.replay.index}, caseSeed ${c.replay.caseSeed})`;
const show = (v: Verdict | undefined): string => (v ? `${v.status} ${v.code}: ${v.message.slice(0, 300)}` : "no verdict");

describe("mutant catalogue", () => {
  const spec = loadSpec().requirements.requirements;
  const ids = new Set(spec.map((r) => r.id));

  it("has at least 30 mutants with unique ids", () => {
    expect(mutants.length).toBeGreaterThanOrEqual(30);
    const seen = new Set<string>();
    const dup = mutants.map((m) => m.id).filter((id) => seen.size === seen.add(id).size);
    expect(dup).toEqual([]);
  });

  it("names only loader-side requirements of the catalogue", () => {
    const wrong = mutants.filter((m) => !ids.has(m.breaks) || spec.find((r) => r.id === m.breaks)!.side !== "loader");
    expect(wrong.map((m) => `${m.id}: ${m.breaks}`)).toEqual([]);
  });

  it("breaks every loader-side must requirement with some mutant", () => {
    const broken = new Set(mutants.map((m) => m.breaks));
    // A requirement no check judges (unchecked: its state cannot be observed) has no mutant to catch.
    const unbroken = spec.filter((r) => r.side === "loader" && r.level === "must" && r.status === "active" && r.unchecked === undefined && !broken.has(r.id)).map((r) => r.id);
    expect(unbroken).toEqual([]);
  });
});

describe("each mutant is caught by its requirement's check", () => {
  for (const m of mutants) {
    it(`${m.id} breaks ${m.breaks}`, () => {
      const cases = casesFor(m);
      expect(cases.length, `only ${cases.length} of the first ${MAX_TRIES} cases of seed ${SEED} are applicable to ${m.id}; need ${MIN}`).toBeGreaterThanOrEqual(MIN);
      const missed: string[] = [];
      for (const c of cases) {
        const v = judge(c, referenceLoad(c, { ...m.options, faults: m.faults })).find((x) => x.requirement === m.breaks);
        if (v?.status !== "FAIL") missed.push(`${where(c)}: ${show(v)}`);
      }
      expect(missed, `${m.breaks} did not FAIL under ${m.id} (${m.description})`).toEqual([]);
    });
  }
});

describe("the unmutated loader", () => {
  for (const m of mutants) {
    // Same cases and options as the mutant: the FAIL must come from the fault alone.
    it(`passes ${m.id}'s cases with its options`, () => {
      const bad: string[] = [];
      for (const c of casesFor(m)) {
        for (const v of judge(c, referenceLoad(c, { ...m.options }))) {
          if (BAD_STATUSES.has(v.status)) bad.push(`${where(c)} ${v.requirement}: ${show(v)}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
