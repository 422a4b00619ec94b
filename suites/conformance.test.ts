import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { bootCaseArb } from "../generators/bootCaseArb.js";
import { judge } from "../src/checks/judge.js";
import type { BootCase } from "../src/model/BootCase.js";
import type { CaseRecord, ResultRecord } from "../src/results/Results.js";
import { runSuite } from "../src/runner/runSuite.js";
import { loadSpec } from "../src/spec/loadSpec.js";
import { applyExpectations } from "../src/expectations/applyExpectations.js";
import { expectationsFor, unexpectedVerdicts } from "./_support/expected.js";
import { caseCountFor, seed, suiteTargets } from "./_support/selection.js";
import { annotateSuiteTest } from "../reports/allure/annotateSuiteTest.js";
import { attachSuiteFindings } from "../reports/allure/attachSuiteFindings.js";
import { BAD_STATUSES } from "../src/model/Verdict.js";

const targets = await suiteTargets();
const active = loadSpec().requirements.requirements.filter((r) => r.status === "active");
// A requirement the catalogue marks `unchecked` has no check (what it names cannot be observed): its test says so.
const requirements = active.filter((r) => r.unchecked === undefined);
const unchecked = active.filter((r) => r.unchecked !== undefined);
console.log(`conformance suites: seed ${seed}; cases per variant: ${targets.map((t) => `${t.adapter.id} ${caseCountFor(t.adapter.id)}`).join(", ")} (PVH_SEED, PVH_CASES)`);

for (const t of targets) {
  const caseCount = caseCountFor(t.adapter.id);
  for (const variant of t.variants) {
    describe.skipIf(t.skip !== undefined)(`${t.adapter.id}/${variant}${t.skip ? ` (skipped: ${t.skip})` : ""}`, () => {
      let byRequirement = new Map<string, ResultRecord[]>();
      let cases: CaseRecord[] = [];
      beforeAll(async () => {
        const results = await runSuite({ selections: [{ adapter: t.adapter, variants: [variant] }], cases: caseCount, seed, suiteVersion: "suite", command: [], concurrency: 2 });
        // Known deviations (expectations/<adapter>-<version>.yaml) are expected; anything else fails its test.
        const files = expectationsFor(t.adapter.id);
        if (files.length) applyExpectations(results, files);
        cases = results.cases;
        byRequirement = new Map();
        for (const r of results.records) {
          const list = byRequirement.get(r.requirement) ?? [];
          list.push(r);
          byRequirement.set(r.requirement, list);
        }
      }, 30 * 60_000);

      it.each(requirements.map((r) => [`${r.id} [${r.level}]`, r.id] as const))("%s", (_title, id) => {
        annotateSuiteTest({ adapter: t.adapter.id, variant, requirements: [id], kind: "requirement" });
        const recs = byRequirement.get(id) ?? [];
        expect(recs.length, `no verdicts for ${id}`).toBe(caseCount);
        const bad = recs.filter((r) => (r.expected !== undefined ? r.status !== r.expected : BAD_STATUSES.has(r.status)));
        const lines = bad.slice(0, 5).map((r) => `${r.caseId} ${r.status}${r.expected ? ` (expected ${r.expected})` : ""} ${r.code}: ${r.message}${r.evidence ? ` (expected ${r.evidence.expected}; seen ${r.evidence.seen})` : ""}`);
        attachSuiteFindings("unexpected verdicts", bad.map((r) => JSON.stringify(r)), `replay with: pvh-conformance run --adapter ${t.adapter.id} --variant ${variant} --seed ${seed} --case <index>`);
        expect(lines, `replay with: pvh-conformance run --adapter ${t.adapter.id} --variant ${variant} --seed ${seed} --case <index>`).toEqual([]);
      });

      it.each(unchecked.map((r) => [`${r.id} [${r.level}] has no check: ${r.unchecked}`, r.id] as const))("%s", (_title, id) => {
        expect(byRequirement.get(id) ?? [], `a check judges ${id}, which the catalogue marks unchecked`).toEqual([]);
      });

      // The reference loader is the other side of the comparison: no such test for it.
      if (t.adapter.id !== "reference") it("differential: every divergence from the reference loader is explained by a failing check", () => {
        annotateSuiteTest({ adapter: t.adapter.id, variant, kind: "differential" });
        // The run loaded every case with the reference loader too (runSuite's differential).
        expect(cases.filter((c) => c.differentialError).map((c) => `${c.caseId}: ${c.differentialError}`)).toEqual([]);
        expect(cases.every((c) => Array.isArray(c.divergences)), "cases without divergences recorded").toBe(true);
        const all = cases.flatMap((c) => c.divergences!.map((d) => ({ c, d })));
        attachSuiteFindings("divergences from the reference loader", all.map(({ c, d }) => `${c.caseId}: ${d.field}: reference ${d.reference}, ${t.adapter.id} ${d.other} (${d.requirement}${d.explained ? " failed" : " did not fail"})`));
        // An unexplained one is a check this suite lacks, or a fault in the reference loader.
        expect(all.filter(({ d }) => !d.explained).map(({ c, d }) => `${c.caseId}: ${d.field}: reference ${d.reference}, ${t.adapter.id} ${d.other}; ${d.requirement} did not fail`)).toEqual([]);
      });

      it("property: every generated valid case conforms (fast-check shrinks a failure to a minimal case)", async () => {
        annotateSuiteTest({ adapter: t.adapter.id, variant, kind: "property" });
        const caps = t.adapter.capabilities(variant);
        await fc.assert(
          fc.asyncProperty(bootCaseArb(caps), async (partial) => {
            const c: BootCase = { ...partial, id: "property", replay: { seed, index: 0, caseSeed: 0 } };
            const bad = unexpectedVerdicts(t.adapter.id, t.version, variant, c, judge(c, await t.adapter.boot(c, variant)));
            expect(bad.map((v) => `${v.requirement} ${v.status}: ${v.message}`)).toEqual([]);
          }),
          // xl boots a dom0 for each case given to boot() alone: the property gets few.
          { seed, numRuns: Math.min(caseCount, t.adapter.id === "reference" ? 100 : t.adapter.id === "xen" ? 8 : t.adapter.id === "xl" ? 2 : 40) },
        );
      }, 30 * 60_000);
    });
  }
}
