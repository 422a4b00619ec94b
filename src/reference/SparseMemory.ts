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
    this.walk(addr, len, (bytes, done) => {
      if (bytes) out.set(bytes, done);
    });
    return out;
  }

  /**
   * Visit [addr, addr+len) in runs: `bytes` views a stretch of pages that lie end to
   * end in one allocation (one large write makes such a stretch), or is null for a
   * stretch never written (zeros) of `n` bytes. Fewer, longer runs keep crc32 and
   * read from crossing into native code once per 4 KiB page.
   */
  private walk(addr: number, len: number, visit: (bytes: Uint8Array | null, done: number, n: number) => void): void {
    let done = 0;
    // The current run: where its bytes start in their allocation (buffer null: zeros).
    let buffer: ArrayBufferLike | null = null;
    let from = 0;
    let runStart = 0;
    let runLen = 0;
    const flush = (): void => {
      if (runLen > 0) visit(buffer ? new Uint8Array(buffer, from, runLen) : null, runStart, runLen);
    };
    while (done < len) {
      const a = addr + done;
      const pn = Math.floor(a / PAGE);
      const off = a - pn * PAGE;
      const n = Math.min(PAGE - off, len - done);
      const page = this.pages.get(pn);
      const continues = runLen > 0 && (page === undefined ? buffer === null : page.buffer === buffer && page.byteOffset + off === from + runLen);
      if (continues) {
        runLen += n;
      } else {
        flush();
        buffer = page ? page.buffer : null;
        from = page ? page.byteOffset + off : 0;
        runStart = done;
        runLen = n;
      }
      done += n;
    }
    flush();
  }

  crc32(addr: number, len: number): number | null {
    if (len < 0 || !Number.isSafeInteger(addr) || !this.has(addr, len)) return null;
    let crc = 0;
    this.walk(addr, len, (bytes, _done, n) => {
      if (bytes) {
        crc = zlibCrc32(bytes, crc);
        return;
      }
      for (let left = n; left > 0; left -= ZERO_PAGE.length) crc = zlibCrc32(left >= ZERO_PAGE.length ? ZERO_PAGE : ZERO_PAGE.subarray(0, left), crc);
    });
    return crc >>> 0;
  }

  private allFresh(first: number, last: number): boolean {
    for (let pn = first; pn <= last; pn++) if (this.pages.has(pn)) return false;
    return true;
  }

  /** Writes bytes; throws when any of it is outside RAM (a loader bug, not a guest fault). */
  write(addr: number, bytes: Uint8Array): void {
    if (!this.has(addr, bytes.length)) {
      throw new RangeError(`write of ${bytes.length} bytes at 0x${addr.toString(16)} is outside guest RAM`);
    }
    if (bytes.length === 0) return;
    const first = Math.floor(addr / PAGE);
    const last = Math.floor((addr + bytes.length - 1) / PAGE);
    if (last > first && this.allFresh(first, last)) {
      // The usual case (a segment, a module): one allocation, one copy, and only the
      // bytes around the write zeroed, rather than zero-filling pages about to be
      // overwritten. The pages lie end to end in it, so later reads and CRCs over them
      // are single runs.
      const block = new Uint8Array(Buffer.allocUnsafeSlow((last - first + 1) * PAGE).buffer);
      const at = addr - first * PAGE;
      block.fill(0, 0, at);
      block.set(bytes, at);
      block.fill(0, at + bytes.length);
      for (let pn = first; pn <= last; pn++) this.pages.set(pn, block.subarray((pn - first) * PAGE, (pn - first + 1) * PAGE));
      return;
    }
    // Over pages already written: page by page.
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
