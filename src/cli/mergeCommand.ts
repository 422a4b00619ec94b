import { join } from "node:path";
import { parseArgs } from "node:util";
import { mergeResults } from "../results/mergeResults.js";
import { readResults } from "../results/readResults.js";
import { writeResults } from "../results/writeResults.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance merge --out DIR DIR...

Joins the results.json of each DIR (the shards of one campaign: the same seed and
--cases, run with --shard I/N) into DIR/results.json, which equals what one
unsharded run writes. Reports are rebuilt from it.
`;

export async function mergeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!values.out || positionals.length === 0) throw new UsageError("--out and at least one DIR are required");
  try {
    const merged = mergeResults(positionals.map((d) => readResults(join(d, "results.json"))));
    const file = join(values.out, "results.json");
    writeResults(file, merged);
    io.stdout.write(`merged ${positionals.length} part(s): ${merged.cases.length} cases, ${merged.records.length} records into ${file}\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`pvh-conformance merge: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}
