import type { Adapter } from "../../adapters/Adapter.js";
import { adapters, findAdapter } from "../../adapters/registry.js";

/**
 * What the suites run against, from the environment:
 *   PVH_ADAPTERS  adapter ids, comma-separated (default: every adapter)
 *   PVH_CASES     generated cases per variant (default: 200, 20 for Xen)
 *   PVH_SEED      run seed (default 1 in CI, else random; always printed)
 * An adapter that is not available fails in CI and is skipped with its reason elsewhere.
 */
export interface SuiteTarget {
  adapter: Adapter;
  variants: string[];
  skip: string | undefined;
  /** The implementation's version (runInfo), which picks its expectations file; "" when unavailable. */
  version: string;
}

export const inCI = process.env["CI"] === "true";
/** Cases per variant: PVH_CASES for every adapter, else what an adapter's boot time allows in CI. */
const DEFAULT_CASES: Record<string, number> = { reference: 200, qemu: 200, xen: 20, xl: 12 };
export function caseCountFor(adapter: string): number {
  const given = process.env["PVH_CASES"];
  if (given === undefined) return DEFAULT_CASES[adapter] ?? 50;
  // Zero cases would make every suite test pass on nothing.
  if (!/^[1-9]\d*$/.test(given)) throw new Error(`PVH_CASES must be a positive integer, not ${JSON.stringify(given)}`);
  return Number(given);
}
export const caseCount = caseCountFor("reference");
export const seed = process.env["PVH_SEED"] !== undefined ? Number(process.env["PVH_SEED"]) : inCI ? 1 : Math.floor(Math.random() * 2 ** 31);

export async function suiteTargets(): Promise<SuiteTarget[]> {
  const ids = (process.env["PVH_ADAPTERS"] ?? adapters.map((a) => a.id).join(",")).split(",").filter(Boolean);
  const out: SuiteTarget[] = [];
  for (const id of ids) {
    const adapter = findAdapter(id);
    if (!adapter) throw new Error(`PVH_ADAPTERS names unknown adapter ${id}`);
    const av = await adapter.available();
    if (!av.ok && inCI) throw new Error(`CI: adapter ${id} is not available (${av.reason}); .ci/run must install it`);
    const version = av.ok ? (await adapter.runInfo()).version : "";
    out.push({ adapter, variants: adapter.variants.filter((v) => v.default).map((v) => v.id), skip: av.ok ? undefined : av.reason, version });
  }
  return out;
}
