import type { BootCase } from "../model/BootCase.js";

const size = (n: number): string => (n >= 1 << 30 ? `${+(n / 2 ** 30).toFixed(2)} GiB` : n >= 1 << 20 ? `${+(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** One line saying what a case holds, for people reading a report. */
export function describeCase(c: BootCase): string {
  const k = c.kernel;
  if (k.malformed) return `malformed kernel (${k.malformed}), ELF${k.elfClass}`;
  const parts = [
    `ELF${k.elfClass}`,
    `${k.segments.length} PT_LOAD`,
    `entry 0x${k.entry.toString(16)}`,
    ...(k.reloc ? [`PHYS32_RELOC align 0x${k.reloc.align.toString(16)}`] : []),
    `memory ${size(c.memoryBytes)}`,
    c.cmdline === null ? "no cmdline" : `cmdline ${c.cmdline.length} chars`,
    `${c.modules.length} module(s)${c.modules.length ? ` (${c.modules.map((m) => size(m.size)).join(", ")})` : ""}`,
  ];
  return parts.join(", ");
}
