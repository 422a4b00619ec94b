import { judge } from "../checks/judge.js";
import type { BootCase } from "../model/BootCase.js";
import type { Observation } from "../model/Observation.js";
import type { CapturedMemory } from "./CapturedMemory.js";
import type { MemoryMiss } from "../model/MemoryMiss.js";

/** Smallest fetch: strings and tables are read in pieces, so fetch around them generously. */
const MIN_FETCH = 64 * 1024;
const MAX_ROUNDS = 24;

/**
 * Fetch from a live VMM exactly the guest memory the checks read: run the checks
 * against what is captured so far, collect the reads that missed, fetch those, and
 * repeat until none miss (pointer chasing takes a few rounds). Then freeze.
 */
export async function captureForChecks(
  bootCase: BootCase,
  obs: Observation,
  memory: CapturedMemory,
  fetch: (addr: number, len: number) => Promise<Uint8Array>,
): Promise<{ rounds: number; bytes: number }> {
  let bytes = 0;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const misses: MemoryMiss[] = [];
    judge(bootCase, obs, { onMiss: (m) => misses.push(m) });
    if (misses.length === 0) {
      memory.freeze();
      return { rounds: round, bytes };
    }
    for (const r of plan(misses, memory.ram)) {
      memory.add(r.start, await fetch(r.start, r.end - r.start));
      bytes += r.end - r.start;
    }
  }
  memory.freeze();
  return { rounds: MAX_ROUNDS, bytes };
}

/** Merge the misses into fetches, widened to MIN_FETCH and clipped to RAM. */
function plan(misses: MemoryMiss[], ram: readonly { start: number; end: number }[]): { start: number; end: number }[] {
  const wanted = misses
    .map((m) => {
      const r = ram.find((x) => m.addr >= x.start && m.addr < x.end)!;
      const start = Math.max(r.start, Math.floor(m.addr / MIN_FETCH) * MIN_FETCH);
      const end = Math.min(r.end, Math.max(m.addr + m.len, start + MIN_FETCH));
      return { start, end };
    })
    .sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const w of wanted) {
    const last = out.at(-1);
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else out.push({ ...w });
  }
  return out;
}
