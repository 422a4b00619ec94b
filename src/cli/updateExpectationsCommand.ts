import { parseArgs } from "node:util";
import { deriveExpectations } from "../expectations/deriveExpectations.js";
import { writeExpectations } from "../expectations/expectationsIo.js";
import { readResults } from "../results/readResults.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance update-expectations --results FILE --adapter ID --out FILE

Writes the known-deviation file that makes this results file pass the gate: one
entry per deviation seen, with the case tags that narrow it, the statuses allowed,
and a reason naming the evidence (counts, the loader's message, example cases).
`;

export async function updateExpectationsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { results: { type: "string" }, adapter: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!values.results || !values.adapter || !values.out) throw new UsageError("--results, --adapter and --out are required");
  try {
    const e = deriveExpectations(readResults(values.results), values.adapter);
    writeExpectations(values.out, e);
    io.stdout.write(`wrote ${values.out}: ${e.expectations.length} expectation(s) for ${e.adapter} (${e.version})\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`pvh-conformance update-expectations: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}
