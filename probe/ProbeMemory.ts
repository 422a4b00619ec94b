import { crc32 as zlibCrc32 } from "node:zlib";
import type { GuestMemory } from "../src/model/GuestMemory.js";

interface Range {
  start: number;
  end: number;
}

/** Bytes the probe knows: printed (MEM lines), or a tail it found all zero. */
interface Known extends Range {
  /** Null: all zero. */
  bytes: Uint8Array | null;
}

/** A range the probe hashed (a segment's file bytes, a module). */
export interface HashedRange {
  start: number;
  len: number;
  crc32: number;
}

/**
 * Guest memory as a probe report knows it: read() answers for the bytes the probe
 * printed and for zero-filled tails it checked byte by byte; crc32() also for the
 * exact ranges it hashed; everything else is null, as unreadable. has() answers
 * for all of those, and for `readable` (what the harness knows of the machine).
 */
export class ProbeMemory implements GuestMemory {
  private readonly known: Known[];

  constructor(
    printed: readonly { start: number; bytes: Uint8Array }[],
    zeros: readonly Range[],
    private readonly hashed: readonly HashedRange[],
    private readonly readable: readonly Range[] = [],
  ) {
    this.known = [
      ...printed.map((p) => ({ start: p.start, end: p.start + p.bytes.length, bytes: p.bytes })),
      ...zeros.filter((z) => z.end > z.start).map((z) => ({ ...z, bytes: null })),
    ].sort((a, b) => a.start - b.start);
  }

  has(addr: number, len: number): boolean {
    if (!Number.isSafeInteger(addr) || len < 0) return false;
    const ranges: Range[] = [...this.known, ...this.hashed.map((h) => ({ start: h.start, end: h.start + h.len })), ...this.readable];
    if (len === 0) return ranges.some((r) => addr >= r.start && addr <= r.end);
    return covered(ranges, addr, addr + len);
  }

  read(addr: number, len: number): Uint8Array | null {
    if (!Number.isSafeInteger(addr) || len < 0) return null;
    if (len === 0) return this.has(addr, 0) ? new Uint8Array(0) : null;
    const out = new Uint8Array(len);
    let at = addr;
    const end = addr + len;
    // Pieces may abut (a printed string running into a zero tail): stitch them.
    while (at < end) {
      const k = this.known.find((r) => at >= r.start && at < r.end);
      if (!k) return null;
      const stop = Math.min(end, k.end);
      if (k.bytes) out.set(k.bytes.subarray(at - k.start, stop - k.start), at - addr);
      at = stop;
    }
    return out;
  }

  crc32(addr: number, len: number): number | null {
    const h = this.hashed.find((x) => x.start === addr && x.len === len);
    if (h) return h.crc32;
    const b = this.read(addr, len);
    return b ? zlibCrc32(b) >>> 0 : null;
  }
}

function covered(ranges: readonly Range[], start: number, end: number): boolean {
  let at = start;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start <= at && r.end > at) at = r.end;
    if (at >= end) return true;
  }
  return false;
}
