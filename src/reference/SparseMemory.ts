import { crc32 as zlibCrc32 } from "node:zlib";
import type { GuestMemory } from "../model/GuestMemory.js";

const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS;
const ZERO_PAGE = new Uint8Array(PAGE);

export interface Range {
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * Simulated guest physical memory: pages are allocated on first write, and RAM that
 * was never written reads as zero, so a 6 GiB guest costs only what is loaded.
 * Reads outside the RAM ranges answer null, as a real guest's would not be RAM.
 */
export class SparseMemory implements GuestMemory {
  private readonly pages = new Map<number, Uint8Array>();

  constructor(readonly ram: readonly Range[]) {}

  has(addr: number, len: number): boolean {
    if (len === 0) return this.ram.some((r) => addr >= r.start && addr <= r.end);
    return this.ram.some((r) => addr >= r.start && addr + len <= r.end);
  }

  read(addr: number, len: number): Uint8Array | null {
    if (len < 0 || !Number.isSafeInteger(addr) || !this.has(addr, len)) return null;
    const out = new Uint8Array(len);
    this.walk(addr, len, (page, off, n, done) => {
      if (page) out.set(page.subarray(off, off + n), done);
    });
    return out;
  }

  /** Visit [addr, addr+len) a page at a time; `page` is undefined where nothing was written (zeros). */
  private walk(addr: number, len: number, visit: (page: Uint8Array | undefined, off: number, n: number, done: number) => void): void {
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const pn = Math.floor(a / PAGE);
      const off = a - pn * PAGE;
      const n = Math.min(PAGE - off, len - done);
      visit(this.pages.get(pn), off, n, done);
      done += n;
    }
  }

  crc32(addr: number, len: number): number | null {
    if (len < 0 || !Number.isSafeInteger(addr) || !this.has(addr, len)) return null;
    let crc = 0;
    this.walk(addr, len, (page, off, n) => {
      crc = zlibCrc32((page ?? ZERO_PAGE).subarray(off, off + n), crc);
    });
    return crc >>> 0;
  }

  /** Writes bytes; throws when any of it is outside RAM (a loader bug, not a guest fault). */
  write(addr: number, bytes: Uint8Array): void {
    if (!this.has(addr, bytes.length)) {
      throw new RangeError(`write of ${bytes.length} bytes at 0x${addr.toString(16)} is outside guest RAM`);
    }
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const pn = Math.floor(a / PAGE);
      const off = a - pn * PAGE;
      const n = Math.min(PAGE - off, bytes.length - done);
      let page = this.pages.get(pn);
      if (!page) {
        page = new Uint8Array(PAGE);
        this.pages.set(pn, page);
      }
      page.set(bytes.subarray(done, done + n), off);
      done += n;
    }
  }
}
