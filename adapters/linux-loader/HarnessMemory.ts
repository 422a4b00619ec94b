import { crc32 as zlibCrc32 } from "node:zlib";
import type { GuestMemory } from "../../src/model/GuestMemory.js";

interface Range {
  start: number;
  end: number;
}

const PAGE = 0x1000;

/**
 * Guest memory as the harness reports it: the pages written (printed in full), the
 * ranges it hashed (modules: their CRC-32 only, their inner pages left out), and RAM
 * elsewhere, which is still the fresh anonymous mapping's zeros. Outside RAM, and
 * inside a hashed range's unprinted pages, read() answers null.
 */
export class HarnessMemory implements GuestMemory {
  private readonly pages = new Map<number, Uint8Array>();

  constructor(
    pages: readonly { addr: number; data: Uint8Array }[],
    private readonly hashed: readonly { addr: number; len: number; crc32: number | null }[],
    private readonly ram: readonly Range[],
  ) {
    for (const p of pages) this.pages.set(p.addr, p.data);
  }

  has(addr: number, len: number): boolean {
    if (!Number.isSafeInteger(addr) || len < 0) return false;
    if (len === 0) return this.ram.some((r) => addr >= r.start && addr <= r.end);
    return this.ram.some((r) => addr >= r.start && addr + len <= r.end);
  }

  /** A page neither printed nor zero: inside a hashed range. */
  private opaque(page: number): boolean {
    return this.hashed.some((h) => page >= h.addr && page + PAGE <= h.addr + h.len);
  }

  read(addr: number, len: number): Uint8Array | null {
    if (!this.has(addr, len)) return null;
    const out = new Uint8Array(len);
    let at = addr;
    while (at < addr + len) {
      const page = Math.floor(at / PAGE) * PAGE;
      const stop = Math.min(addr + len, page + PAGE);
      const bytes = this.pages.get(page);
      if (bytes) out.set(bytes.subarray(at - page, stop - page), at - addr);
      else if (this.opaque(page)) return null;
      at = stop;
    }
    return out;
  }

  crc32(addr: number, len: number): number | null {
    const h = this.hashed.find((x) => x.addr === addr && x.len === len);
    if (h) return h.crc32;
    const b = this.read(addr, len);
    return b ? zlibCrc32(b) >>> 0 : null;
  }
}
