import { describe, expect, it } from "vitest";
import { examplesFor } from "../generators/examples.js";
import { malformedFamilies } from "../generators/malformedKernelArb.js";
import { judge } from "../src/checks/judge.js";
import { unexpectedVerdicts } from "./_support/expected.js";
import { suiteTargets } from "./_support/selection.js";
import { observer } from "./_support/observe.js";
import { annotateSuiteTest } from "../reports/allure/annotateSuiteTest.js";
import { attachSuiteFindings } from "../reports/allure/attachSuiteFindings.js";
import { BAD_STATUSES } from "../src/model/Verdict.js";


const targets = await suiteTargets();

for (const t of targets) {
  for (const variant of t.variants) {
    const caps = t.adapter.capabilities(variant);
    const examples = examplesFor(caps);
    const valid = examples.filter((c) => !c.kernel.malformed);
    const malformed = examples.filter((c) => c.kernel.malformed);
    // One machine for all the examples where the adapter boots batches (xl: one dom0).
    const observe = observer(t.adapter, variant, examples);
    // The first test of a batch waits for the whole batch.
    const timeout = t.adapter.bootBatch ? 30 * 60_000 : undefined;
    describe.skipIf(t.skip !== undefined)(`${t.adapter.id}/${variant}: boundary cases`, () => {
      it.each(valid.map((c) => [c.replay.example!, c] as const))("%s", async (_name, c) => {
        annotateSuiteTest({ adapter: t.adapter.id, variant, kind: "boundary", parameters: { example: c.replay.example! } });
        const obs = await observe(c);
        const verdicts = judge(c, obs);
        const bad = unexpectedVerdicts(t.adapter.id, t.version, variant, c, verdicts);
        attachSuiteFindings("unexpected verdicts", bad.map((v) => JSON.stringify(v)), `outcome ${obs.outcome}${obs.message ? `: ${obs.message}` : ""}`);
        expect(bad.map((v) => `${v.requirement} ${v.status}: ${v.message}`)).toEqual([]);
        // A refusal or crash must be a known deviation (then pvh.load.accept-valid says so); else it failed above.
        if (obs.outcome !== "entered") expect(verdicts.some((v) => BAD_STATUSES.has(v.status))).toBe(true);
      }, timeout);

      it.skipIf(!caps.malformed).each(malformed.map((c) => [c.kernel.malformed!, malformedFamilies[c.kernel.malformed!]!.requirement, c] as const))("malformed kernel %s (breaks %s) is refused, or its acceptance is a known deviation", async (_family, _req, c) => {
        annotateSuiteTest({ adapter: t.adapter.id, variant, kind: "malformed", requirements: [_req, "pvh.load.refuse-invalid"], parameters: { family: _family } });
        const obs = await observe(c);
        const verdicts = judge(c, obs);
        const v = verdicts.find((x) => x.requirement === "pvh.load.refuse-invalid");
        if (v?.status !== "PASS") expect(unexpectedVerdicts(t.adapter.id, t.version, variant, c, verdicts).map((x) => `${x.requirement} ${x.status}: ${x.message}`)).toEqual([]);
      }, timeout);
    });
  }
}
