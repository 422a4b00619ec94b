import { replayCommand } from "./replayCommand.js";
import { sortCanonically } from "../results/sortCanonically.js";
import { hostname } from "node:os";
import { availableParallelism } from "node:os";
import type { Adapter } from "../../adapters/Adapter.js";
import { examplesFor } from "../../generators/examples.js";
import { generateCase } from "../../generators/generateCase.js";
import { harnessErrorVerdicts, judge } from "../checks/judge.js";
import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import type { CaseRecord, ResultRecord, Results } from "../results/Results.js";
import { loadSpec } from "../spec/loadSpec.js";
import { divergencesFromReference } from "../differential/divergencesFromReference.js";
import { caseTags } from "./caseTags.js";
import { describeCase } from "./describeCase.js";
import { BAD_STATUSES } from "../model/Verdict.js";

export interface Selection {
  adapter: Adapter;
  variants: string[];
  /** Cases per variant for this adapter, when it differs from the run's. */
  cases?: number;
  /** The adapter's own options as given (--qemu PATH, --vmm FILE): a replay command repeats them. */
  replayArgs?: string[];
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
  /** Run exactly these cases instead of generated ones (a user's own kernel). */
  fixedCases?: BootCase[];
  /** Also run the boundary examples (generators/examples.ts); only those named, when given. */
  examples?: boolean | string[];
  /** This machine's slice of the cases: shard `index` (1-based) of `count`. */
  shard?: { index: number; count: number };
  /**
   * Also load every case with the reference loader and record, per case, where the
   * adapter's observation differs from it (CaseRecord.divergences). Not for the
   * reference adapter itself. Default true.
   */
  differential?: boolean;
  /** Boots in flight at once per variant (adapters that run processes want the core count). */
  concurrency?: number;
  suiteVersion: string;
  command: string[];
  onProgress?(p: Progress): void;
  /** Called for each case whose verdicts include FAIL, ERROR, CRASH or TIMEOUT. */
  onBadCase?(c: BootCase, obs: Observation, bad: ResultRecord[]): void;
}


/** Longest stretch of in-process work (the reference loader never waits) before the event loop gets a turn. */
const YIELD_MS = 50;

async function pool<T>(n: number, items: number[], work: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  let since = performance.now();
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) {
      const i = items[next++]!;
      await work(i);
      // Work that resolves at once starves timers and signal handlers: Ctrl-C would wait for the whole run.
      if (performance.now() - since > YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        since = performance.now();
      }
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
  const all = opts.fixedCases ? [] : (opts.only ?? Array.from({ length: opts.cases }, (_, i) => i));
  // A deterministic slice: case i belongs to shard (i mod count) + 1, whatever the machine.
  const inShard = (i: number): boolean => !opts.shard || i % opts.shard.count === opts.shard.index - 1;
  const indexes = all.filter(inShard);

  for (const { adapter, variants, cases: ownCount, replayArgs } of opts.selections) {
    const info = await adapter.runInfo(variants);
    adapters.push({ id: adapter.id, variants, version: info.version, binary: info.binary, ...(info.details ? { details: info.details } : {}) });
    const own = ownCount !== undefined && !opts.only && !opts.fixedCases ? Array.from({ length: ownCount }, (_, i) => i).filter(inShard) : indexes;
    for (const variant of variants) {
      const caps = adapter.capabilities(variant);
      let done = 0;
      let failing = 0;
      const wanted = opts.examples ?? false;
      const examples = opts.fixedCases ?? (wanted === false ? [] : examplesFor(caps).filter((e) => inShard(e.replay.index) && (wanted === true || wanted.includes(e.replay.example!))));
      // Work items: generated case indexes, then the examples (as negative numbers).
      const work = [...own, ...examples.map((_e, k) => -1 - k)];
      const total = work.length;
      const caseOf = (item: number): BootCase => (item >= 0 ? generateCase(caps, opts.seed, item) : examples[-1 - item]!);
      const batchBoot = adapter.bootBatch?.bind(adapter);
      if (batchBoot) {
        // One machine boots many cases: the work is split into one batch per slot of the pool.
        const slots = Math.max(1, Math.min(opts.concurrency ?? 1, work.length));
        const batches = Array.from({ length: slots }, (_, k) => work.filter((_w, i) => i % slots === k));
        await Promise.all(
          batches.map(async (items) => {
            const batch = items.map(caseOf);
            const seen = new Set<number>();
            try {
              for await (const { index, observation } of batchBoot(batch, variant)) {
                if (seen.has(index) || !batch[index]) continue;
                seen.add(index);
                settle(batch[index]!, observation);
              }
            } catch (err) {
              for (let i = 0; i < batch.length; i++) if (!seen.has(i)) harnessError(batch[i]!, err);
              return;
            }
            for (let i = 0; i < batch.length; i++) if (!seen.has(i)) harnessError(batch[i]!, new Error("the batch ended without this case"));
          }),
        );
      } else {
        await pool(opts.concurrency ?? 1, work, async (item) => {
          const c = caseOf(item);
          let obs: Observation;
          try {
            obs = await adapter.boot(c, variant);
          } catch (err) {
            harnessError(c, err);
            return;
          }
          settle(c, obs);
        });
      }

      function harnessError(c: BootCase, err: unknown): void {
        // An adapter that throws broke the harness, not the ABI: every verdict is ERROR.
        const message = `adapter ${adapter.id} threw: ${String((err as Error).stack ?? err)}`;
        const obs: Observation = { adapter: adapter.id, variant, outcome: "crashed", message };
        push(c, obs, harnessErrorVerdicts(message), true);
      }

      function settle(c: BootCase, obs: Observation): void {
        push(c, obs, judge(c, obs));
      }

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
        const bad = recs.filter((r) => BAD_STATUSES.has(r.status));
        const differential = opts.differential !== false && adapter.id !== "reference" && !harnessError ? divergencesFromReference(bc, o, recs) : {};
        cases.push({
          caseId: bc.id,
          adapter: adapter.id,
          variant,
          replay: { seed: bc.replay.seed, index: bc.replay.index, caseSeed: bc.replay.caseSeed, ...(bc.replay.example ? { example: bc.replay.example } : {}) },
          outcome: harnessError ? "harness-error" : o.outcome,
          malformed: bc.kernel.malformed,
          message: o.message ?? null,
          command: o.command ?? null,
          replayCommand: replayCommand(adapter.id, variant, opts.seed, bc, replayArgs),
          summary: describeCase(bc),
          tags: caseTags(bc),
          ...differential,
        });
        if (bad.length) {
          failing++;
          opts.onBadCase?.(bc, o, bad);
        }
        done++;
        opts.onProgress?.({ adapter: adapter.id, variant, done, total, failing });
      }
    }
  }
  sortCanonically(cases, records, opts.selections.map((s) => ({ id: s.adapter.id, variants: s.variants })));
  return {
    format: "pvh-conformance/results@1",
    run: {
      suiteVersion: opts.suiteVersion,
      startedAt,
      finishedAt: new Date().toISOString(),
      seed: opts.seed,
      cases: all.length,
      ...(opts.shard ? { shard: opts.shard } : {}),
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

