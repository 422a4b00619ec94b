/**
 * npm run fuzz -- --minutes N [--target NAME]...: coverage-guided fuzzing of what
 * reads hostile bytes. See fuzz/README.md.
 */
import { parseArgs } from "node:util";
import { runCampaign, type CampaignStats } from "./fuzzer.js";
import { TARGETS } from "./targets.js";

const HELP = `Usage: npm run fuzz -- --minutes N [--target NAME]... [options]

Coverage-guided fuzzing of the project's readers of hostile bytes. Each target
runs in turn for --minutes; per target it prints executions, executions per
second, coverage (blocks run), corpus size and findings. Findings and the
corpus are written under --out.

Options:
  --minutes N       minutes per target (default 1; fractions allowed)
  --target NAME     a target (repeatable); default every target below
  --seed N          random seed (default 1)
  --timeout MS      per-input time limit, past which an input is a hang (default 10000)
  --memory-cap MIB  peak resident growth of one execution past which it is a finding (default 512)
  --out DIR         where findings and corpora go (default fuzz-out)
  --help            this text

Targets:
${Object.values(TARGETS)
  .map((t) => `  ${t.name.padEnd(12)} ${t.describe}`)
  .join("\n")}
`;

function line(s: CampaignStats): string {
  return [
    s.target.padEnd(12),
    `${s.execs} execs`.padStart(14),
    `${s.execsPerSec.toFixed(0)}/s`.padStart(7),
    `${s.blocks} blocks`.padStart(12),
    `corpus ${s.corpus}`.padStart(12),
    `findings ${s.findings.length}`,
  ].join("  ");
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        minutes: { type: "string" },
        target: { type: "string", multiple: true },
        seed: { type: "string" },
        timeout: { type: "string" },
        "memory-cap": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean" },
      },
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const num = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  let minutes, seed, timeout, cap;
  try {
    minutes = num("minutes", args.minutes, 1);
    seed = num("seed", args.seed, 1);
    timeout = num("timeout", args.timeout, 10_000);
    cap = num("memory-cap", args["memory-cap"], 512);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const names = args.target ?? Object.values(TARGETS).filter((t) => !t.test).map((t) => t.name);
  const unknown = names.filter((n) => !TARGETS[n]);
  if (unknown.length) {
    process.stderr.write(`unknown target ${unknown.join(", ")}; targets: ${Object.keys(TARGETS).join(", ")}\n`);
    return 2;
  }
  const out = args.out ?? "fuzz-out";
  const results: CampaignStats[] = [];
  for (const target of names) {
    process.stdout.write(`fuzzing ${target} for ${minutes} min (seed ${seed})\n`);
    const s = await runCampaign({
      target,
      durationMs: minutes * 60_000,
      seed,
      timeoutMs: timeout,
      memoryCapBytes: cap * 1024 * 1024,
      outDir: out,
      progress: (p) => process.stdout.write(`  ${line(p)}\n`),
    });
    results.push(s);
    process.stdout.write(`${line(s)}  (seeds ${s.seeds}, ${s.features} features, ${s.restarts} restarts, ${(s.elapsedMs / 60_000).toFixed(1)} min)\n`);
    for (const f of s.findings) process.stdout.write(`  FINDING ${f.signature} at exec ${f.exec}: ${f.message.split("\n")[0]}${f.file ? ` -> ${f.file}` : ""}\n`);
  }
  process.stdout.write(`\nSummary\n${results.map(line).join("\n")}\n`);
  return results.some((r) => r.findings.length) ? 1 : 0;
}

process.exitCode = await main();
