import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { readBzImage, isBzImage } from "../bzimage/readBzImage.js";
import { analyzeKernel } from "../checkImage/analyzeKernel.js";
import { decompress } from "../compress/decompress.js";
import { detectCompression } from "../compress/detectCompression.js";
import type { BootCase } from "../model/BootCase.js";
import { segmentFacts } from "../model/segmentFacts.js";
import { crc32 } from "../_internals/crc32.js";

export interface UserKernelOptions {
  kernel: string;
  cmdline: string | null;
  initrd?: string;
  memoryBytes: number;
}

const MAX_VMLINUX = 512 << 20;

/** The ELF a PVH loader is given: the file itself, or the vmlinux inside a bzImage. */
async function elfOf(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (!isBzImage(bytes)) return bytes;
  const info = readBzImage(bytes);
  const payload = bytes.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength);
  const format = detectCompression(payload);
  if (!format) throw new Error(`${file}: bzImage payload in no known compression`);
  const parts: Uint8Array[] = [];
  for await (const chunk of decompress(format, payload, { maxOutput: MAX_VMLINUX })) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * A boot case around a user's own kernel (ELF, or a bzImage, whose vmlinux is what
 * PVH boots): its facts are read from the image, so every check applies as to a
 * generated kernel. An image check-image finds invalid is a case a loader should refuse.
 */
export async function userKernelCase(o: UserKernelOptions): Promise<BootCase> {
  const raw = new Uint8Array(readFileSync(o.kernel));
  const image = await elfOf(raw, o.kernel);
  const a = analyzeKernel(image);
  if (!a.ok) throw new Error(`${o.kernel}: not a readable ELF image: ${a.error.message}`);
  const invalid = a.facts.findings.filter((f) => f.severity === "error");
  const segments = segmentFacts(a.elf, image);
  const moduleData = o.initrd ? [new Uint8Array(readFileSync(o.initrd))] : [];
  return {
    id: `kernel-${basename(o.kernel).replace(/[^\w.-]/g, "_")}`,
    replay: { seed: 0, index: 0, caseSeed: 0, example: `kernel:${o.kernel}` },
    kernel: {
      elfClass: a.elf.header.class,
      entry: a.facts.entry ?? 0,
      segments,
      reloc: a.facts.reloc,
      malformed: invalid.length ? `user-image-invalid: ${invalid.map((f) => f.requirement).join(", ")}` : null,
    },
    kernelImage: image,
    memoryBytes: o.memoryBytes,
    cmdline: o.cmdline,
    modules: moduleData.map((d) => ({ size: d.length, seed: 0, crc32: crc32(d), cmdline: null })),
    moduleData,
    userFiles: { kernel: o.kernel, ...(o.initrd ? { initrd: o.initrd } : {}) },
  };
}
