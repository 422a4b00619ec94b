/**
 * Thrown by a capturing memory when a check reads guest memory that has not been
 * fetched yet. judge() collects these, the adapter fetches the ranges, and the
 * checks run again: they stay pure and synchronous while the memory lives in a VMM.
 */
export class MemoryMiss extends Error {
  override name = "MemoryMiss";
  constructor(
    readonly addr: number,
    readonly len: number,
  ) {
    super(`guest memory 0x${addr.toString(16)}+0x${len.toString(16)} not captured`);
  }
}
