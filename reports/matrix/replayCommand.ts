import type { CaseRecord } from "../../src/results/Results.js";

/** The command that regenerates and reruns one case from its seed alone. */
export function replayCommand(c: Pick<CaseRecord, "adapter" | "variant" | "replay">): string {
  return shellLine(["pvh-conformance", "run", "--adapter", c.adapter, "--variant", c.variant, "--seed", String(c.replay.seed), "--case", String(c.replay.index)]);
}

/** argv as one line a POSIX shell reads back into the same words, for copy and paste. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}
