import { hostname } from "node:os";
import { availableParallelism } from "node:os";
import type { Adapter } from "../../adapters/Adapter.js";
import { generateCase } from "../../generators/generateCase.js";
import { harnessErrorVerdicts, judge } from "../checks/judge.js";
import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import type { CaseRecord, ResultRecord, Results } from "../results/Results.js";
import { loadSpec } from "../spec/loadSpec.js";
import { caseTags } from "./caseTags.js";
import { describeCase } from "./describeCase.js";

export interface Selection {
  adapter: Adapter;
  variants: string[];
}

export interface Progress {
  adapter: string;
  variant: string;
  done: number;
  total: number;
  failing: number;
}

export interface RunSuiteOptions {
  selections: Selection[];
  cases: number;
  seed: number;
  /** Only these case indexes (replay). */
  only?: number[];
  /** Boots in flight at once per variant (adapters that run processes want the core count). */
  concurrency?: number;
  suiteVersion: string;
  command: string[];
  onProgress?(p: Progress): void;
  /** Called for each case whose verdicts include FAIL, ERROR, CRASH or TIMEOUT. */
  onBadCase?(c: BootCase, obs: Observation, bad: ResultRecord[]): void;
}

const BAD = new Set(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);

async function pool<T>(n: number, items: number[], work: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) {
      const i = items[next++]!;
      await work(i);
    }
  });
  await Promise.all(workers);
}

/** Generate, boot and judge every case on every selected adapter variant. */
export async function runSuite(opts: RunSuiteOptions): Promise<Results> {
  const startedAt = new Date().toISOString();
  const reqs = new Map(loadSpec().requirements.requirements.map((r) => [r.id, r]));
  const records: ResultRecord[] = [];
  const cases: CaseRecord[] = [];
  const adapters: Results["run"]["adapters"] = [];
  const indexes = opts.only ?? Array.from({ length: opts.cases }, (_, i) => i);

  for (const { adapter, variants } of opts.selections) {
    const info = await adapter.runInfo();
    adapters.push({ id: adapter.id, variants, version: info.version, binary: info.binary, ...(info.details ? { details: info.details } : {}) });
    for (const variant of variants) {
      const caps = adapter.capabilities(variant);
      let done = 0;
      let failing = 0;
      await pool(opts.concurrency ?? 1, indexes, async (index) => {
        const c = generateCase(caps, opts.seed, index);
        let obs: Observation;
        try {
          obs = await adapter.boot(c, variant);
        } catch (err) {
          // An adapter that throws broke the harness, not the ABI: every verdict is ERROR.
          const message = `adapter ${adapter.id} threw: ${String((err as Error).stack ?? err)}`;
          obs = { adapter: adapter.id, variant, outcome: "crashed", message };
          push(c, obs, harnessErrorVerdicts(message), true);
          return;
        }
        push(c, obs, judge(c, obs));

        function push(bc: BootCase, o: Observation, verdicts: ReturnType<typeof judge>, harnessError = false): void {
          const recs: ResultRecord[] = verdicts.map((v) => {
            const r = reqs.get(v.requirement);
            if (!r) throw new Error(`verdict names unknown requirement ${v.requirement}`);
            return {
              requirement: v.requirement,
              adapter: adapter.id,
              variant,
              caseId: bc.id,
              status: v.status,
              code: v.code,
              // A PASS says no more than "ok"; keeping it empty keeps large runs small.
              message: v.status === "PASS" && v.message === "ok" ? "" : v.message,
              ...(v.notApplicable ? { notApplicable: true } : {}),
              ...(v.evidence ? { evidence: v.evidence } : {}),
            };
          });
          records.push(...recs);
          cases.push({
            caseId: bc.id,
            adapter: adapter.id,
            variant,
            replay: { seed: bc.replay.seed, index: bc.replay.index, caseSeed: bc.replay.caseSeed },
            outcome: harnessError ? "harness-error" : o.outcome,
            malformed: bc.kernel.malformed,
            message: o.message ?? null,
            command: o.command ?? null,
            summary: describeCase(bc),
            tags: caseTags(bc),
          });
          const bad = recs.filter((r) => BAD.has(r.status));
          if (bad.length) {
            failing++;
            opts.onBadCase?.(bc, o, bad);
          }
          done++;
          opts.onProgress?.({ adapter: adapter.id, variant, done, total: indexes.length, failing });
        }
      });
    }
  }
  return {
    format: "pvh-conformance/results@1",
    run: {
      suiteVersion: opts.suiteVersion,
      startedAt,
      finishedAt: new Date().toISOString(),
      seed: opts.seed,
      cases: indexes.length,
      host: { hostname: hostname(), platform: `${process.platform}-${process.arch}`, node: process.version, cpus: availableParallelism() },
      adapters,
      command: opts.command,
      requirements: Object.fromEntries(
        [...reqs.values()].filter((r) => r.status === "active").map((r) => [r.id, { level: r.level, side: r.side, statement: r.statement, source: r.source }]),
      ),
    },
    cases,
    records,
  };
}
