import bzip2 from "unbzip2-stream/lib/bzip2.js";
import { EngineFailure } from "./EngineFailure.js";
import { expectMagic } from "./expectMagic.js";

const OUT_CHUNK = 1 << 20;

/** Thrown by the bit reader when the decoder asks for bits past the input. */
class InputEnded extends Error {}

/**
 * The MSB-first bit reader the block decoder expects. Unlike the package's own
 * readers it fails at the end of the input instead of reading `undefined` bytes as
 * zeros, which is what makes truncation detectable and keeps every decoder loop
 * finite (each iteration consumes bits).
 */
function bitReader(input: Uint8Array): (n: number | null) => number {
  let at = 0;
  let bit = 0;
  return (n) => {
    if (n === null) {
      if (bit) {
        bit = 0;
        at++;
      }
      return 0;
    }
    let result = 0;
    while (n > 0) {
      if (at >= input.length) throw new InputEnded();
      const byte = input[at]!;
      const left = 8 - bit;
      if (n >= left) {
        result = (result << left) | (byte & ((1 << left) - 1));
        at++;
        bit = 0;
        n -= left;
      } else {
        result = (result << n) | ((byte >> (left - n)) & ((1 << n) - 1));
        bit += n;
        n = 0;
      }
    }
    return result;
  };
}

/** Collects the bytes of one block into 1 MiB chunks. */
class ByteSink {
  #chunks: Uint8Array[] = [];
  #buf = new Uint8Array(OUT_CHUNK);
  #n = 0;

  readonly write = (byte: number): void => {
    if (this.#n === OUT_CHUNK) {
      this.#chunks.push(this.#buf);
      this.#buf = new Uint8Array(OUT_CHUNK);
      this.#n = 0;
    }
    this.#buf[this.#n++] = byte;
  };

  drain(): Uint8Array[] {
    if (this.#n > 0) {
      this.#chunks.push(this.#buf.subarray(0, this.#n));
      this.#buf = new Uint8Array(OUT_CHUNK);
      this.#n = 0;
    }
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }
}

function failure(err: unknown): EngineFailure {
  if (err instanceof InputEnded) return new EngineFailure("truncated", "input ends inside the bzip2 stream");
  return new EngineFailure("corrupt", `invalid bzip2 data (${(err as Error).message})`, { cause: err });
}

/**
 * Decode the first bzip2 stream of `input` block by block with unbzip2-stream's
 * block decoder, yielding after each block. A block can expand to about 46 MiB
 * (900k symbols of run-length-encoded data), which bounds the memory one step
 * takes; the stream ends at its end-of-stream marker, whose CRC is checked, and
 * anything after it is ignored.
 */
export function* bzip2Chunks(input: Uint8Array): Generator<Uint8Array, void, undefined> {
  expectMagic(input, [0x42, 0x5a, 0x68], "a bzip2 stream");
  const bits = bitReader(input);
  let level: number;
  try {
    level = bzip2.header(bits);
  } catch (err) {
    throw failure(err);
  }
  const bufsize = 100_000 * level;
  const buf = new Int32Array(bufsize);
  const sink = new ByteSink();
  let streamCRC: number | null = 0;
  for (;;) {
    try {
      streamCRC = bzip2.decompress(bits, sink.write, buf, bufsize, streamCRC);
    } catch (err) {
      throw failure(err);
    }
    yield* sink.drain();
    if (streamCRC === null) return;
  }
}
