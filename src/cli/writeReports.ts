import { join } from "node:path";
import { generateAllureHtml } from "../../reports/allure/generateAllureHtml.js";
import { writeAllureResults } from "../../reports/allure/writeAllureResults.js";
import { writeJunit } from "../../reports/junit/writeJunit.js";
import { writeMatrix } from "../../reports/matrix/writeMatrix.js";
import type { Results } from "../results/Results.js";
import { writeResults } from "../results/writeResults.js";
import type { Io } from "./Io.js";

/**
 * results.json into `out`, then every report as a view of it: junit.xml, matrix.html,
 * allure-results/ and, unless skipped, the offline Allure HTML report. Returns the
 * names written, for the closing line.
 */
export async function writeReports(out: string, results: Results, opts: { allureHtml: boolean; command: string }, io: Io): Promise<string[]> {
  writeResults(join(out, "results.json"), results);
  writeJunit(join(out, "junit.xml"), results);
  writeMatrix(join(out, "matrix.html"), results);
  writeAllureResults(results, join(out, "allure-results"));
  const written = [join(out, "results.json"), "junit.xml", "matrix.html", "allure-results/"];
  if (opts.allureHtml) {
    try {
      await generateAllureHtml({ resultsDirs: join(out, "allure-results"), outDir: join(out, "allure-report"), singleFile: true });
      written.push("allure-report/index.html");
    } catch (err) {
      io.stderr.write(`pvh-conformance ${opts.command}: the Allure HTML report was not made: ${(err as Error).message}\n`);
    }
  }
  return written;
}
