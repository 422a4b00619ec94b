import { crc32 as zlibCrc32 } from "node:zlib";
import type { GuestMemory } from "../model/GuestMemory.js";
import { MemoryMiss } from "../model/MemoryMiss.js";

interface Region {
  start: number;
  bytes: Uint8Array;
}

/**
 * Guest memory captured from a VMM: the fetched regions, and the guest's RAM ranges.
 * A read outside RAM answers null (it is not memory the loader could have used); a
 * read of RAM not fetched yet throws MemoryMiss while capturing, and when frozen
 * (after capture) answers null, which a check reports as unreadable.
 */
export class CapturedMemory implements GuestMemory {
  private regions: Region[] = [];
  private frozen = false;

  /** @param ram the ranges the guest can read (RAM and ROM), which is what has() answers for. */
  constructor(readonly ram: readonly { start: number; end: number }[]) {}

  has(addr: number, len: number): boolean {
    if (len === 0) return this.ram.some((r) => addr >= r.start && addr <= r.end);
    return this.ram.some((r) => addr >= r.start && addr + len <= r.end);
  }

  /** Record fetched bytes. */
  add(start: number, bytes: Uint8Array): void {
    this.regions.push({ start, bytes });
  }

  freeze(): void {
    this.frozen = true;
  }

  private find(addr: number, len: number): Uint8Array | undefined {
    for (const r of this.regions) {
      if (addr >= r.start && addr + len <= r.start + r.bytes.length) return r.bytes.subarray(addr - r.start, addr - r.start + len);
    }
    return undefined;
  }

  read(addr: number, len: number): Uint8Array | null {
    if (len < 0 || !Number.isSafeInteger(addr) || !this.has(addr, len)) return null;
    const b = this.find(addr, len);
    if (b) return b.slice();
    if (this.frozen) return null;
    throw new MemoryMiss(addr, len);
  }

  crc32(addr: number, len: number): number | null {
    if (len < 0 || !Number.isSafeInteger(addr) || !this.has(addr, len)) return null;
    const b = this.find(addr, len);
    if (b) return zlibCrc32(b) >>> 0;
    if (this.frozen) return null;
    throw new MemoryMiss(addr, len);
  }
}
