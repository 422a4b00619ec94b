/** A field of the input worth aiming at: a header length, offset or count. */
export interface Field {
  offset: number;
  /** Bytes: 1, 2, 4 or 8. */
  width: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/** Deterministic pseudo-random numbers (mulberry32), so a campaign with the same seed repeats. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  u32(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
}

// Values at the edges of integer types and of what parsers add and multiply them by.
const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 7n, 8n, 15n, 16n, 32n, 0x40n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x200n, 0x1000n,
  0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn,
];

function writeInt(out: Uint8Array, f: Field, value: bigint): void {
  const mask = (1n << BigInt(f.width * 8)) - 1n;
  let v = value & mask;
  for (let i = 0; i < f.width; i++) {
    const at = f.littleEndian ? f.offset + i : f.offset + f.width - 1 - i;
    if (at >= 0 && at < out.length) out[at] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function readInt(b: Uint8Array, f: Field): bigint {
  let v = 0n;
  for (let i = f.width - 1; i >= 0; i--) {
    const at = f.littleEndian ? f.offset + i : f.offset + f.width - 1 - i;
    v = (v << 8n) | BigInt(b[at] ?? 0);
  }
  return v;
}

export interface MutateContext {
  rng: Rng;
  /** Another corpus input, for splicing. */
  other: () => Uint8Array;
  /** Header fields of this input (target-specific); may be empty. */
  fields: (b: Uint8Array) => Field[];
  maxLength: number;
  /** The input is text: numbers in it are mutated as numbers too. */
  text?: boolean;
  /** Byte strings the target compares with (little-endian integers, text); may be empty. */
  dictionary?: () => readonly Uint8Array[];
}

function randomField(ctx: MutateContext, b: Uint8Array): Field {
  const fields = ctx.fields(b);
  if (fields.length && ctx.rng.chance(0.7)) return ctx.rng.pick(fields);
  const width = ctx.rng.pick([1, 2, 4, 8] as const);
  return { offset: ctx.rng.below(Math.max(1, b.length - width + 1)), width, littleEndian: ctx.rng.chance(0.8) };
}

type Mutator = (b: Uint8Array, ctx: MutateContext) => Uint8Array;

const isDigit = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
const TEXT_NUMBERS = ["0", "1", "7fffffff", "ffffffff", "100000000", "4294967296", "99999999", "9007199254740993", "99999999999999999999"];

/** Text only: replace a run of (hex) digits with an edge value, a very long run, or the run doubled. */
function textNumber(b: Uint8Array, ctx: MutateContext): Uint8Array {
  const { rng } = ctx;
  if (!b.length) return b;
  let at = rng.below(b.length);
  for (let tries = 0; tries < 64 && !isDigit(b[at]); tries++) at = rng.below(b.length);
  if (!isDigit(b[at])) return b;
  let start = at;
  while (start > 0 && isDigit(b[start - 1])) start--;
  let end = at;
  while (end < b.length && isDigit(b[end])) end++;
  const run = Buffer.from(b.subarray(start, end)).toString("latin1");
  const choice = rng.below(3);
  const next = choice === 0 ? rng.pick(TEXT_NUMBERS) : choice === 1 ? "f".repeat(1 + rng.below(400)) : run + run;
  const out = Buffer.concat([b.subarray(0, start), Buffer.from(next, "latin1"), b.subarray(end)]);
  return new Uint8Array(out.subarray(0, ctx.maxLength));
}

