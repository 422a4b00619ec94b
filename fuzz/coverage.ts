import { Session } from "node:inspector";

/**
 * Block coverage of this process's JavaScript, read through an in-process
 * inspector session (V8's Profiler domain, precise coverage with call counts and
 * block granularity).
 *
 * V8 resets the counters at every takePreciseCoverage when call counts are on, so
 * each take answers for the code run since the previous one. It reports a block
 * only where its count differs from the enclosing range (a block run exactly as
 * often as its function is folded into it), so a block is known once it has been
 * seen with a count of its own, and its count in a later take is the count of the
 * innermost reported range that contains it.
 */
interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface FunctionCoverage {
  functionName: string;
  ranges: Range[];
  isBlockCoverage: boolean;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: FunctionCoverage[];
}

/** AFL-style hit-count classes: a loop that runs a new number of times (by order of magnitude) is new behaviour. */
function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

export class BlockCoverage {
  private readonly session = new Session();
  /** Per function (url:start), the block ranges ever reported inside it. */
  private readonly known = new Map<string, Map<string, [number, number]>>();
  /** Every block (url:start:end) seen run at least once. */
  readonly blocksHit = new Set<string>();

  /** `include`: a script counts when its URL contains one of these fragments. */
  constructor(private readonly include: readonly string[]) {
    this.session.connect();
    this.post("Profiler.enable");
    this.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true, allowTriggeredUpdates: false });
  }

  private post(method: string, params?: object): unknown {
    // An in-process session dispatches synchronously: the callback has run when post returns.
    let result: unknown;
    let error: Error | null = null;
    this.session.post(method, params ?? {}, (err, res) => {
      error = err;
      result = res;
    });
    if (error) throw error;
    return result;
  }

  /** Throw away the counts so far (module loading, warm-up). */
  reset(): void {
    this.post("Profiler.takePreciseCoverage");
  }

  /**
   * The features of the code run since the last take: one per block run, with its
   * hit-count class ("url:start:end#class"). Also records blocks in blocksHit.
   */
  take(): string[] {
    const { result } = this.post("Profiler.takePreciseCoverage") as { result: ScriptCoverage[] };
    const features: string[] = [];
    for (const script of result) {
      if (!this.include.some((f) => script.url.includes(f))) continue;
      for (const fn of script.functions) {
        const top = fn.ranges[0];
        if (!top) continue;
        const fkey = `${script.url}:${top.startOffset}`;
        let blocks = this.known.get(fkey);
        for (let i = 1; i < fn.ranges.length; i++) {
          const r = fn.ranges[i]!;
          const key = `${script.url}:${r.startOffset}:${r.endOffset}`;
          if (!blocks) this.known.set(fkey, (blocks = new Map()));
          if (!blocks.has(key)) blocks.set(key, [r.startOffset, r.endOffset]);
        }
        if (top.count === 0) continue;
        features.push(`${fkey}:${top.endOffset}#${bucket(top.count)}`);
        this.blocksHit.add(`${fkey}:${top.endOffset}`);
        if (!blocks) continue;
        for (const [key, [start, end]] of blocks) {
          // Innermost reported range holding the block: ranges come outermost first, sorted by start.
          let count = top.count;
          for (let i = 1; i < fn.ranges.length; i++) {
            const r = fn.ranges[i]!;
            if (r.startOffset > start) break;
            if (r.endOffset >= end) count = r.count;
          }
          if (count === 0) continue;
          features.push(`${key}#${bucket(count)}`);
          this.blocksHit.add(key);
        }
      }
    }
    return features;
  }

  /** URLs of the counted scripts loaded so far. */
  scripts(): string[] {
    const { result } = this.post("Profiler.takePreciseCoverage") as { result: ScriptCoverage[] };
    return result.map((s) => s.url).filter((u) => this.include.some((f) => u.includes(f)));
  }

  close(): void {
    this.session.disconnect();
  }
}
