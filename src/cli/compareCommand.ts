import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compareResults, type CompareSource } from "../compare/compareResults.js";
import { formatMarkdown } from "../compare/formatMarkdown.js";
import { formatCompare } from "../compare/printCompare.js";
import { readResults } from "../results/readResults.js";
import { EXIT, UsageError, type Io } from "./Io.js";
import { prepareOutDir } from "./outDir.js";

const HELP = `usage: pvh-conformance compare BASE HEAD [--json|--markdown] [--out DIR] [--label L...]
       pvh-conformance compare [--campaign] A B C... [--json|--markdown] [--out DIR] [--label L...]

Compares results.json files (each given as the file or the folder that holds it), the
oldest first: per requirement and adapter variant, what is fixed (bad before, good
now), regressed (bad now where it was not), still failing (with the evidence), and
new or gone (only one side ran the requirement or the variant). Adapters are matched
by id and variant, whatever their version (QEMU 7.2 and 10.0 are both "qemu"). Cases
are matched by case id where both runs have them (the same seed and case index, or
the same boundary example); where they do not (other seeds), by the requirement's
counts. FAIL, ERROR, CRASH and TIMEOUT are bad, whatever an expectations file said.

With more than two inputs (or --campaign) it is a campaign: one column per input,
each compared with the previous input that tested the same adapter.

options:
  --json          print the comparison as JSON (schema: spec/schema/compare.schema.json)
  --markdown      print a Markdown table per adapter, a column per input: each
                  requirement bad in some input with its most frequent reason, and
                  case-level CRASH/TIMEOUT in one row (for a README)
  --out DIR       also write DIR/compare.html (one self-contained page: a column per
                  input, a cell per requirement and variant listing its cases and
                  their replay commands) and DIR/compare.json
  --label L       name an input (repeat once per input, in order); default: the
                  tested adapters and versions from the run, e.g. "qemu 7.2.22"
  --campaign      lay out two inputs as a campaign
  -h, --help      show this help

exit status: 0 no regression; 1 something regressed; 2 usage or I/O error
`;

function resultsFile(arg: string): string {
  const p = resolve(arg);
  if (!existsSync(p)) throw new UsageError(`${arg}: no such file or folder`);
  if (statSync(p).isDirectory()) {
    const f = join(p, "results.json");
    if (!existsSync(f)) throw new UsageError(`${arg}: the folder holds no results.json`);
    return f;
  }
  return p;
}

export async function compareCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, markdown: { type: "boolean" }, out: { type: "string" }, label: { type: "string", multiple: true }, campaign: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (positionals.length < 2) throw new UsageError("give at least two results.json files (or folders holding one): BASE HEAD");
  if (values.label && values.label.length !== positionals.length) throw new UsageError(`--label given ${values.label.length} time(s) for ${positionals.length} inputs: name every input, in order`);
  const files = positionals.map(resultsFile);
  const out = values.out !== undefined ? prepareOutDir(values.out) : undefined;
  const sources: CompareSource[] = [];
  for (const [i, file] of files.entries()) {
    try {
      sources.push({ results: readResults(file), file, ...(values.label ? { label: values.label[i]! } : {}) });
    } catch (err) {
      io.stderr.write(`pvh-conformance compare: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
  }
  const doc = compareResults(sources, { campaign: values.campaign ?? false });
  if (values.json && values.markdown) throw new UsageError("--json and --markdown: choose one");
  if (values.json) io.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  else if (values.markdown) io.stdout.write(formatMarkdown(doc));
  else io.stdout.write(formatCompare(doc));
  if (out) {
    const { writeCompare } = await import("../../reports/compare/writeCompare.js");
    let written: string[];
    try {
      written = writeCompare(out, doc);
    } catch (err) {
      io.stderr.write(`pvh-conformance compare: cannot write ${out}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    (values.json || values.markdown ? io.stderr : io.stdout).write(`wrote ${written.join(", ")}\n`);
  }
  return doc.regressed ? EXIT.failed : EXIT.ok;
}