const MUTATORS: readonly Mutator[] = [
  // Flip one bit.
  (b, { rng }) => {
    if (b.length) b[rng.below(b.length)]! ^= 1 << rng.below(8);
    return b;
  },
  // Set one byte at random (weighted: twice in the list).
  (b, { rng }) => {
    if (b.length) b[rng.below(b.length)] = rng.below(256);
    return b;
  },
  (b, { rng }) => {
    if (b.length) b[rng.below(b.length)] = rng.below(256);
    return b;
  },
  // An interesting integer at a field or a random offset.
  (b, ctx) => {
    writeInt(b, randomField(ctx, b), ctx.rng.pick(INTERESTING));
    return b;
  },
  // A dictionary entry (a constant of the target's source) at a field or a random offset, either byte order.
  (b, ctx) => {
    const d = ctx.dictionary?.() ?? [];
    if (!d.length || !b.length) return b;
    const word = ctx.rng.pick(d);
    const w = ctx.rng.chance(0.8) ? word : word.slice().reverse();
    const fields = ctx.fields(b);
    const at = fields.length && ctx.rng.chance(0.5) ? ctx.rng.pick(fields).offset : ctx.rng.below(b.length);
    b.set(w.subarray(0, Math.max(0, b.length - at)), at);
    return b;
  },
  // Length-field tweak: nudge a field by a little, double it, or point it at the end of the input.
  (b, ctx) => {
    const f = randomField(ctx, b);
    const v = readInt(b, f);
    const { rng } = ctx;
    const choice = rng.below(4);
    const next =
      choice === 0 ? v + BigInt(1 + rng.below(16)) : choice === 1 ? v - BigInt(1 + rng.below(16)) : choice === 2 ? v * 2n : BigInt(b.length - rng.below(64));
    writeInt(b, f, next);
    return b;
  },
  // Truncate.
  (b, { rng }) => b.subarray(0, rng.below(b.length + 1)),
  // Delete a range.
  (b, { rng }) => {
    if (b.length < 2) return b;
    const at = rng.below(b.length);
    const len = 1 + rng.below(Math.min(256, b.length - at));
    const out = new Uint8Array(b.length - len);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + len), at);
    return out;
  },
  // Insert a copy of a range of this input (or random bytes).
  (b, ctx) => {
    const { rng } = ctx;
    const at = rng.below(b.length + 1);
    const len = 1 + rng.below(64);
    const piece = new Uint8Array(len);
    if (b.length && rng.chance(0.5)) {
      const from = rng.below(b.length);
      piece.set(b.subarray(from, from + len));
    } else for (let i = 0; i < len; i++) piece[i] = rng.below(256);
    const out = new Uint8Array(Math.min(ctx.maxLength, b.length + len));
    out.set(b.subarray(0, at));
    out.set(piece.subarray(0, out.length - at), at);
    if (at + len < out.length) out.set(b.subarray(at, at + out.length - at - len), at + len);
    return out;
  },
  // Overwrite a range with bytes from elsewhere in the input.
  (b, { rng }) => {
    if (b.length < 2) return b;
    const len = 1 + rng.below(Math.min(64, b.length));
    const from = rng.below(b.length - len + 1);
    const to = rng.below(b.length - len + 1);
    b.copyWithin(to, from, from + len);
    return b;
  },
  // Splice: this input's head with another input's tail.
  (b, ctx) => {
    const o = ctx.other();
    const { rng } = ctx;
    const cut = rng.below(b.length + 1);
    const from = rng.below(o.length + 1);
    const out = new Uint8Array(Math.min(ctx.maxLength, cut + o.length - from));
    out.set(b.subarray(0, Math.min(cut, out.length)));
    if (out.length > cut) out.set(o.subarray(from, from + out.length - cut), cut);
    return out;
  },
];

/** A mutant of `input` (which is not changed): one, two or four stacked mutations. */
export function mutate(input: Uint8Array, ctx: MutateContext): Uint8Array {
  let b: Uint8Array = input.slice();
  const n = 1 << ctx.rng.below(3);
  for (let i = 0; i < n; i++) b = ctx.text && ctx.rng.chance(0.25) ? textNumber(b, ctx) : MUTATORS[ctx.rng.below(MUTATORS.length)]!(b, ctx);
  return b.length > ctx.maxLength ? b.slice(0, ctx.maxLength) : b.slice();
}
