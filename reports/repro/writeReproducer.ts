import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BootCase } from "../../src/model/BootCase.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { Observation } from "../../src/model/Observation.js";
import type { ResultRecord } from "../../src/results/Results.js";
import { caseTags } from "../../src/runner/caseTags.js";
import { describeCase } from "../../src/runner/describeCase.js";
import { replayCommand } from "../../src/runner/replayCommand.js";

const shq = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Rewrite a VMM command line that named the adapter's temporary files so that it
 * names the reproducer's copies instead ("$HERE/kernel.elf"): the same command, runnable
 * without this suite.
 */
function rewrite(command: string[]): string {
  const kernelArg = command[command.indexOf("-kernel") + 1];
  const tmp = kernelArg ? kernelArg.slice(0, kernelArg.lastIndexOf("/")) : undefined;
  const words = command.map((a) => {
    if (!tmp || !a.includes(tmp)) return shq(a);
    const [before, ...rest] = a.split(tmp);
    return `${shq(before!)}"$HERE"${shq(rest.join(tmp))}`.replace(/^''/, "");
  });
  // One option and its value a line.
  const lines: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    if (i > 0 && w.startsWith("-") && next !== undefined && !next.startsWith("-")) {
      lines.push(`${w} ${next}`);
      i++;
    } else lines.push(w);
  }
  return lines.join(" \\\n  ");
}

export interface ReproducerInput {
  bootCase: BootCase;
  obs: Observation;
  bad: ResultRecord[];
  seed: number;
}

/**
 * repro/<case-id>/: the kernel image, its modules, the case, the failing verdicts and
 * run-<adapter>-<variant>.sh with the exact VMM command line (run.sh is the first of
 * them). Returns the bytes written, so the caller can keep a budget.
 */
export function writeReproducer(root: string, { bootCase: c, obs, bad, seed }: ReproducerInput): number {
  const dir = join(root, c.id);
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  const write = (name: string, data: Uint8Array | string, mode?: number): void => {
    writeFileSync(join(dir, name), data);
    if (mode) chmodSync(join(dir, name), mode);
    bytes += typeof data === "string" ? data.length : data.length;
  };
  if (!existsSync(join(dir, "kernel.elf"))) {
    write("kernel.elf", c.kernelImage);
    c.modules.forEach((m, i) => write(`module${i}.bin`, c.moduleData?.[i] ?? moduleBytes(m.seed, m.size)));
    const { kernelImage: _k, moduleData: _m, ...data } = c;
    void _k;
    void _m;
    write("case.json", JSON.stringify({ ...data, summary: describeCase(c), tags: caseTags(c) }, null, 2) + "\n");
  }
  const tag = `${obs.adapter}-${obs.variant}`;
  write(`verdicts-${tag}.json`, JSON.stringify({ outcome: obs.outcome, message: obs.message ?? null, log: obs.log ?? null, records: bad }, null, 2) + "\n");
  const replay = replayCommand(obs.adapter, obs.variant, seed, c);
  const failing = bad.map((r) => `#   ${r.status} ${r.requirement}: ${r.message.split("\n")[0]!.slice(0, 150)}`).join("\n");
  const body = obs.command
    ? `# The exact command the suite ran. QEMU starts paused (-S) with its gdb stub on
# $HERE/gdb.sock; to stop at the PVH entry as the suite did:
#   gdb -ex 'target remote $HERE/gdb.sock' -ex 'break *0x${c.kernel.entry.toString(16)}' -ex continue
# then read registers with 'info registers' or QMP on $HERE/qmp.sock.
exec ${rewrite(obs.command)} "$@"
`
    : `# ${obs.adapter} runs inside the suite: replay the case from its seed.
exec ${replay} "$@"
`;
  const script = `#!/bin/sh
# Reproducer for case ${c.id} on ${obs.adapter}/${obs.variant}: ${describeCase(c)}
# Failing:
${failing}
# Replay through the suite: ${replay}
HERE="$(cd "$(dirname "$0")" && pwd)"
${body}`;
  write(`run-${tag}.sh`, script, 0o755);
  if (!existsSync(join(dir, "run.sh"))) write("run.sh", script, 0o755);
  return bytes;
}
