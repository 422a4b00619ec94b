import { fork, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExecRequest, ExecResult } from "./executor.js";
import { mutate, Rng, type MutateContext } from "./mutate.js";
import { TARGETS, type Target } from "./targets.js";

export type FindingKind = "exception" | "hang" | "memory" | "crash";

export interface Finding {
  kind: FindingKind;
  /** What it was: the error's name and message, the time limit, the memory... */
  message: string;
  /** Groups findings of one bug: the kind, the error name and the first project stack frame. */
  signature: string;
  input: Uint8Array;
  /** Execution number that found it (1-based). */
  exec: number;
  /** Where it was saved, when an output folder was given. */
  file?: string;
}

export interface CampaignOptions {
  target: string;
  /** Stop after this long (ms)... */
  durationMs?: number;
  /** ...or after this many executions, whichever comes first. */
  maxExecs?: number;
  seed?: number;
  /** Per-input time limit (ms): an input running longer is a hang. */
  timeoutMs?: number;
  /** Peak resident memory growth of one execution past which it is a finding (bytes). */
  memoryCapBytes?: number;
  /** V8 heap limit of the executor (MiB); past it the process aborts, a "crash" finding. */
  heapMb?: number;
  stopOnFinding?: boolean;
  /** Off: new coverage is ignored and only the seeds are mutated (a blind fuzzer, for comparison). */
  guided?: boolean;
  /** Folder for findings (<dir>/<target>/<kind>-<hash>.bin) and the corpus; none: nothing written. */
  outDir?: string;
  /** Called now and then with the figures so far. */
  progress?: (s: CampaignStats) => void;
  /** Extra seeds (tests, the regression corpus). */
  seeds?: Uint8Array[];
  /** Keep every finding, not one per signature (the regression corpus). */
  everyFinding?: boolean;
  /** Off: only `seeds` are used, not the target's own (default on). */
  targetSeeds?: boolean;
}

export interface CampaignStats {
  target: string;
  execs: number;
  elapsedMs: number;
  execsPerSec: number;
  /** Distinct blocks (functions and blocks within them) run at least once. */
  blocks: number;
  /** Distinct (block, hit-count class) pairs. */
  features: number;
  corpus: number;
  seeds: number;
  findings: Finding[];
  /** Executor restarts (after a hang, a crash or a memory finding). */
  restarts: number;
}

