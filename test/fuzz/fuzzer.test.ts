import { describe, expect, it } from "vitest";
import { runCampaign } from "../../fuzz/fuzzer.js";

// The fuzzer's own checks, on planted bugs (fuzz/toyTargets.ts). Each campaign has a
// fixed seed, so the executions it takes are the same on every run.
describe("the fuzzer", () => {
  it("finds a bug behind a four-byte comparison with coverage guidance, and not without it in the same budget", async () => {
    const budget = 3000; // seed 1 finds it at execution 2520
    const guided = await runCampaign({ target: "toy-compare", seed: 1, maxExecs: budget, stopOnFinding: true });
    expect(guided.findings.map((f) => f.kind)).toEqual(["exception"]);
    expect(guided.findings[0]!.message).toMatch(/planted bug/);
    expect(Buffer.from(guided.findings[0]!.input.subarray(0, 4)).toString("latin1")).toBe("FUZZ");
    expect(guided.execs).toBeLessThanOrEqual(budget);
    // One corpus entry per comparison passed, and the blocks of the four nested ifs seen.
    expect(guided.corpus).toBeGreaterThanOrEqual(4);
    const blind = await runCampaign({ target: "toy-compare", seed: 1, maxExecs: budget, stopOnFinding: true, guided: false });
    expect(blind.execs).toBe(budget);
    expect(blind.findings).toEqual([]);
  }, 180_000);

  it("reports an input that runs past the time limit as a hang, and goes on with a fresh executor", async () => {
    const s = await runCampaign({ target: "toy-hang", seed: 1, maxExecs: 200, timeoutMs: 1000, stopOnFinding: true, targetSeeds: false, seeds: [Uint8Array.of(0x48, 1, 2, 3), Uint8Array.of(0, 1)] });
    expect(s.findings.map((f) => [f.kind, f.input[0]])).toEqual([["hang", 0x48]]);
    expect(s.restarts).toBe(1);
  }, 60_000);

  it("reports an execution whose peak memory grows past the cap", async () => {
    const s = await runCampaign({ target: "toy-memory", seed: 1, maxExecs: 2, memoryCapBytes: 64 * 1024 * 1024, targetSeeds: false, seeds: [Uint8Array.of(0), Uint8Array.of(0x4d)] });
    expect(s.findings.map((f) => [f.kind, f.input[0], f.exec])).toEqual([["memory", 0x4d, 2]]);
  }, 60_000);
});
