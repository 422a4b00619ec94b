import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import type { Adapter } from "../../adapters/Adapter.js";
import { join } from "node:path";
import type { BootCase } from "../../src/model/BootCase.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { Observation } from "../../src/model/Observation.js";
import type { ResultRecord } from "../../src/results/Results.js";
import { caseTags } from "../../src/runner/caseTags.js";
import { describeCase } from "../../src/runner/describeCase.js";
import { replayCommand } from "../../src/runner/replayCommand.js";

export interface ReproducerInput {
  bootCase: BootCase;
  obs: Observation;
  bad: ResultRecord[];
  seed: number;
  /** The adapter that ran the case: it writes the replay lines (without one, or for an in-process loader, run.sh replays through the suite). */
  adapter?: Pick<Adapter, "reproducer">;
  /** The adapter's own options as the run was given them, for the replay line. */
  replayArgs?: readonly string[];
}

/**
 * repro/<case-id>/: the kernel image, its modules, the case, the failing verdicts and
 * run-<adapter>-<variant>.sh with the exact VMM command line (run.sh is the first of
 * them). Returns the bytes written, so the caller can keep a budget.
 */
export function writeReproducer(root: string, { bootCase: c, obs, bad, seed, adapter, replayArgs }: ReproducerInput): number {
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
  const replay = replayCommand(obs.adapter, obs.variant, seed, c, replayArgs);
  const failing = bad.map((r) => `#   ${r.status} ${r.requirement}: ${r.message.split("\n")[0]!.slice(0, 150)}`).join("\n");
  const own = adapter?.reproducer?.(c, obs);
  for (const [name, from] of Object.entries(own?.copies ?? {})) {
    if (!existsSync(join(dir, name))) {
      copyFileSync(from, join(dir, name));
      bytes += statSync(join(dir, name)).size;
    }
  }
  const body = own
    ? own.body.endsWith("\n") ? own.body : `${own.body}\n`
    : `# ${obs.adapter} runs inside the suite: replay the case through it.
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
