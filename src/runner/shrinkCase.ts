import fc from "fast-check";
import type { Adapter } from "../../adapters/Adapter.js";
import { arbitraryFor, isMalformedSeed } from "../../generators/generateCase.js";
import { judge } from "../checks/judge.js";
import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import { BAD_STATUSES } from "../model/Verdict.js";


export interface Shrunk {
  bootCase: BootCase;
  obs: Observation;
  /** Boots spent. */
  evaluations: number;
}

/**
 * The smallest case fast-check finds, starting from a failing case's seed, that still
 * gives `requirement` the same bad status on the same adapter variant. fast-check
 * replays the seed to the very case the run sampled, then shrinks it; the search
 * stops after `budget` boots or the time limit, keeping the smallest failing case found.
 */
export async function shrinkCase(adapter: Adapter, variant: string, original: BootCase, requirement: string, status: string, budget = 40, timeLimitMs = 30_000): Promise<Shrunk | undefined> {
  const deadline = Date.now() + timeLimitMs;
  const caps = adapter.capabilities(variant);
  const seed = original.replay.caseSeed;
  const arb = arbitraryFor(caps, isMalformedSeed(caps, seed), original.startInfoVersion);
  let evaluations = 0;
  let smallest: Shrunk | undefined;
  const result = await fc.check(
    fc.asyncProperty(arb, async (partial) => {
      // Past the budget every candidate "passes", which ends the search with what we have.
      if (evaluations >= budget || Date.now() > deadline) return true;
      evaluations++;
      const c: BootCase = { ...partial, id: `${original.id}-shrunk`, replay: original.replay };
      const obs = await adapter.boot(c, variant);
      const v = judge(c, obs).find((x) => x.requirement === requirement);
      const stillFails = v !== undefined && v.status === status && BAD_STATUSES.has(v.status);
      if (stillFails) smallest = { bootCase: c, obs, evaluations };
      return !stillFails;
    }),
    { seed, numRuns: 1 },
  );
  if (!result.failed || !smallest) return undefined;
  return { ...smallest, evaluations };
}
