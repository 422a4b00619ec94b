import { kernelFindings, type KernelFacts } from "../checkImage/kernelFindings.js";
import { ElfError } from "../elf/ElfError.js";
import { readElf } from "../elf/readElf.js";
import type { BootCase } from "../model/BootCase.js";
import type { Verdict } from "../model/Verdict.js";
import { loadSpec } from "../spec/loadSpec.js";
import { fail, pass } from "./Check.js";

const cache = new WeakMap<Uint8Array, KernelFacts | ElfError>();

function factsOf(image: Uint8Array): KernelFacts | ElfError {
  let f = cache.get(image);
  if (!f) {
    try {
      f = kernelFindings(readElf(image));
    } catch (err) {
      if (!(err instanceof ElfError)) throw err;
      f = err;
    }
    cache.set(image, f);
  }
  return f;
}

/**
 * The kernel-side requirements judged on a case's image, with the same logic as
 * check-image. For generated valid kernels these must all pass: a FAIL here is a
 * generator bug, never hidden.
 */
export function kernelVerdicts(bootCase: BootCase): Verdict[] {
  const ids = loadSpec().requirements.requirements.filter((r) => r.side === "kernel" && r.status === "active").map((r) => r.id);
  const f = factsOf(bootCase.kernelImage);
  return ids.map((id) => {
    if (f instanceof ElfError) {
      return id === "pvh.image.elf" ? fail(id, `elf-${f.code}`, f.message, { expected: "a well-formed ELF image", seen: f.message }) : { requirement: id, status: "SKIP" as const, code: "not-elf", message: "the image is not a readable ELF file", notApplicable: true };
    }
    const hit = f.findings.find((x) => x.requirement === id);
    return hit ? fail(id, hit.code, hit.message, { expected: "no finding", seen: hit.message }) : pass(id);
  });
}
