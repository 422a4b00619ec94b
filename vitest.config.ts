import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// In CI a JSON report is written too, so .ci/run can print the plain
// "N passed, N failed" line that CI reads.
const ci = process.env["CI"] === "true";

// allure-vitest adds a result file per test and never removes old ones, so without this
// a report would mix every run since the folder was made. View: npx allure generate allure-results && npx allure open
const allureResults = fileURLToPath(new URL("./allure-results", import.meta.url));
rmSync(allureResults, { recursive: true, force: true });
const allure: [string, Record<string, unknown>] = ["allure-vitest/reporter", { resultsDir: allureResults }];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "suites/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ci ? ["default", ["json", { outputFile: ".ci-output/vitest.json" }], allure] : ["default", allure],
  },
});
