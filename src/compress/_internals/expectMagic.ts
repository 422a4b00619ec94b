import { EngineFailure } from "./EngineFailure.js";

/**
 * Check that `input` starts with `magic`: "corrupt" on a mismatching byte,
 * "truncated" when the input is a strict prefix of the magic (cut that early).
 */
export function expectMagic(input: Uint8Array, magic: readonly number[], what: string): void {
  const n = Math.min(input.length, magic.length);
  for (let i = 0; i < n; i++) {
    if (input[i] !== magic[i]) throw new EngineFailure("corrupt", `not ${what} (bad magic bytes)`);
  }
  if (input.length < magic.length) throw new EngineFailure("truncated", `input ends inside the ${what} magic bytes`);
}
