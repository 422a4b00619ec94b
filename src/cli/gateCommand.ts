import { parseArgs } from "node:util";
import { applyExpectations, type GateReport } from "../expectations/applyExpectations.js";
import { readExpectations } from "../expectations/expectationsIo.js";
import { readResults } from "../results/readResults.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance gate --results FILE --expectations FILE [--expectations FILE...]

Compares a results.json with known-deviation files (expectations/<adapter>-<version>.yaml)
and prints what changed: records that fail where no expectation allows it (new
deviations) and records that pass where an expectation demands a deviation (fixed,
or the expectations are stale).

exit status: 0 nothing unexpected; 1 something unexpected; 2 usage or I/O error
`;

export function printGate(report: GateReport, io: Io): void {
  const line = (r: GateReport["unexpectedBad"][number]): string => `  ${r.adapter}/${r.variant} ${r.caseId} ${r.requirement}: ${r.status} (expected ${r.expected}) ${r.message.split("\n")[0]!.slice(0, 160)}`;
  if (report.unexpectedBad.length) {
    io.stdout.write(`\nnew deviations (${report.unexpectedBad.length} records):\n${report.unexpectedBad.slice(0, 30).map(line).join("\n")}\n`);
    if (report.unexpectedBad.length > 30) io.stdout.write(`  ... and ${report.unexpectedBad.length - 30} more in results.json (records whose expected differs from status)\n`);
  }
  if (report.unexpectedPass.length) {
    io.stdout.write(`\nunexpected passes (${report.unexpectedPass.length} records):\n${report.unexpectedPass.slice(0, 30).map(line).join("\n")}\n`);
  }
  for (const a of report.noFileForVersion) io.stdout.write(`\nno expectations file given is for ${a}: every deviation of it counts as new (make one with update-expectations)\n`);
  io.stdout.write(`\ngate: ${report.unexpectedBad.length} new deviation(s), ${report.unexpectedPass.length} unexpected pass(es), ${report.expectedBad} expected deviation(s)${report.unused.length ? `, ${report.unused.length} expectation(s) matched nothing` : ""}\n`);
}

export async function gateCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { results: { type: "string" }, expectations: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!values.results || !values.expectations?.length) throw new UsageError("--results and --expectations are required");
  let report;
  try {
    const results = readResults(values.results);
    report = applyExpectations(results, values.expectations.map(readExpectations));
  } catch (err) {
    io.stderr.write(`pvh-conformance gate: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  printGate(report, io);
  return report.unexpectedBad.length + report.unexpectedPass.length > 0 ? EXIT.failed : EXIT.ok;
}
