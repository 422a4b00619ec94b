import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveChildren } from "../../adapters/_internals/children.js";
import { adapters } from "../../adapters/registry.js";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import { declaredOptions } from "../../src/cli/adapterOptions.js";
import { main } from "../../src/cli/main.js";
import { inCI } from "../_support/requireTool.js";

// One contract, every adapter in the registry: what the CLI, the runner and the
// reports rely on, so that a new adapter is one folder and one registry line.
const scratch = mkdtempSync(join(tmpdir(), "pvh-contract-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const leftovers = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith("pvh-") && f.includes(`-${process.pid}-`));

describe("the adapter registry", () => {
  it("has unique ids, and options that run's parser can take without clashes", () => {
    const ids = adapters.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
    // The same check the CLI makes at start-up: a clash would make every run fail.
    expect(() => declaredOptions(adapters, new Set(["adapter", "variant", "cases", "seed", "out", "kernel"]))).not.toThrow();
  });

  it("lists every adapter option in run --help, with the adapters that read it", async () => {
    let out = "";
    await main(["run", "--help"], { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: () => true } });
    for (const a of adapters) for (const o of a.options ?? []) expect(out).toMatch(new RegExp(`--${o.flag} ${o.value.replace(/[|]/g, "\\|")}[\\s\\S]*?\\[[^\\]]*\\b${a.id}\\b`));
  });
});

for (const adapter of adapters) {
  describe(`adapter ${adapter.id}`, () => {
    it("declares variants, facets, options and cost consistently", () => {
      const variantIds = adapter.variants.map((v) => v.id);
      expect(new Set(variantIds).size).toBe(variantIds.length);
      expect(adapter.variants.some((v) => v.default)).toBe(true);
      for (const o of adapter.options ?? []) {
        expect(o.flag).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(o.help.length).toBeGreaterThan(10);
        // A facet option selects variants: every variant must say its value for it.
        if (o.facet) for (const v of adapter.variants) expect(v.facets?.[o.facet], `${v.id} has no ${o.facet} facet`).toBeTypeOf("string");
        for (const d of o.facetDefault ?? []) expect(adapter.variants.some((v) => v.facets?.[o.facet!] === d)).toBe(true);
      }
      expect(adapter.cost).toBeDefined();
      expect(adapter.cost!.runCases).toBeGreaterThan(0);
      expect(adapter.cost!.suiteCases).toBeGreaterThan(0);
    });

    it("boots a case generated from its capabilities, judges it without a harness error, and leaves nothing behind", async (ctx) => {
      if (adapter.testConfiguration) adapter.configure!(adapter.testConfiguration);
      const av = await adapter.available();
      if (!av.ok) {
        // Every registered adapter runs in CI: .ci/run installs or fetches what it needs.
        if (inCI) throw new Error(`CI: adapter ${adapter.id} is not available: ${av.reason}`);
        return ctx.skip(av.reason);
      }
      const info = await adapter.runInfo();
      expect(info.adapter).toBe(adapter.id);
      expect(info.version).not.toBe("");
      const variant = adapter.variants.find((v) => v.default)!.id;
      for (const v of adapter.variants) {
        const caps = adapter.capabilities(v.id);
        expect(caps.memory.min).toBeLessThanOrEqual(caps.memory.max);
        expect(caps.elfClasses.length).toBeGreaterThan(0);
      }
      const caps = adapter.capabilities(variant);
      // The first valid case it enters: a loader may refuse some valid cases (linux-loader every ELF32), which is a finding, not a contract breach.
      let c = generateCase(caps, 5, 0);
      let obs;
      for (let i = 1; ; i++) {
        if (!c.kernel.malformed) {
          obs = await adapter.boot(c, variant);
          expect(obs.adapter).toBe(adapter.id);
          expect(obs.variant).toBe(variant);
          if (obs.outcome === "entered" || i > 12) break;
        }
        c = generateCase(caps, 5, i);
      }
      expect(obs.outcome, obs.message).toBe("entered");
      const verdicts = judge(c, obs);
      expect(verdicts.filter((v) => v.status === "ERROR").map((v) => `${v.requirement}: ${v.message}`)).toEqual([]);
      expect(verdicts.some((v) => v.status === "PASS")).toBe(true);
      expect(liveChildren()).toBe(0);
      expect(leftovers()).toEqual([]);
      // Its reproducer, if it has one, is a shell script that names none of the files that are gone.
      const script = adapter.reproducer?.(c, obs);
      // The VMM's own command line, not how the suite wrapped it (spawnVmm's setpriv and shell).
      if (obs.command) expect(obs.command.slice(0, 3).join(" ")).not.toMatch(/setpriv|pdeathsig|\/bin\/sh/);
      if (script) {
        if (obs.workDir) expect(script.body).not.toContain(obs.workDir);
        expect(script.body).not.toMatch(/setpriv|pdeathsig/);
        const f = join(scratch, `${adapter.id}.sh`);
        writeFileSync(f, `HERE=/x\n${script.body}`);
        execFileSync("sh", ["-n", f]);
      } else expect(obs.command).toBeUndefined();
    }, 300_000);
  });
}
