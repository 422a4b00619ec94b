/**
 * The child process that runs one target's inputs (forked by fuzzer.ts). It runs
 * in its own process so a hang can be killed, a native crash or an out-of-memory
 * abort cannot take the campaign with it, and its coverage is its own.
 *
 * Messages in: { id, data } per input. Out: "ready" once loaded, then per input
 * the outcome, the features new to this process, and the peak resident memory.
 */
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { BlockCoverage } from "./coverage.js";
import { TARGETS } from "./targets.js";

export interface ExecRequest {
  id: number;
  data: Uint8Array;
}
export interface ExecResult {
  id: number;
  /** ok: ran through; expected: a typed error of the module; finding: anything else thrown. */
  outcome: "ok" | "expected" | "finding";
  error?: { name: string; message: string; stack: string };
  features: string[];
  /** Peak resident set during the execution less the resident set before it, in bytes. */
  peakGrowth: number;
}

/** VmHWM and VmRSS of this process, in bytes; null where /proc does not tell. */
function memory(): { hwm: number; rss: number } | null {
  try {
    const s = readFileSync("/proc/self/status", "latin1");
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
    return { hwm: kib("VmHWM"), rss: kib("VmRSS") };
  } catch {
    return null;
  }
}

function resetPeak(): void {
  try {
    // "5" resets the peak resident set size (proc(5), /proc/pid/clear_refs).
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    /* the measure then counts from the start of the process: larger, never smaller */
  }
}

/**
 * The numeric and short string literals of the covered sources: the values a
 * parser compares input bytes with (magics, type codes, sizes), as an automatic
 * dictionary for the mutator. Read from the files the script URLs name.
 */
function literals(urls: string[]): Uint8Array[] {
  const out = new Map<string, Uint8Array>();
  for (const url of urls) {
    let text: string;
    try {
      text = readFileSync(fileURLToPath(url), "utf8");
    } catch {
      continue;
    }
    for (const m of text.matchAll(/\b0x[0-9a-fA-F_]+n?\b|\b[1-9][0-9_]*n?\b/g)) {
      const v = BigInt(m[0].replace(/[_n]/g, ""));
      if (v < 2n || v > 0xffffffffffffffffn) continue;
      const width = v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
      const b = new Uint8Array(width);
      for (let i = 0, x = v; i < width; i++, x >>= 8n) b[i] = Number(x & 0xffn);
      out.set(Buffer.from(b).toString("hex"), b);
    }
    for (const m of text.matchAll(/"([\x20-\x7e]{2,16}?)"/g)) {
      const b = new Uint8Array(Buffer.from(m[1]!, "latin1"));
      out.set(Buffer.from(b).toString("hex"), b);
    }
  }
  return [...out.values()].slice(0, 4000);
}

/**
 * Never outlive the campaign, even when it is killed with SIGKILL while a target
 * spins: a thread of its own watches for the parent to go (the process is then
 * reparented) and kills this process, which a busy main thread could not do.
 */
async function dieWithParent(): Promise<void> {
  const w = new Worker(
    `const first = process.ppid;
     setInterval(() => { if (process.ppid !== first) process.kill(process.pid, "SIGKILL"); }, 250);`,
    { eval: true },
  );
  // Running before the first input can spin; unref'd after, so it never keeps the process up.
  await once(w, "online");
  w.unref();
}

async function main(): Promise<void> {
  await dieWithParent();
  const name = process.argv[2]!;
  const target = TARGETS[name];
  if (!target || !process.send) throw new Error(`executor: no target ${name} or no IPC channel`);
  // Coverage must be on before the target's modules are compiled to count their blocks.
  const cov = new BlockCoverage(target.covers);
  const harness = await target.load();
  const dictionary = literals(cov.scripts());
  cov.reset();
  const seen = new Set<string>();
  process.on("message", (msg: ExecRequest) => {
    void (async () => {
      const data = new Uint8Array(msg.data);
      resetPeak();
      const before = memory();
      let outcome: ExecResult["outcome"] = "ok";
      let error: ExecResult["error"];
      try {
        await harness.run(data);
      } catch (err) {
        if (harness.expected(err)) outcome = "expected";
        else {
          outcome = "finding";
          const e = err instanceof Error ? err : new Error(String(err));
          error = { name: e.name, message: e.message.slice(0, 2000), stack: String(e.stack ?? "").slice(0, 4000) };
        }
      }
      const after = memory();
      const features = cov.take().filter((f) => !seen.has(f));
      for (const f of features) seen.add(f);
      const peakGrowth = before && after ? Math.max(0, after.hwm - before.rss) : 0;
      const res: ExecResult = { id: msg.id, outcome, features, peakGrowth, ...(error ? { error } : {}) };
      process.send!(res);
    })();
  });
  process.send({ ready: true, dictionary });
}

await main();
