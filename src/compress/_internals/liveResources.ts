/**
 * Counts decoder resources that live outside the JS heap (native liblzma streams,
 * WASM heap allocations, zlib handles) between acquisition and release, so tests can
 * check that stopping a decompression early gives them all back.
 */
class LiveResources {
  readonly #counts = new Map<string, number>();

  acquire(kind: string): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }

  release(kind: string): void {
    const n = (this.#counts.get(kind) ?? 0) - 1;
    if (n < 0) throw new Error(`liveResources: ${kind} released more often than acquired`);
    this.#counts.set(kind, n);
  }

  /** Resources of each kind not yet released (kinds at zero left out). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [kind, n] of this.#counts) if (n > 0) out[kind] = n;
    return out;
  }
}

export const liveResources = new LiveResources();
