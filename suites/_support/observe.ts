import type { Adapter } from "../../adapters/Adapter.js";
import type { BootCase } from "../../src/model/BootCase.js";
import type { Observation } from "../../src/model/Observation.js";

/**
 * boot() for one case at a time, or, for an adapter that boots a machine per batch
 * (xl: one dom0), every case of the list in one batch, started on the first request
 * and shared by the tests that ask for its cases.
 */
export function observer(adapter: Adapter, variant: string, cases: readonly BootCase[]): (c: BootCase) => Promise<Observation> {
  const batch = adapter.bootBatch?.bind(adapter);
  if (!batch) return (c) => adapter.boot(c, variant);
  let all: Promise<Map<string, Observation>> | undefined;
  return async (c) => {
    all ??= (async () => {
      const out = new Map<string, Observation>();
      for await (const { index, observation } of batch(cases, variant)) out.set(cases[index]!.id, observation);
      return out;
    })();
    const o = (await all).get(c.id);
    if (!o) throw new Error(`the batch gave no observation for ${c.id}`);
    return o;
  };
}
