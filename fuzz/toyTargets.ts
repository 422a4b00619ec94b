import { renameSync, writeFileSync } from "node:fs";

/**
 * Planted bugs for the fuzzer's own tests. toyCompare hides its bug behind four
 * nested one-byte comparisons: random inputs reach it once in 2^32 tries, a
 * coverage-guided search keeps each input that gets one comparison further.
 */
export function toyCompare(d: Uint8Array): void {
  if (d[0] === 0x46) {
    if (d[1] === 0x55) {
      if (d[2] === 0x5a) {
        if (d[3] === 0x5a) throw new Error("planted bug: input starts with FUZZ");
      }
    }
  }
}

export function toyHang(d: Uint8Array): void {
  let n = 0;
  if (d[0] !== 0x48) return;
  // For the kill test: say where the loop starts (a file named by PVH_FUZZ_TOY_MARK).
  const mark = process.env["PVH_FUZZ_TOY_MARK"];
  if (mark) {
    writeFileSync(`${mark}.tmp`, String(process.pid));
    renameSync(`${mark}.tmp`, mark);
  }
  for (;;) n++;
}

export function toyMemory(d: Uint8Array): void {
  if (d[0] !== 0x4d) return;
  const hold: Buffer[] = [];
  for (let i = 0; i < 160; i++) hold.push(Buffer.alloc(1024 * 1024, 1));
  (globalThis as { toyHold?: unknown }).toyHold = hold;
  (globalThis as { toyHold?: unknown }).toyHold = undefined;
}
