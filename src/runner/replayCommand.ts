import { shellLine } from "../_internals/shellQuote.js";
import type { BootCase } from "../model/BootCase.js";
import type { CaseRecord } from "../results/Results.js";

/**
 * The command that runs one case again: a generated case from the seed and its index,
 * a boundary example by name, a user's kernel (run --kernel) from its files with the
 * same command line, module and memory; with the adapter's own options as given
 * (`--xen 4.17`, `--vmm FILE`), without which another loader would run.
 */
export function replayCommand(adapter: string, variant: string, seed: number, c: Pick<BootCase, "replay" | "cmdline" | "memoryBytes" | "userFiles">, adapterArgs: readonly string[] = []): string {
  const base = ["pvh-conformance", "run", "--adapter", adapter, "--variant", variant, ...adapterArgs];
  const files = c.userFiles ?? (c.replay.example?.startsWith("kernel:") ? { kernel: c.replay.example.slice("kernel:".length) } : undefined);
  if (files) {
    return shellLine([
      ...base,
      "--kernel", files.kernel,
      ...(c.cmdline !== null ? ["--append", c.cmdline] : []),
      ...(files.initrd ? ["--initrd", files.initrd] : []),
      "--memory", String(Math.round(c.memoryBytes / 2 ** 20)),
    ]);
  }
  const ex = c.replay.example;
  return shellLine([...base, "--seed", String(seed), "--case", ex !== undefined ? `example:${ex}` : String(c.replay.index)]);
}

/**
 * A results.json case's replay command: the one the run recorded, or, for a file
 * written before cases carried one, what its replay fields allow (a --kernel case
 * then lacks its --append and --initrd, which only the summary names).
 */
export function caseReplayCommand(c: Pick<CaseRecord, "adapter" | "variant" | "replay" | "replayCommand">): string {
  if (c.replayCommand) return c.replayCommand;
  const ex = c.replay.example;
  if (ex?.startsWith("kernel:")) return shellLine(["pvh-conformance", "run", "--adapter", c.adapter, "--variant", c.variant, "--kernel", ex.slice("kernel:".length)]);
  return shellLine(["pvh-conformance", "run", "--adapter", c.adapter, "--variant", c.variant, "--seed", String(c.replay.seed), "--case", ex !== undefined ? `example:${ex}` : String(c.replay.index)]);
}
