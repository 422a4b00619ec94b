import type { Adapter } from "./Adapter.js";
import { linuxLoaderAdapter } from "./linux-loader/linuxLoaderAdapter.js";
import { qemuAdapter } from "./qemu/qemuAdapter.js";
import { referenceAdapter } from "./reference/referenceAdapter.js";
import { vmmAdapter } from "./vmm/vmmAdapter.js";
import { xenAdapter } from "./xen/xenAdapter.js";
import { xlAdapter } from "./xl/xlAdapter.js";

/** Every adapter the suite knows, in the order reports list them. */
export const adapters: readonly Adapter[] = [referenceAdapter, qemuAdapter, xenAdapter, xlAdapter, linuxLoaderAdapter, vmmAdapter];

export function findAdapter(id: string): Adapter | undefined {
  return adapters.find((a) => a.id === id);
}
