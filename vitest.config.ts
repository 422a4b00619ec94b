import { defineConfig } from "vitest/config";

// In CI a JSON report is written too, so .ci/run can print the plain
// "N passed, N failed" line that CI reads.
const ci = process.env["CI"] === "true";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "suites/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ci ? ["default", ["json", { outputFile: ".ci-output/vitest.json" }]] : ["default"],
  },
});
