import { join } from "node:path";
import { parseArgs } from "node:util";
import { mergeResults } from "../results/mergeResults.js";
import { readResults } from "../results/readResults.js";
import { EXIT, UsageError, type Io } from "./Io.js";
import { prepareOutDir } from "./outDir.js";
import { writeReports } from "./writeReports.js";

const HELP = `usage: pvh-conformance merge --out DIR DIR...

Joins the results.json of each DIR (the shards of one campaign: the same seed and
--cases, run with --shard I/N, every shard present) into --out DIR/results.json,
which equals what one unsharded run writes, and rebuilds every report from it:
junit.xml, matrix.html, allure-results/ and the Allure HTML report.

options:
  --out DIR       where the merged results and reports go
  --skip-allure   write allure-results/ but not the HTML report
  -h, --help      show this help

exit status: 0 when merged; 2 on a usage error or parts that do not belong
together (different seeds, overlapping or missing shards)
`;

export async function mergeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" }, "skip-allure": { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!values.out || positionals.length === 0) throw new UsageError("--out and at least one DIR are required");
  let merged;
  try {
    merged = mergeResults(positionals.map((d) => readResults(join(d, "results.json"))));
  } catch (err) {
    io.stderr.write(`pvh-conformance merge: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const out = prepareOutDir(values.out);
  const written = await writeReports(out, merged, { allureHtml: !values["skip-allure"], command: "merge" }, io);
  io.stdout.write(`merged ${positionals.length} part(s): ${merged.cases.length} cases, ${merged.records.length} records; wrote ${written.join(", ")}\n`);
  return EXIT.ok;
}
