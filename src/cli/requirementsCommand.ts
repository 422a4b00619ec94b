import { parseArgs } from "node:util";
import { loadSpec } from "../spec/loadSpec.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance requirements [--json] [--level must|should|interop] [--side loader|kernel]

Lists the requirement catalogue (spec/requirements.json).

exit status: 0; 2 on a usage error
`;

export async function requirementsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean" }, level: { type: "string" }, side: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const choose = (option: string, value: string | undefined, allowed: string[]): void => {
    if (value !== undefined && !allowed.includes(value)) throw new UsageError(`--${option} takes ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
  };
  choose("level", values.level, ["must", "should", "interop"]);
  choose("side", values.side, ["loader", "kernel"]);
  const reqs = loadSpec().requirements.requirements.filter(
    (r) => (!values.level || r.level === values.level) && (!values.side || r.side === values.side),
  );
  if (values.json) {
    io.stdout.write(JSON.stringify(reqs, null, 2) + "\n");
    return EXIT.ok;
  }
  const w = Math.max(...reqs.map((r) => r.id.length));
  // A withdrawn requirement keeps its id and its line, marked; one no check judges says so.
  const mark = (r: (typeof reqs)[number]): string => (r.status === "withdrawn" ? " [withdrawn]" : r.unchecked !== undefined ? " [no check]" : "");
  for (const r of reqs) io.stdout.write(`${r.id.padEnd(w)}  ${r.level.padEnd(7)} ${r.side.padEnd(6)} ${r.statement}${mark(r)}\n`);
  return EXIT.ok;
}
