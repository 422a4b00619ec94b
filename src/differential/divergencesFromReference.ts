import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import { BAD_STATUSES } from "../model/Verdict.js";
import { referenceLoad } from "../reference/referenceLoad.js";
import type { CaseDivergence } from "../results/Results.js";
import { compareObservations } from "./compareObservations.js";

/**
 * The differential view of one boot: the same case loaded by the reference loader
 * (in-process, well under a millisecond), compared field by field with what the
 * adapter did. `verdicts` are the adapter's for this case: a divergence blamed on a
 * requirement that failed there is explained by that FAIL; one that is not explained
 * is worth a look, as it means a check the suite lacks or a fault in the reference loader.
 */
export function divergencesFromReference(c: BootCase, obs: Observation, verdicts: readonly { requirement: string; status: string }[]): { divergences: CaseDivergence[] } | { differentialError: string } {
  const failing = new Set(verdicts.filter((v) => BAD_STATUSES.has(v.status)).map((v) => v.requirement));
  try {
    return { divergences: compareObservations(c, referenceLoad(c), obs).map((d) => ({ ...d, explained: failing.has(d.requirement) })) };
  } catch (err) {
    // A fault of the reference loader or of the comparison must not end a long run: the
    // case keeps its verdicts and says why it has no divergences.
    return { differentialError: String((err as Error).stack ?? err) };
  }
}
