import { ElfError } from "../elf/ElfError.js";
import type { ElfFile } from "../elf/elfTypes.js";
import { readElf } from "../elf/readElf.js";
import { kernelFindings, type KernelFacts } from "./kernelFindings.js";

export type KernelAnalysis = { ok: true; elf: ElfFile; facts: KernelFacts } | { ok: false; error: ElfError };

const cache = new WeakMap<Uint8Array, KernelAnalysis>();

/**
 * readElf + kernelFindings of a whole image, memoised per image buffer: the
 * generator, the reference loader and the kernel-side checks all ask about the same
 * image, and the answer depends on its bytes alone.
 */
export function analyzeKernel(image: Uint8Array): KernelAnalysis {
  let a = cache.get(image);
  if (!a) {
    try {
      const elf = readElf(image);
      a = { ok: true, elf, facts: kernelFindings(elf, image) };
    } catch (err) {
      if (!(err instanceof ElfError)) throw err;
      a = { ok: false, error: err };
    }
    cache.set(image, a);
  }
  return a;
}
