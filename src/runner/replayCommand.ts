import type { BootCase } from "../model/BootCase.js";

const shq = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command that runs one case again: from the seed, a boundary example by name, or a user's kernel. */
export function replayCommand(adapter: string, variant: string, seed: number, c: Pick<BootCase, "replay" | "cmdline" | "memoryBytes">): string {
  const base = `pvh-conformance run --adapter ${adapter} --variant ${variant}`;
  const ex = c.replay.example;
  if (ex?.startsWith("kernel:")) {
    const append = c.cmdline !== null ? ` --append ${shq(c.cmdline)}` : "";
    return `${base} --kernel ${shq(ex.slice("kernel:".length))}${append} --memory ${Math.round(c.memoryBytes / 2 ** 20)}`;
  }
  return `${base} --seed ${seed} --case ${ex ? `example:${ex}` : c.replay.index}`;
}
