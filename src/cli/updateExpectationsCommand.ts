import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { carryAnnotations } from "../expectations/carryAnnotations.js";
import { accumulateExpectations, deriveExpectations, mergeExpectations, withoutWithdrawn } from "../expectations/deriveExpectations.js";
import { readExpectations, writeExpectations } from "../expectations/expectationsIo.js";
import { readResults } from "../results/readResults.js";
import { loadSpec } from "../spec/loadSpec.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance update-expectations --results FILE --adapter ID --out FILE [--merge] [--accumulate]

Writes the known-deviation file that makes this results file pass the gate: one
entry per deviation seen, with the case tags that narrow it, the statuses allowed,
and a reason naming the evidence (counts, the loader's message, example cases).
When FILE exists, an entry's "note" and "link" (a person's explanation and a bug
link, written into the file) are kept on the entry that continues it; one that no
longer has a counterpart is named on stderr.

  --merge   keep the entries of FILE (--out) for variants this results file did not
            run, and replace those of the variants it ran (e.g. add KVM variants to
            a file made from TCG runs); the run is listed under mergedFrom

  --accumulate  keep FILE's entries for the variants this results file ran too, beside
            the fresh ones: for a loader whose failures vary from run to run (QEMU's
            ASLR-dependent crashes land on other cases each time, so the case tags
            that narrow them differ), a deviation any campaign saw stays known

Entries of requirements the catalogue has withdrawn are left out (and named on
stderr), whichever run they came from: no record can match them any more.
`;

export async function updateExpectationsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { results: { type: "string" }, adapter: { type: "string" }, out: { type: "string" }, merge: { type: "boolean" }, accumulate: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!values.results || !values.adapter || !values.out) throw new UsageError("--results, --adapter and --out are required");
  try {
    const results = readResults(values.results);
    const derived = deriveExpectations(results, values.adapter);
    const ran = results.run.adapters.find((a) => a.id === values.adapter)!.variants;
    const previous = existsSync(values.out) ? readExpectations(values.out) : undefined;
    if ((values.merge || values.accumulate) && !previous) throw new Error(`--${values.merge ? "merge" : "accumulate"}: ${values.out} does not exist yet`);
    const fresh = values.accumulate ? accumulateExpectations(previous!, derived, ran) : derived;
    // Notes and bug links written into the file being replaced move to the entries that continue theirs.
    const { file: e, dropped } = carryAnnotations(values.merge ? mergeExpectations(previous!, fresh, ran) : fresh, previous);
    // Entries of requirements the catalogue withdrew (kept by --merge from other variants, or
    // derived from a results file of an older catalogue) can match nothing: they go, named.
    const { file: written, withdrawn } = withoutWithdrawn(e, loadSpec().requirements.requirements);
    writeExpectations(values.out, written);
    for (const w of withdrawn) io.stderr.write(`note: ${w.requirement} is withdrawn from the catalogue; its entry for ${w.variants.join(",")}${w.when.length ? ` when ${w.when.join(",")}` : ""} was left out\n`);
    for (const d of dropped) io.stderr.write(`note: the deviation ${d.requirement} on ${d.variants.join(",")}${d.when.length ? ` when ${d.when.join(",")}` : ""} is no longer seen; its ${[d.note !== undefined ? `note (${JSON.stringify(d.note)})` : "", d.link ? `link ${d.link}` : ""].filter(Boolean).join(" and ")} went with it\n`);
    io.stdout.write(`wrote ${values.out}: ${written.expectations.length} expectation(s) for ${written.adapter} (${written.version})\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`pvh-conformance update-expectations: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}
