import { parseArgs } from "node:util";
import { deriveExpectations, mergeExpectations } from "../expectations/deriveExpectations.js";
import { readExpectations, writeExpectations } from "../expectations/expectationsIo.js";
import { readResults } from "../results/readResults.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance update-expectations --results FILE --adapter ID --out FILE [--merge]

Writes the known-deviation file that makes this results file pass the gate: one
entry per deviation seen, with the case tags that narrow it, the statuses allowed,
and a reason naming the evidence (counts, the loader's message, example cases).

  --merge   keep the entries of FILE (--out) for variants this results file did not
            run, and replace those of the variants it ran (e.g. add KVM variants to
            a file made from TCG runs); the run is listed under mergedFrom
`;

export async function updateExpectationsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { results: { type: "string" }, adapter: { type: "string" }, out: { type: "string" }, merge: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!values.results || !values.adapter || !values.out) throw new UsageError("--results, --adapter and --out are required");
  try {
    const results = readResults(values.results);
    const fresh = deriveExpectations(results, values.adapter);
    const ran = results.run.adapters.find((a) => a.id === values.adapter)!.variants;
    const e = values.merge ? mergeExpectations(readExpectations(values.out), fresh, ran) : fresh;
    writeExpectations(values.out, e);
    io.stdout.write(`wrote ${values.out}: ${e.expectations.length} expectation(s) for ${e.adapter} (${e.version})\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`pvh-conformance update-expectations: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}
