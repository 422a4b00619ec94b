// Cases per second through the reference loader and every check, on one core.
// Prints the figures and their ratio to the goal (2,000 cases/s); a benchmark, not a test.
import { referenceAdapter } from "../adapters/reference/referenceAdapter.js";
import { generateCase } from "../generators/generateCase.js";
import { judge } from "../src/checks/judge.js";
import type { BootCase } from "../src/model/BootCase.js";

const N = Number(process.env["BENCH_CASES"] ?? 3000);
const SEED = 2026;
const GOAL = 2000;
const caps = referenceAdapter.capabilities("v1");

// Warm up the JIT and the spec caches before timing anything.
for (let i = 0; i < 200; i++) {
  const c = generateCase(caps, SEED + 1, i);
  judge(c, await referenceAdapter.boot(c, "v1"));
}

let t = performance.now();
const cases: BootCase[] = [];
for (let i = 0; i < N; i++) cases.push(generateCase(caps, SEED, i));
const genMs = performance.now() - t;

t = performance.now();
let verdicts = 0;
for (const c of cases) verdicts += judge(c, await referenceAdapter.boot(c, "v1")).length;
const runMs = performance.now() - t;

const rate = (ms: number): number => (N / ms) * 1000;
const bytes = cases.reduce((a, c) => a + c.kernelImage.length + c.modules.reduce((b, m) => b + m.size, 0), 0);
console.log(`cases:                         ${N} (seed ${SEED}), ${(bytes / N / 1024).toFixed(0)} KiB of kernel and modules per case on average`);
console.log(`generate:                      ${rate(genMs).toFixed(0)} cases/s`);
console.log(`reference loader + all checks: ${rate(runMs).toFixed(0)} cases/s (${verdicts} verdicts)  ratio to goal ${(rate(runMs) / GOAL).toFixed(2)}x`);
console.log(`end to end (generate too):     ${rate(genMs + runMs).toFixed(0)} cases/s  ratio to goal ${(rate(genMs + runMs) / GOAL).toFixed(2)}x`);
