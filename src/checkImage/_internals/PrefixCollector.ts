/**
 * Gathers the decompressed start of a bzImage payload (the vmlinux) chunk by chunk.
 *
 * At first it keeps every byte. Once told which ranges the checks read (`keepOnly`:
 * the first bytes, with the ELF and program headers, and the PT_NOTE segments), it
 * keeps only those; `bytes()` then returns a buffer of the full length with the
 * other bytes zero. That buffer is allocated zero-filled, so the kernel never has to
 * supply the pages of the kernel text in between: on Debian's vmlinuz that is some
 * 24 MB not copied and not faulted in. `covers` tells whether a range read from it
 * holds the real bytes; a reader that strays outside makes the caller start again
 * keeping everything, so the result never depends on the zeros.
 */
// Buffer#slice makes a view, not a copy: always copy through Uint8Array's own slice.
const copyOf = (chunk: Uint8Array, start: number, end: number): Uint8Array => Uint8Array.prototype.slice.call(chunk, start, end);

export class PrefixCollector {
  /** Output bytes seen so far. */
  total = 0;
  readonly #copy: boolean;
  #pieces: { at: number; bytes: Uint8Array }[] = [];
  /** Merged, sorted [start, end) ranges kept from now on; null: everything. */
  #keep: [number, number][] | null = null;
  #cached: Uint8Array | null = null;

  /** `copy`: chunks are reused by the decoder (DecompressOptions.reuseOutput), so copy what is kept. */
  constructor(copy: boolean) {
    this.#copy = copy;
  }

  get sparse(): boolean {
    return this.#keep !== null;
  }

  add(chunk: Uint8Array): void {
    const from = this.total;
    const to = from + chunk.length;
    this.total = to;
    this.#cached = null;
    if (this.#keep === null) {
      this.#pieces.push({ at: from, bytes: this.#copy ? copyOf(chunk, 0, chunk.length) : chunk });
      return;
    }
    const keep = this.#keep;
    for (let i = this.#firstEndingAfter(from); i < keep.length && keep[i]![0] < to; i++) {
      const [a, b] = keep[i]!;
      const s = Math.max(a, from);
      const e = Math.min(b, to);
      this.#pieces.push({ at: s, bytes: copyOf(chunk, s - from, e - from) });
    }
  }

  /** From now on keep only `ranges` (everything before `total` stays kept). */
  keepOnly(ranges: [number, number][]): void {
    const all: [number, number][] = [[0, this.total], ...ranges.filter(([a, b]) => b > a)];
    all.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const [a, b] of all) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    this.#keep = merged;
  }

  /** Whether [offset, end) holds the real output bytes. */
  covers(offset: bigint, end: bigint): boolean {
    if (this.#keep === null) return true;
    if (end <= offset) return true;
    if (offset < 0n || end > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    const range = this.#keep[this.#firstEndingAfter(Number(offset))];
    return range !== undefined && BigInt(range[0]) <= offset && end <= BigInt(range[1]);
  }

  /**
   * Index of the first kept range that ends after `at` (the ranges are sorted and
   * disjoint): a binary search, since a hostile ELF may have tens of thousands of
   * PT_NOTE segments.
   */
  #firstEndingAfter(at: number): number {
    const keep = this.#keep!;
    let lo = 0;
    let hi = keep.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keep[mid]![1] <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The `total` bytes gathered, as one buffer (zero where not kept). */
  bytes(): Uint8Array {
    if (this.#cached) return this.#cached;
    const only = this.#pieces.length === 1 ? this.#pieces[0]! : undefined;
    let out: Uint8Array;
    if (only && only.at === 0 && only.bytes.length === this.total) {
      out = only.bytes;
    } else if (this.#keep === null) {
      out = Buffer.concat(this.#pieces.map((p) => p.bytes), this.total);
      this.#pieces = [{ at: 0, bytes: out }];
    } else {
      out = Buffer.alloc(this.total);
      for (const p of this.#pieces) out.set(p.bytes, p.at);
    }
    this.#cached = out;
    return out;
  }
}
