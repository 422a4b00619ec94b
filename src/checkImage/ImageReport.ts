import { z } from "zod";

/**
 * What `check-image --json` prints for each file. Published as
 * spec/schema/check-image.schema.json; the tests validate real output against it.
 */
export const Finding = z
  .object({
    requirement: z.string().describe("requirement id from spec/requirements.json"),
    level: z.enum(["must", "should", "interop"]),
    severity: z.enum(["error", "warning"]).describe("error: a must requirement is broken; warning: should or interop"),
    code: z.string().describe("stable code of this kind of finding"),
    message: z.string(),
  })
  .strict();
export type Finding = z.infer<typeof Finding>;

export const ReportedNote = z
  .object({
    owner: z.string(),
    type: z.number().int(),
    name: z.string().describe("catalogue name for Xen notes (PHYS32_ENTRY), else the numeric type"),
    descsz: z.number().int(),
    value: z.string().describe("the decoded descriptor, rendered"),
    desc: z.string().describe("descriptor bytes, hex"),
    offset: z.number().int().describe("file offset of the note record (in the vmlinux, for a bzImage)"),
    in: z.array(z.string()).describe("where the record was found: 'PT_NOTE segment N', 'section NAME'"),
  })
  .strict();
export type ReportedNote = z.infer<typeof ReportedNote>;

export const ImageReport = z
  .object({
    file: z.string(),
    format: z.enum(["elf32", "elf64", "bzimage", "unknown"]),
    compression: z.string().nullable().describe("payload compression of a bzImage, else null"),
    bzimage: z
      .object({
        protocol: z.string(),
        kernelVersion: z.string().nullable(),
        payloadOffset: z.number().int(),
        payloadLength: z.number().int(),
        elfClass: z.enum(["elf32", "elf64"]).nullable(),
        decompressedBytes: z.number().int().describe("how much of the payload was decompressed before the notes were read"),
      })
      .strict()
      .nullable(),
    verdict: z.enum(["valid", "invalid"]),
    entry: z.number().int().nullable().describe("the PHYS32_ENTRY address, when a well-formed note gives one"),
    reloc: z
      .object({ align: z.number().int(), min: z.number().int(), max: z.number().int() })
      .strict()
      .nullable()
      .describe("the effective PHYS32_RELOC constraints, when the note is present"),
    notes: z.array(ReportedNote),
    findings: z.array(Finding),
  })
  .strict();
export type ImageReport = z.infer<typeof ImageReport>;

export const CheckImageOutput = z.array(ImageReport);
