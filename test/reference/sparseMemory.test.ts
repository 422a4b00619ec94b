import fc from "fast-check";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { SparseMemory } from "../../src/reference/SparseMemory.js";

const SIZE = 64 * 1024;
// RAM in two ranges with a hole, so reads across the hole answer null.
const RAM = [
  { start: 0, end: 40 * 1024 },
  { start: 44 * 1024, end: SIZE },
];
const inRam = (a: number, n: number): boolean => RAM.some((r) => a >= r.start && a + n <= r.end);

const writeArb = fc.record({ addr: fc.nat(SIZE - 1), bytes: fc.uint8Array({ minLength: 0, maxLength: 20_000 }) });
const rangeArb = fc.record({ addr: fc.nat(SIZE), len: fc.nat(SIZE) });

describe("SparseMemory", () => {
  it("reads and CRCs what a flat array would hold, whatever the writes' sizes and overlaps", () => {
    fc.assert(
      fc.property(fc.array(writeArb, { maxLength: 12 }), fc.array(rangeArb, { minLength: 1, maxLength: 8 }), (writes, ranges) => {
        const mem = new SparseMemory(RAM);
        const flat = new Uint8Array(SIZE);
        for (const w of writes) {
          if (!inRam(w.addr, w.bytes.length)) {
            expect(() => mem.write(w.addr, w.bytes)).toThrow(RangeError);
            continue;
          }
          mem.write(w.addr, w.bytes);
          flat.set(w.bytes, w.addr);
        }
        for (const r of ranges) {
          const len = Math.min(r.len, SIZE - r.addr);
          if (!inRam(r.addr, len)) {
            expect(mem.read(r.addr, len)).toBeNull();
            expect(mem.crc32(r.addr, len)).toBeNull();
            continue;
          }
          const want = flat.subarray(r.addr, r.addr + len);
          expect(Buffer.from(mem.read(r.addr, len)!).equals(Buffer.from(want))).toBe(true);
          expect(mem.crc32(r.addr, len)).toBe(crc32(want) >>> 0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keeps a large write's pages apart from the caller's buffer", () => {
    const mem = new SparseMemory([{ start: 0, end: SIZE }]);
    const bytes = new Uint8Array(3 * 4096 + 100).fill(7);
    mem.write(100, bytes);
    bytes.fill(9);
    expect(mem.read(100, 3 * 4096 + 100)!.every((b) => b === 7)).toBe(true);
  });
});
