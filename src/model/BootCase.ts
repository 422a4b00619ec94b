import { z } from "zod";

/** One PT_LOAD segment as the generator built it. */
export const SegmentFacts = z
  .object({
    paddr: z.number().int().nonnegative(),
    /** File offset of the segment's bytes in the image. */
    offset: z.number().int().nonnegative(),
    filesz: z.number().int().nonnegative(),
    memsz: z.number().int().nonnegative(),
    flags: z.number().int().nonnegative(),
    align: z.number().int().nonnegative(),
    /** CRC-32 of the file bytes, so checks can compare what a loader placed. */
    crc32: z.number().int().nonnegative(),
  })
  .strict();
export type SegmentFacts = z.infer<typeof SegmentFacts>;

/** What the generator put in the kernel image: the facts the checks rely on. */
export const KernelFacts = z
  .object({
    elfClass: z.union([z.literal(32), z.literal(64)]),
    entry: z.number().int().nonnegative().describe("PHYS32_ENTRY as written in the note"),
    segments: z.array(SegmentFacts),
    reloc: z.object({ align: z.number().int(), min: z.number().int(), max: z.number().int() }).strict().nullable(),
    /** The malformation family for a kernel that loaders should refuse, else null. */
    malformed: z.string().nullable(),
  })
  .strict();
export type KernelFacts = z.infer<typeof KernelFacts>;

export const ModuleCase = z
  .object({
    size: z.number().int().nonnegative(),
    /** The bytes are a deterministic pattern of (seed, size): see moduleBytes. */
    seed: z.number().int().nonnegative(),
    crc32: z.number().int().nonnegative(),
    cmdline: z.string().nullable(),
  })
  .strict();
export type ModuleCase = z.infer<typeof ModuleCase>;

/**
 * Everything a loader is given. Serialisable (the kernel image travels separately
 * as bytes); `replay` is what regenerates the case from the seed alone.
 */
export const BootCaseData = z
  .object({
    id: z.string(),
    replay: z
      .object({ seed: z.number().int(), index: z.number().int().nonnegative(), caseSeed: z.number().int().nonnegative(), path: z.string().optional(), example: z.string().optional() })
      .strict()
      .describe("run seed and index; caseSeed alone regenerates the case"),
    kernel: KernelFacts,
    memoryBytes: z.number().int().positive(),
    cmdline: z.string().nullable(),
    modules: z.array(ModuleCase),
    /** Which start_info version the loader is asked for, where it has a choice. */
    startInfoVersion: z.union([z.literal(0), z.literal(1)]).optional(),
    /** A user's own files (run --kernel, --initrd): what a replay names instead of a seed. */
    userFiles: z.object({ kernel: z.string(), initrd: z.string().optional() }).strict().optional(),
  })
  .strict();
export type BootCaseData = z.infer<typeof BootCaseData>;

export interface BootCase extends BootCaseData {
  kernelImage: Uint8Array;
  /** The modules' bytes when the generator has them at hand (else moduleBytes(seed, size)). */
  moduleData?: Uint8Array[];
}
