import type { Range } from "./SparseMemory.js";

/**
 * The reference machine's physical memory: RAM from 0 up to at most 3 GiB, the
 * rest above 4 GiB (a PC-like hole for MMIO), the legacy 0x9f000-0x100000 area
 * reserved. Only the reference loader uses this; other adapters describe their own.
 */
export const LOW_RAM_LIMIT = 0xc000_0000;
export const FOUR_GIB = 0x1_0000_0000;
export const LEGACY_START = 0x9_f000;
export const ONE_MIB = 0x10_0000;
/** Boot data (start_info, tables, strings, ACPI) goes here, below the legacy area. */
export const BOOT_DATA_START = 0x8000;

export function ramLayout(memoryBytes: number): Range[] {
  const low = Math.min(memoryBytes, LOW_RAM_LIMIT);
  const ranges: Range[] = [{ start: 0, end: low }];
  if (memoryBytes > low) ranges.push({ start: FOUR_GIB, end: FOUR_GIB + (memoryBytes - low) });
  return ranges;
}