const EXECUTOR = fileURLToPath(new URL("./executor.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MIB = 1024 * 1024;

interface Executor {
  child: ChildProcess;
  stderr: string[];
  pending: { id: number; resolve: (r: ExecResult | { dead: string }) => void } | null;
}

function startExecutor(target: string, heapMb: number, onDictionary?: (d: Uint8Array[]) => void): Promise<Executor> {
  return new Promise((resolve, reject) => {
    const child = fork(EXECUTOR, [target], {
      // The executor is TypeScript: tsx loads it, as `npm run fuzz` loads main.ts (vitest's own workers lack the flag).
      execArgv: ["--import", "tsx", `--max-old-space-size=${heapMb}`],
      cwd: ROOT,
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const ex: Executor = { child, stderr: [], pending: null };
    child.stderr!.on("data", (d: Buffer) => {
      ex.stderr.push(d.toString());
      while (ex.stderr.join("").length > 8000) ex.stderr.shift();
    });
    let ready = false;
    child.on("message", (m: ExecResult | { ready: true; dictionary: Uint8Array[] }) => {
      if ("ready" in m) {
        ready = true;
        onDictionary?.(m.dictionary);
        resolve(ex);
        return;
      }
      const p = ex.pending;
      if (p && p.id === m.id) {
        ex.pending = null;
        p.resolve(m);
      }
    });
    child.on("exit", (code, signal) => {
      const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (!ready) reject(new Error(`fuzz executor for ${target} ${why} before it was ready: ${ex.stderr.join("").slice(-2000)}`));
      const p = ex.pending;
      ex.pending = null;
      p?.resolve({ dead: why });
    });
  });
}

function stop(ex: Executor): Promise<void> {
  return new Promise((resolve) => {
    if (ex.child.exitCode !== null || ex.child.signalCode !== null) return resolve();
    ex.child.once("exit", () => resolve());
    ex.child.kill("SIGKILL");
  });
}

/** The first stack frame in the project's own code (not node_modules, not node:), for grouping. */
function firstFrame(stack: string): string {
  for (const line of stack.split("\n").slice(1)) {
    if (line.includes("node_modules") || line.includes("node:") || line.includes("/fuzz/executor.") || line.includes("/fuzz/targets.")) continue;
    const m = /\(?((?:file:\/\/)?\/[^\s()]+)\)?$/.exec(line.trim());
    if (m) return m[1]!.replace(/^.*\/(src|probe|fuzz)\//, "$1/");
  }
  return "?";
}

const hash = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex").slice(0, 16);

/** One fuzzing campaign over one target. */
export async function runCampaign(opts: CampaignOptions): Promise<CampaignStats> {
  const target: Target | undefined = TARGETS[opts.target];
  if (!target) throw new Error(`no fuzz target ${opts.target}`);
  const rng = new Rng(opts.seed ?? 1);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const memoryCap = opts.memoryCapBytes ?? 512 * MIB;
  const heapMb = opts.heapMb ?? 2048;
  const guided = opts.guided ?? true;
  // The clock starts once the seeds are made and the executor is up.
  let started = performance.now();
  let deadline = Infinity;
  const maxExecs = opts.maxExecs ?? Infinity;

  const globalFeatures = new Set<string>();
  const blocks = new Set<string>();
  const corpus: Uint8Array[] = [];
  const findings: Finding[] = [];
  const signatures = new Set<string>();
  let execs = 0;
  let restarts = 0;
  let nextId = 1;

  const outDir = opts.outDir ? join(opts.outDir, target.name) : undefined;
  if (outDir) mkdirSync(join(outDir, "corpus"), { recursive: true });

  let dictionary: Uint8Array[] = [];
  let ex = await startExecutor(target.name, heapMb, (d) => (dictionary = d));

  const stats = (): CampaignStats => {
    const elapsedMs = performance.now() - started;
    return {
      target: target.name,
      execs,
      elapsedMs,
      execsPerSec: execs / Math.max(elapsedMs / 1000, 1e-9),
      blocks: blocks.size,
      features: globalFeatures.size,
      corpus: corpus.length,
      seeds: seedInputs.length,
      findings,
      restarts,
    };
  };

  const record = (kind: FindingKind, message: string, signature: string, input: Uint8Array): void => {
    const sig = `${kind}:${signature}`;
    if (signatures.has(sig) && !opts.everyFinding) return;
    signatures.add(sig);
    const f: Finding = { kind, message, signature: sig, input, exec: execs };
    if (outDir) {
      f.file = join(outDir, `${kind}-${hash(input)}.bin`);
      writeFileSync(f.file, input);
      writeFileSync(`${f.file}.txt`, `${sig}\n${message}\n`);
    }
    findings.push(f);
  };

  /** Run one input; true when it reached something new. */
  const execute = async (input: Uint8Array): Promise<boolean> => {
    execs++;
    const id = nextId++;
    const result = await new Promise<ExecResult | { dead: string } | { hang: true }>((resolve) => {
      const timer = setTimeout(() => resolve({ hang: true }), timeoutMs);
      ex.pending = {
        id,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const req: ExecRequest = { id, data: input };
      ex.child.send(req);
    });
    if ("hang" in result) {
      ex.pending = null;
      record("hang", `no answer within ${timeoutMs} ms`, "hang", input);
      await stop(ex);
      restarts++;
      ex = await startExecutor(target.name, heapMb);
      return false;
    }
    if ("dead" in result) {
      const tail = ex.stderr.join("").slice(-1500);
      const oom = /heap out of memory|Allocation failed/.test(tail);
      record(oom ? "memory" : "crash", `executor ${result.dead}${tail ? `: ${tail}` : ""}`, oom ? "heap" : result.dead, input);
      restarts++;
      ex = await startExecutor(target.name, heapMb);
      return false;
    }
    let fresh = false;
    for (const f of result.features) {
      if (globalFeatures.has(f)) continue;
      globalFeatures.add(f);
      blocks.add(f.slice(0, f.lastIndexOf("#")));
      fresh = true;
    }
    if (result.outcome === "finding" && result.error) {
      const e = result.error;
      record("exception", `${e.name}: ${e.message}\n${e.stack}`, `${e.name}@${firstFrame(e.stack)}`, input);
    }
    if (result.peakGrowth > memoryCap) {
      record("memory", `peak resident memory grew by ${(result.peakGrowth / MIB).toFixed(0)} MiB in one execution (cap ${(memoryCap / MIB).toFixed(0)} MiB)`, "rss", input);
      // A fresh process, so what this one kept does not count against the next inputs.
      await stop(ex);
      restarts++;
      ex = await startExecutor(target.name, heapMb);
    }
    return fresh;
  };

  const seedInputs = [...(opts.targetSeeds === false ? [] : await target.seeds()), ...(opts.seeds ?? [])].map((s) => s.subarray(0, target.maxLength));
  started = performance.now();
  deadline = started + (opts.durationMs ?? Infinity);
  const done = (): boolean => execs >= maxExecs || performance.now() >= deadline || (!!opts.stopOnFinding && findings.length > 0);
  const addToCorpus = (input: Uint8Array): void => {
    corpus.push(input);
    if (outDir) writeFileSync(join(outDir, "corpus", hash(input)), input);
  };

  try {
    for (const s of seedInputs) {
      if (done()) break;
      // Every seed stays, new coverage or not: each is a distinct starting shape.
      await execute(s);
      addToCorpus(s);
    }
    if (corpus.length === 0) addToCorpus(new Uint8Array(0));
    const ctx: MutateContext = {
      rng,
      other: () => rng.pick(corpus),
      fields: (b) => target.fields(b),
      dictionary: () => dictionary,
      text: target.text ?? false,
      maxLength: target.maxLength,
    };
    let lastProgress = performance.now();
    while (!done()) {
      // Favour what was found lately: a quarter of the picks from the newest eighth.
      const recent = Math.max(1, corpus.length >> 3);
      const parent = rng.chance(0.25) ? corpus[corpus.length - 1 - rng.below(recent)]! : rng.pick(corpus);
      const child = mutate(parent, ctx);
      const fresh = await execute(child);
      if (fresh && guided) addToCorpus(child);
      if (opts.progress && performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now();
        opts.progress(stats());
      }
    }
  } finally {
    await stop(ex);
  }
  return stats();
}
