import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCampaign } from "../../fuzz/fuzzer.js";
import { TARGETS } from "../../fuzz/targets.js";

// Inputs that once made a fuzz target fail (an uncaught exception, a hang, memory past
// the cap), kept per target under test/fuzz-corpus/<target>/. Each is run by the
// fuzzer's executor (its time limit and memory cap included) and must be no finding.
const CORPUS = fileURLToPath(new URL("../fuzz-corpus", import.meta.url));
const dirs = existsSync(CORPUS) ? readdirSync(CORPUS).filter((d) => !d.startsWith(".")) : [];

describe("fuzz regression corpus", () => {
  it("names only fuzz targets, and every folder holds inputs", () => {
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) {
      expect(TARGETS[d], d).toBeDefined();
      expect(readdirSync(join(CORPUS, d)).filter((f) => f.endsWith(".bin")).length, d).toBeGreaterThan(0);
    }
  });

  for (const target of dirs) {
    it(`${target}: no input of the corpus is a finding`, async () => {
      const files = readdirSync(join(CORPUS, target)).filter((f) => f.endsWith(".bin")).sort();
      const inputs: Uint8Array[] = files.map((f) => new Uint8Array(readFileSync(join(CORPUS, target, f))));
      const s = await runCampaign({ target, targetSeeds: false, everyFinding: true, seeds: inputs, maxExecs: inputs.length, timeoutMs: 30_000, memoryCapBytes: 512 * 1024 * 1024 });
      expect(s.execs).toBe(inputs.length);
      expect(s.findings.map((f) => `${files[f.exec - 1] ?? "?"}: ${f.signature}: ${f.message.split("\n")[0]}`)).toEqual([]);
    }, 300_000);
  }
});
