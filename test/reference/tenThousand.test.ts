import { describe, expect, it } from "vitest";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { runSuite } from "../../src/runner/runSuite.js";
import { checkedRequirements } from "../../src/checks/judge.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import { BAD_STATUSES } from "../../src/model/Verdict.js";


describe("the unmutated reference loader", () => {
  it("has zero failures over 10,000 generated cases (seed 1), and every must requirement is exercised", async () => {
    const results = await runSuite({
      selections: [{ adapter: referenceAdapter, variants: ["v1"] }],
      cases: 10_000,
      seed: 1,
      suiteVersion: "test",
      command: [],
    });
    const bad = results.records.filter((r) => BAD_STATUSES.has(r.status));
    expect(bad.slice(0, 5).map((r) => `${r.caseId} ${r.requirement} ${r.status}: ${r.message}`)).toEqual([]);
    // Every "must" requirement got a verdict other than SKIP on some case.
    const ran = new Set(results.records.filter((r) => r.status !== "SKIP").map((r) => r.requirement));
    const must = loadSpec().requirements.requirements.filter((r) => r.level === "must" && r.status === "active" && r.unchecked === undefined).map((r) => r.id);
    expect(must.filter((id) => !ran.has(id))).toEqual([]);
    // The generator reached the shapes the issue asks for.
    const summaries = results.cases.map((c) => c.summary).join("\n");
    for (const shape of ["ELF32", "ELF64", "PHYS32_RELOC", "8 module(s)", "no cmdline", "malformed kernel"]) expect(summaries).toContain(shape);
  }, 300_000);

  it("v0 and v1-reloc variants pass their own checks too (v0 fails only the interop need for a memory map)", async () => {
    const results = await runSuite({
      selections: [{ adapter: referenceAdapter, variants: ["v0", "v1-reloc"] }],
      cases: 500,
      seed: 2,
      suiteVersion: "test",
      command: [],
    });
    const bad = results.records.filter((r) => BAD_STATUSES.has(r.status));
    expect([...new Set(bad.map((r) => `${r.variant} ${r.requirement}`))]).toEqual(["v0 pvh.interop.version-1"]);
    const relocated = results.records.filter((r) => r.variant === "v1-reloc" && r.requirement === "pvh.load.reloc-constraints" && r.status === "PASS");
    expect(relocated.length).toBeGreaterThan(20);
  }, 120_000);
});

describe("check coverage", () => {
  it("every must requirement of the catalogue has a check", () => {
    const checked = checkedRequirements();
    const must = loadSpec().requirements.requirements.filter((r) => r.level === "must" && r.status === "active");
    // A requirement whose state no adapter can observe says so (unchecked), and then has no check.
    expect(must.filter((r) => r.unchecked === undefined && !checked.has(r.id)).map((r) => r.id)).toEqual([]);
    expect(must.filter((r) => r.unchecked !== undefined && checked.has(r.id)).map((r) => r.id)).toEqual([]);
  });

  it("every check names a requirement of the catalogue", () => {
    const ids = new Set(loadSpec().requirements.requirements.filter((r) => r.status === "active").map((r) => r.id));
    expect([...checkedRequirements()].filter((id) => !ids.has(id))).toEqual([]);
  });
});
