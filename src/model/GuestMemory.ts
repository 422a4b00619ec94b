/**
 * Read access to guest physical memory as the loader left it at the entry point.
 * Synchronous, so checks stay pure functions: adapters that read memory through a
 * debugger capture what the checks need first (captureBootData), then serve it here.
 */
export interface GuestMemory {
  /** `len` bytes at `addr`, or null when any of it is outside what is known (not RAM, or not captured). */
  read(addr: number, len: number): Uint8Array | null;
  /** Whether a read of this range is answered. */
  has(addr: number, len: number): boolean;
  /** CRC-32 of a range without copying it out, or null when read() would be. */
  crc32(addr: number, len: number): number | null;
}
