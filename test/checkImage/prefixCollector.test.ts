import { describe, expect, it } from "vitest";
import { PrefixCollector } from "../../src/checkImage/_internals/PrefixCollector.js";

const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24 || 1);

function feed(c: PrefixCollector, bytes: Uint8Array, chunk: number): void {
  const buf = new Uint8Array(chunk); // one reused buffer, as the xz decoder gives with reuseOutput
  for (let at = 0; at < bytes.length; at += chunk) {
    const n = Math.min(chunk, bytes.length - at);
    buf.set(bytes.subarray(at, at + n));
    c.add(buf.subarray(0, n));
  }
}

describe("PrefixCollector", () => {
  it("keeps every byte until told otherwise, copying reused chunks", () => {
    const c = new PrefixCollector(true);
    feed(c, data, 4096);
    expect(c.sparse).toBe(false);
    expect(Buffer.from(c.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(c.covers(0n, BigInt(data.length))).toBe(true);
  });

  it("then keeps only the ranges asked for, zero elsewhere, and says which ranges it covers", () => {
    const c = new PrefixCollector(true);
    feed(c, data.subarray(0, 10_000), 4096);
    c.keepOnly([[20_000, 30_000], [25_000, 40_000], [500_000, 500_001], [2 << 20, 3 << 20]]);
    const buf = new Uint8Array(4096);
    for (let at = 10_000; at < data.length; at += 4096) {
      const n = Math.min(4096, data.length - at);
      buf.set(data.subarray(at, at + n));
      c.add(buf.subarray(0, n));
    }
    const out = c.bytes();
    expect(out.length).toBe(data.length);
    const kept = (i: number): boolean => i < 10_000 || (i >= 20_000 && i < 40_000) || i === 500_000;
    for (let i = 0; i < data.length; i += 997) expect(out[i], `byte ${i}`).toBe(kept(i) ? data[i] : 0);
    for (const i of [9_999, 10_000, 19_999, 20_000, 39_999, 40_000, 500_000, 500_001]) expect(out[i], `byte ${i}`).toBe(kept(i) ? data[i] : 0);
    expect(c.covers(0n, 10_000n)).toBe(true);
    expect(c.covers(0n, 10_001n)).toBe(false);
    expect(c.covers(20_000n, 40_000n)).toBe(true); // two overlapping ranges, merged
    expect(c.covers(19_999n, 20_001n)).toBe(false);
    expect(c.covers(500_000n, 500_001n)).toBe(true);
    expect(c.covers(500_000n, 500_002n)).toBe(false);
    expect(c.covers(-1n, 4n)).toBe(false);
  });

  it("stays fast with tens of thousands of ranges (a hostile ELF's PT_NOTE count)", () => {
    const c = new PrefixCollector(true);
    feed(c, data.subarray(0, 4096), 4096);
    const ranges: [number, number][] = [];
    for (let i = 0; i < 65_535; i++) ranges.push([8192 + i * 16, 8192 + i * 16 + 8]);
    c.keepOnly(ranges);
    const t = performance.now();
    for (let at = 4096; at < data.length; at += 4096) c.add(data.subarray(at, at + 4096));
    let covered = 0;
    for (const [a, b] of ranges) if (c.covers(BigInt(a), BigInt(b))) covered++;
    expect(covered).toBe(65_535);
    expect(c.covers(8192n + 8n, 8192n + 9n)).toBe(false);
    expect(performance.now() - t).toBeLessThan(5_000);
  });
});
