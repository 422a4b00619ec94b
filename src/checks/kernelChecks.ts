import { analyzeKernel } from "../checkImage/analyzeKernel.js";
import type { BootCase } from "../model/BootCase.js";
import type { Verdict } from "../model/Verdict.js";
import { loadSpec } from "../spec/loadSpec.js";
import { fail, pass } from "./Check.js";

/**
 * The kernel-side requirements judged on a case's image, with the same logic as
 * check-image. For generated valid kernels these must all pass: a FAIL here is a
 * generator bug, never hidden.
 */
export function kernelVerdicts(bootCase: BootCase): Verdict[] {
  const ids = loadSpec().requirements.requirements.filter((r) => r.side === "kernel" && r.status === "active").map((r) => r.id);
  const a = analyzeKernel(bootCase.kernelImage);
  return ids.map((id) => {
    if (!a.ok) {
      const e = a.error;
      return id === "pvh.image.elf" ? fail(id, `elf-${e.code}`, e.message, { expected: "a well-formed ELF image", seen: e.message }) : { requirement: id, status: "SKIP" as const, code: "not-elf", message: "the image is not a readable ELF file", notApplicable: true };
    }
    const hit = a.facts.findings.find((x) => x.requirement === id);
    return hit ? fail(id, hit.code, hit.message, { expected: "no finding", seen: hit.message }) : pass(id);
  });
}
